"""twilio-python: every subaccount's apps, 8 at a time, as a Python user would write it.

Lists the accounts of TWILIO_ACCOUNT_SID at TWILIO_BASE_URL (pages of 1000), then each
account's authorized Connect Apps in a ThreadPoolExecutor(8). Prints the wall time (ms), the
accounts read and the apps found. `sweep_peers.sh` runs it against an emulator with 1,000
subaccounts and 20 ms latency (the figures of `sweep_figures`)."""
import os
import time
from concurrent.futures import ThreadPoolExecutor

from twilio.rest import Client

client = Client(os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])
client.api.base_url = os.environ["TWILIO_BASE_URL"]
start = time.perf_counter()
accounts = client.api.v2010.accounts.list(page_size=1000)


def apps(sid):
    return client.api.v2010.accounts(sid).authorized_connect_apps.list(page_size=1000)


with ThreadPoolExecutor(8) as pool:
    found = list(pool.map(apps, [a.sid for a in accounts]))
ms = (time.perf_counter() - start) * 1000
print(f"{ms:.1f} {len(accounts)} {sum(len(f) for f in found)}")
