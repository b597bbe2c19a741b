"""End to end over a real loopback socket, the way the QBO connector will talk to it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from spendsync.sandboxes.control import RateLimits
from spendsync.sandboxes.qbo import QboSandboxConfig, create_app
from spendsync.sandboxes.qbo.app import DEFAULT_APP
from spendsync.sandboxes.qbo.seed import UK_REALM_ID
from tests.live_server import serving_in_thread


@pytest.fixture
def base_url() -> Iterator[str]:
    config = QboSandboxConfig(
        auto_consent=True,
        auto_consent_realm_id=UK_REALM_ID,
        clock_scale=20,  # a sandbox minute lasts three real seconds
        limits=RateLimits(
            per_minute=4, per_day=None, app_per_minute=None, per_second=None, concurrent=10
        ),
    )
    with serving_in_thread(create_app(config)) as url:
        yield url


def test_connector_style_session_over_loopback(base_url: str) -> None:
    redirect = DEFAULT_APP.redirect_uris[0]
    basic = (DEFAULT_APP.client_id, DEFAULT_APP.client_secret or "")
    with httpx.Client(base_url=base_url, timeout=5) as http:
        authorize = http.get(
            "/connect/oauth2",
            params={
                "client_id": DEFAULT_APP.client_id,
                "redirect_uri": redirect,
                "response_type": "code",
                "scope": "com.intuit.quickbooks.accounting",
                "state": "s",
            },
        )
        assert authorize.status_code == 302
        query = parse_qs(urlsplit(authorize.headers["location"]).query)
        realm = query["realmId"][0]
        assert realm == UK_REALM_ID
        tokens = http.post(
            "/oauth2/v1/tokens/bearer",
            data={
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": redirect,
            },
            auth=basic,
        ).json()
        api = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}
        base = f"/v3/company/{realm}"

        cards = http.get(
            f"{base}/query",
            params={
                "query": "select * from Account where AccountType = 'Credit Card'",
                "minorversion": 75,
            },
            headers=api,
        ).json()["QueryResponse"]["Account"]
        card = next(a for a in cards if a["Name"] == "Company Card")
        meals = http.get(
            f"{base}/query",
            params={"query": "select * from Account where Name = 'Meals'"},
            headers=api,
        ).json()["QueryResponse"]["Account"][0]
        purchase = {
            "PaymentType": "CreditCard",
            "AccountRef": {"value": card["Id"]},
            "GlobalTaxCalculation": "NotApplicable",
            "Line": [
                {
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": 12.5,
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": meals["Id"]}},
                }
            ],
        }
        created = http.post(
            f"{base}/purchase",
            params={"requestid": "live-1", "minorversion": 75},
            json=purchase,
            headers=api,
        )
        assert created.status_code == 200, created.text
        purchase_id = created.json()["Purchase"]["Id"]
        boundary = "liveboundary"
        metadata = json.dumps(
            {
                "AttachableRef": [{"EntityRef": {"type": "Purchase", "value": purchase_id}}],
                "FileName": "r.pdf",
                "ContentType": "application/pdf",
            }
        )
        multipart = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file_metadata_01"\r\n'
            f"Content-Type: application/json\r\n\r\n{metadata}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="file_content_01"; '
            f'filename="r.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 receipt\r\n'
            f"--{boundary}--\r\n"
        ).encode()
        uploaded = http.post(
            f"{base}/upload",
            content=multipart,
            headers={**api, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert uploaded.json()["AttachableResponse"][0]["Attachable"]["Size"] == 16

        # Four calls in the (scaled) minute so far: the next is throttled, and Retry-After is in
        # real seconds, so honouring it is enough to get through.
        limited = http.get(f"{base}/preferences", headers=api)
        assert limited.status_code == 429
        assert limited.json()["Fault"]["Error"][0]["code"] == "3001"
        time.sleep(int(limited.headers["Retry-After"]))
        assert http.get(f"{base}/preferences", headers=api).status_code == 200

        # An access token expires after an hour of sandbox time.
        http.post("/_control/clock", json={"advance_seconds": 3600})
        expired = http.get(f"{base}/preferences", headers=api)
        assert expired.status_code == 401
        refreshed = http.post(
            "/oauth2/v1/tokens/bearer",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=basic,
        ).json()
        api["Authorization"] = f"Bearer {refreshed['access_token']}"
        http.put("/_control/limits", json={"per_minute": 500, "per_day": None})

        # A hung upstream: the client's own timeout fires first.
        http.post(
            "/_control/faults",
            json={
                "path": f"{base}/companyinfo/*",
                "faults": [{"kind": "timeout", "delay_seconds": 600}],
            },
        )
        with pytest.raises(httpx.ReadTimeout):
            http.get(f"{base}/companyinfo/{realm}", headers=api, timeout=0.5)
        counters = http.get("/_control/counters").json()
        assert counters["injectedFaults"] == {"timeout": 1}
        assert counters["tooManyRequestsServed"] == 1
