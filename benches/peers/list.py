"""twilio-python: lists every app of TWILIO_ACCOUNT_SID at TWILIO_BASE_URL in pages of 1000.

`python list.py` prints the in-process time (ms) and the count; `python list.py FILE` also
writes each record as a JSON line to FILE (the whole-process comparison)."""
import json
import os
import sys
import time

from twilio.rest import Client

client = Client(os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])
client.api.base_url = os.environ["TWILIO_BASE_URL"]
start = time.perf_counter()
apps = client.api.v2010.accounts(os.environ["TWILIO_ACCOUNT_SID"]).authorized_connect_apps.list(
    page_size=1000
)
ms = (time.perf_counter() - start) * 1000
if len(sys.argv) > 1:
    with open(sys.argv[1], "w") as out:
        for app in apps:
            out.write(json.dumps({k: getattr(app, k) for k in (
                "account_sid", "connect_app_company_name", "connect_app_description",
                "connect_app_friendly_name", "connect_app_homepage_url", "connect_app_sid",
                "permissions", "uri")}) + "\n")
print(f"{ms:.1f} {len(apps)}")
