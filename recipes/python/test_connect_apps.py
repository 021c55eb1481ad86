"""twilio-python 9.13 against twilio-emulator: fetch, paging, 404, 429 and OAuth.

Run by ../run.sh, which starts the emulator with 120 generated apps and an OAuth client and
exports what it printed.
"""

import os

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from emulator_shim import emulator_client, emulator_oauth_client

ENV = os.environ
SID = ENV["TWILIO_ACCOUNT_SID"]


def admin(method, path, **kwargs):
    """The emulator's admin routes, with the account's own credentials."""
    response = requests.request(
        method, ENV["TWILIO_BASE_URL"] + "/_emulator/" + path,
        auth=(SID, ENV["TWILIO_AUTH_TOKEN"]), timeout=10, **kwargs,
    )
    response.raise_for_status()
    return response


@pytest.fixture(autouse=True)
def no_faults_left():
    yield
    admin("DELETE", "faults")


def apps(client):
    return client.api.v2010.accounts(SID).authorized_connect_apps


@pytest.fixture(scope="module")
def first_app():
    """The SID of the first app the emulator lists."""
    return apps(emulator_client()).list(limit=1)[0].connect_app_sid


def test_fetch_one_app(first_app):
    app = apps(emulator_client())(first_app).fetch()
    assert app.connect_app_sid == first_app
    assert app.account_sid == SID
    assert isinstance(app.permissions, list)


def test_a_list_of_several_pages():
    listed = apps(emulator_client()).list(page_size=50)
    assert len(listed) == 120  # three pages: 50 + 50 + 20, followed by next_page_uri
    assert len({a.connect_app_sid for a in listed}) == 120


def test_a_missing_app_is_a_404_with_twilios_code():
    with pytest.raises(TwilioRestException) as e:
        apps(emulator_client())("CN" + "f" * 32).fetch()
    assert (e.value.status, e.value.code) == (404, 20404)


def test_a_429_is_waited_out_from_retry_after(first_app):
    admin("POST", "faults", json={"rule": "always:429=1:times=1"})
    app = apps(emulator_client())(first_app).fetch()
    assert app.connect_app_sid == first_app
    [rule] = admin("GET", "faults").json()["faults"]
    assert (rule["fired"], rule["remaining"]) == (1, 0)


def test_a_503_reaches_the_caller_with_twilios_code(first_app):
    admin("POST", "faults", json={"rule": "always:status=503/twilio:times=1"})
    with pytest.raises(TwilioRestException) as e:
        apps(emulator_client())(first_app).fetch()
    assert (e.value.status, e.value.code) == (503, 20503)


def test_oauth_client_credentials(first_app):
    client = emulator_oauth_client()
    assert apps(client)(first_app).fetch().connect_app_sid == first_app
    assert len(apps(client).list(limit=10)) == 10
