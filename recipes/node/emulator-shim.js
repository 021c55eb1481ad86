// Point twilio-node at the twilio-emulator: the whole shim.
//
// twilio-node has no base-URL setting (it reads TWILIO_EDGE and TWILIO_REGION only), so the
// shim is a RequestClient that rewrites Twilio's two origins to the emulator's and waits out
// a 429's Retry-After (twilio-node's own autoRetry ignores Retry-After), and a token manager
// whose token request goes through that client too (twilio-node's own makes a client of its
// own, which no option reaches).
"use strict";

const twilio = require("twilio");

const TWILIO_ORIGINS = ["https://api.twilio.com", "https://oauth.twilio.com"];

class EmulatorRequestClient extends twilio.RequestClient {
  constructor(baseUrl, { max429Retries = 3, maxWaitMs = 30000 } = {}) {
    super();
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.max429Retries = max429Retries;
    this.maxWaitMs = maxWaitMs;
  }

  async request(opts) {
    const origin = TWILIO_ORIGINS.find((o) => opts.uri.startsWith(o));
    const uri = origin ? this.baseUrl + opts.uri.slice(origin.length) : opts.uri;
    for (let attempt = 0; ; attempt++) {
      const response = await super.request({ ...opts, uri });
      if (response.statusCode !== 429 || attempt >= this.max429Retries) return response;
      const seconds = Number(response.headers["retry-after"] ?? 1);
      await new Promise((r) => setTimeout(r, Math.min(seconds * 1000, this.maxWaitMs)));
    }
  }
}

class EmulatorTokenManager {
  constructor(params, httpClient) {
    this.params = params;
    this.httpClient = httpClient;
  }

  getParams() {
    return this.params;
  }

  async fetchToken() {
    const client = new twilio.Twilio(undefined, undefined, { httpClient: this.httpClient });
    client.setCredentialProvider(new twilio.NoAuthCredentialProvider());
    return (await client.oauth.v2.token.create(this.params)).accessToken;
  }
}

/** A client with the emulator's Basic credentials (what `twilio-emulator` printed). */
function emulatorClient(env = process.env) {
  return twilio(env.TWILIO_ACCOUNT_SID, env.TWILIO_AUTH_TOKEN, {
    httpClient: new EmulatorRequestClient(env.TWILIO_BASE_URL),
  });
}

/** A client with OAuth client credentials: the token request goes to the emulator too. */
function emulatorOAuthClient(env = process.env) {
  const params = {
    grantType: "client_credentials",
    clientId: env.TWILIO_CLIENT_ID,
    clientSecret: env.TWILIO_CLIENT_SECRET,
  };
  const provider = new twilio.ClientCredentialProviderBuilder()
    .setClientId(params.clientId)
    .setClientSecret(params.clientSecret)
    .setTokenManager(new EmulatorTokenManager(params, new EmulatorRequestClient(env.TWILIO_OAUTH_BASE_URL)))
    .build();
  const client = new twilio.Twilio(undefined, undefined, {
    accountSid: env.TWILIO_ACCOUNT_SID,
    httpClient: new EmulatorRequestClient(env.TWILIO_BASE_URL),
  });
  client.setCredentialProvider(provider);
  return client;
}

module.exports = { EmulatorRequestClient, emulatorClient, emulatorOAuthClient };
