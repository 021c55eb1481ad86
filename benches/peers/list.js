// twilio-node: lists every app of TWILIO_ACCOUNT_SID at TWILIO_BASE_URL in pages of 1000.
// `node list.js` prints the in-process time (ms) and the count; `node list.js FILE` also writes
// each record as a JSON line to FILE (the whole-process comparison with `connect-apps list --json`).
const fs = require("fs");
const twilio = require("twilio");
const client = twilio(process.env.TWILIO_ACCOUNT_SID, process.env.TWILIO_AUTH_TOKEN);
client.api.baseUrl = process.env.TWILIO_BASE_URL;
(async () => {
  const start = process.hrtime.bigint();
  const apps = await client.api.v2010
    .accounts(process.env.TWILIO_ACCOUNT_SID)
    .authorizedConnectApps.list({ pageSize: 1000 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (process.argv[2]) {
    const out = fs.createWriteStream(process.argv[2]);
    for (const app of apps) out.write(JSON.stringify(app.toJSON()) + "\n");
    await new Promise((done) => out.end(done));
  }
  console.log(`${ms.toFixed(1)} ${apps.length}`);
})();
