// twilio-node: every subaccount's apps, 8 requests at a time (a worker pool of 8 promises).
// Lists the accounts of TWILIO_ACCOUNT_SID at TWILIO_BASE_URL, then each account's authorized
// Connect Apps. Prints the wall time (ms), the accounts read and the apps found.
const twilio = require("twilio");
const client = twilio(process.env.TWILIO_ACCOUNT_SID, process.env.TWILIO_AUTH_TOKEN);
client.api.baseUrl = process.env.TWILIO_BASE_URL;
(async () => {
  const start = process.hrtime.bigint();
  const accounts = await client.api.v2010.accounts.list({ pageSize: 1000 });
  const queue = accounts.map((a) => a.sid);
  let apps = 0;
  const worker = async () => {
    for (let sid = queue.shift(); sid !== undefined; sid = queue.shift()) {
      const found = await client.api.v2010.accounts(sid).authorizedConnectApps.list({ pageSize: 1000 });
      apps += found.length;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`${ms.toFixed(1)} ${accounts.length} ${apps}`);
})();
