// Drives a whole listing through the core compiled to wasm32-unknown-unknown: the module says
// what to do (send, wait, record, done), this host does it with fetch and setTimeout.
//
//   node run.mjs <module.wasm>
//   env: TWILIO_BASE_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (the host's, never the module's);
//        EXPECT_APPS (optional): fail unless the listing returns exactly that many apps;
//        EXPECT_503 (optional): fail unless that many answers were 503 and each was retried.
import { readFileSync } from "node:fs";

const wasmPath = process.argv[2];
const { TWILIO_BASE_URL: baseUrl, TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken } =
  process.env;
if (!wasmPath || !baseUrl || !accountSid || !authToken) {
  console.error("usage: TWILIO_BASE_URL=… TWILIO_ACCOUNT_SID=… TWILIO_AUTH_TOKEN=… node run.mjs <module.wasm>");
  process.exit(2);
}

const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {});
const x = instance.exports;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const put = (bytes) => {
  const at = x.input(bytes.length); // may grow the memory: read its buffer after
  new Uint8Array(x.memory.buffer, at, bytes.length).set(bytes);
};
const output = () => JSON.parse(decoder.decode(new Uint8Array(x.memory.buffer, x.output(), x.output_len())));

// The credentials stay here: they are added to requests for the API's origin only.
const apiOrigin = new URL(baseUrl).origin;
const authorization = "Basic " + Buffer.from(`${accountSid}:${authToken}`).toString("base64");

put(encoder.encode(JSON.stringify({
  account_sid: accountSid,
  base_url: baseUrl,
  page_size: 50,
  seed: Math.floor(Math.random() * 2 ** 32),
})));
if (x.start(Date.now()) !== 0) throw new Error(output().message);

const apps = [];
const statuses = [];
const waits = [];
for (let step = 0; ; step++) {
  if (step > 100_000) throw new Error("the listing never ended");
  const code = x.next(Date.now());
  const action = output();
  if (code === 1) {
    // fetch sets Host from the URL itself and decompresses whatever it is sent: the module
    // asked for no compression, and the headers that describe the wire body are dropped.
    const headers = new Headers(action.headers.filter(([name]) => name !== "host"));
    if (new URL(action.url).origin === apiOrigin) headers.set("authorization", authorization);
    let response;
    try {
      response = await fetch(action.url, { method: action.method, headers, redirect: "manual" });
    } catch (e) {
      put(encoder.encode(String(e)));
      x.fail(Date.now());
      continue;
    }
    const body = new Uint8Array(await response.arrayBuffer());
    statuses.push(response.status);
    const kept = [...response.headers].filter(([n]) => n !== "content-encoding" && n !== "content-length");
    const head = encoder.encode(JSON.stringify({ status: response.status, headers: kept }));
    const message = new Uint8Array(4 + head.length + body.length);
    new DataView(message.buffer).setUint32(0, head.length, true);
    message.set(head, 4);
    message.set(body, 4 + head.length);
    put(message);
    if (x.handle(Date.now()) !== 0) throw new Error(output().message);
  } else if (code === 2) {
    waits.push(action.ms);
    await new Promise((resolve) => setTimeout(resolve, action.ms));
  } else if (code === 3) {
    apps.push(action.app);
  } else if (code === 4) {
    break;
  } else {
    throw new Error(`the listing failed: ${action.message}`);
  }
}

const writers = apps.filter((a) => (a.permissions ?? []).includes("post-all")).length;
const retried = statuses.filter((s) => s === 503).length;
console.log(
  `listed ${apps.length} apps (${writers} with post-all) from JavaScript: ${statuses.length} requests by fetch, ` +
    `${retried} answered 503 and retried after the machine's Wait of ` +
    `${waits.map((w) => `${Math.round(w)} ms`).join(", ") || "nothing"} (setTimeout)`,
);
const expectApps = process.env.EXPECT_APPS;
if (expectApps !== undefined && apps.length !== Number(expectApps)) {
  throw new Error(`expected ${expectApps} apps, got ${apps.length}`);
}
const expect503 = process.env.EXPECT_503;
if (expect503 !== undefined && (retried !== Number(expect503) || waits.length < retried)) {
  throw new Error(`expected ${expect503} answers 503, each retried; got ${retried} and ${waits.length} waits`);
}
const sids = new Set(apps.map((a) => a.connect_app_sid));
if (sids.size !== apps.length) throw new Error("an app was handed out twice");
