"""Point twilio-python at the twilio-emulator: the whole shim.

twilio-python has no base-URL setting (it reads TWILIO_EDGE and TWILIO_REGION only), so the
shim is an HTTP client that rewrites Twilio's two origins to the emulator's, and, because the
official clients do not retry a 429, waits out `Retry-After` and tries again.
"""

import os
import time

from twilio.http.client_token_manager import ClientTokenManager
from twilio.http.http_client import TwilioHttpClient
from twilio.credential.client_credential_provider import ClientCredentialProvider
from twilio.rest import Client

TWILIO_ORIGINS = ("https://api.twilio.com", "https://oauth.twilio.com")


class EmulatorHttpClient(TwilioHttpClient):
    """Sends what twilio-python would send to Twilio to `base_url` instead."""

    def __init__(self, base_url, max_429_retries=3, max_wait=30.0):
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.max_429_retries = max_429_retries
        self.max_wait = max_wait

    def request(self, method, url, *args, **kwargs):
        for origin in TWILIO_ORIGINS:
            if url.startswith(origin):
                url = self.base_url + url[len(origin):]
        for attempt in range(self.max_429_retries + 1):
            response = super().request(method, url, *args, **kwargs)
            if response.status_code != 429 or attempt == self.max_429_retries:
                return response
            time.sleep(min(float(response.headers.get("Retry-After", "1")), self.max_wait))
        return response


def emulator_client(env=os.environ):
    """A client with the emulator's Basic credentials (what `twilio-emulator` printed)."""
    return Client(
        env["TWILIO_ACCOUNT_SID"],
        env["TWILIO_AUTH_TOKEN"],
        http_client=EmulatorHttpClient(env["TWILIO_BASE_URL"]),
    )


def emulator_oauth_client(env=os.environ):
    """A client with OAuth client credentials: the token request goes to the emulator too."""
    http = EmulatorHttpClient(env["TWILIO_OAUTH_BASE_URL"])
    manager = ClientTokenManager("client_credentials", env["TWILIO_CLIENT_ID"], env["TWILIO_CLIENT_SECRET"])
    manager.client = Client(http_client=http)
    provider = ClientCredentialProvider(env["TWILIO_CLIENT_ID"], env["TWILIO_CLIENT_SECRET"], token_manager=manager)
    return Client(
        account_sid=env["TWILIO_ACCOUNT_SID"],
        credential_provider=provider,
        http_client=EmulatorHttpClient(env["TWILIO_BASE_URL"]),
    )
