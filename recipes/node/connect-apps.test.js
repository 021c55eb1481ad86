// twilio-node 6.3 against twilio-emulator: fetch, paging, 404, 429 and OAuth.
//
// Run by ../run.sh, which starts the emulator with 120 generated apps and an OAuth client and
// exports what it printed.
"use strict";

const { test, afterEach, before } = require("node:test");
const assert = require("node:assert/strict");
const { emulatorClient, emulatorOAuthClient } = require("./emulator-shim");

const env = process.env;
const sid = env.TWILIO_ACCOUNT_SID;
const apps = (client) => client.api.v2010.accounts(sid).authorizedConnectApps;
let firstApp;

/** The emulator's admin routes, with the account's own credentials. */
async function admin(method, path, body) {
  const response = await fetch(`${env.TWILIO_BASE_URL}/_emulator/${path}`, {
    method,
    headers: {
      authorization: "Basic " + Buffer.from(`${sid}:${env.TWILIO_AUTH_TOKEN}`).toString("base64"),
      "content-type": "application/json",
    },
    body: body && JSON.stringify(body),
  });
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
  return response.status === 204 ? null : response.json();
}

before(async () => {
  [{ connectAppSid: firstApp }] = await apps(emulatorClient()).list({ limit: 1 });
});

afterEach(() => admin("DELETE", "faults"));

test("fetch one app", async () => {
  const app = await apps(emulatorClient())(firstApp).fetch();
  assert.equal(app.connectAppSid, firstApp);
  assert.equal(app.accountSid, sid);
  assert.ok(Array.isArray(app.permissions));
});

test("a list of several pages", async () => {
  const listed = await apps(emulatorClient()).list({ pageSize: 50 });
  assert.equal(listed.length, 120); // 50 + 50 + 20, following next_page_uri
  assert.equal(new Set(listed.map((a) => a.connectAppSid)).size, 120);
});

test("a missing app is a 404 with Twilio's code", async () => {
  await assert.rejects(apps(emulatorClient())("CN" + "f".repeat(32)).fetch(), (e) => {
    assert.equal(e.status, 404);
    assert.equal(e.code, 20404);
    return true;
  });
});

test("a 429 is waited out from Retry-After", async () => {
  await admin("POST", "faults", { rule: "always:429=1:times=1" });
  const app = await apps(emulatorClient())(firstApp).fetch();
  assert.equal(app.connectAppSid, firstApp);
  const { faults } = await admin("GET", "faults");
  assert.deepEqual([faults[0].fired, faults[0].remaining], [1, 0]);
});

test("a 503 reaches the caller with Twilio's code", async () => {
  await admin("POST", "faults", { rule: "always:status=503/twilio:times=1" });
  await assert.rejects(apps(emulatorClient())(firstApp).fetch(), (e) => {
    assert.equal(e.status, 503);
    assert.equal(e.code, 20503);
    return true;
  });
});

test("OAuth client credentials", async () => {
  const client = emulatorOAuthClient();
  assert.equal((await apps(client)(firstApp).fetch()).connectAppSid, firstApp);
  assert.equal((await apps(client).list({ limit: 10 })).length, 10);
});
