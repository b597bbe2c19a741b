"""The official Codat SDK, pointed at a live `spendsync serve`, runs the whole expense flow on
the Xero sandbox: the real OAuth redirect flow, mapping options, configuration, transactions,
a receipt, an update, and statuses."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from codat_sync_for_expenses import CodatSyncExpenses
from codat_sync_for_expenses.models import shared
from pydantic import SecretStr
from sqlalchemy import Engine

from spendsync.jobs import engine as jobs_engine
from tests.connectors.conftest import CLIENT_SECRET
from tests.live_server import free_port, running_server

pytestmark = pytest.mark.live


@pytest.fixture
def live(
    database_url: str,
    jobs_database_url: str,
    secret_key: str,
    engine: Engine,
    worker: object,
    sandbox_url: str,
    tmp_path: Path,
) -> Iterator[str]:
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    registered = httpx.post(
        f"{sandbox_url}/_control/xero/apps",
        json={
            "client_id": "sdk-e2e-app",
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [f"{public_url}/link/callback/xero"],
        },
    )
    assert registered.status_code == 201, registered.text
    xero = {
        "xero_client_id": "sdk-e2e-app",
        "xero_client_secret": SecretStr(CLIENT_SECRET),
        "xero_authorize_url": f"{sandbox_url}/identity/connect/authorize",
        "xero_token_url": f"{sandbox_url}/connect/token",
        "xero_connections_url": f"{sandbox_url}/connections",
        "xero_revocation_url": f"{sandbox_url}/connect/revocation",
        "xero_api_url": f"{sandbox_url}/api.xro/2.0",
    }
    env = {
        f"SPENDSYNC_{k.upper()}": (v.get_secret_value() if isinstance(v, SecretStr) else v)
        for k, v in xero.items()
    }
    env["SPENDSYNC_SECRET_KEY"] = secret_key
    # Syncs run on this test process's worker: give it the same Xero app.
    context = jobs_engine.worker_context()
    original = context.settings
    object.__setattr__(context, "settings", original.model_copy(update=xero))
    try:
        with running_server(
            database_url,
            tmp_path,
            jobs_database_url=jobs_database_url,
            worker=False,
            port=port,
            extra_env=env,
        ) as url:
            yield url
    finally:
        object.__setattr__(context, "settings", original)


def wait(check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_expense_flow_with_the_codat_sdk(live: str, sandbox_url: str, new_key) -> None:
    key = new_key().key
    sdk = CodatSyncExpenses(security=shared.Security(auth_header=f"Basic {key}"), server_url=live)
    company = sdk.companies.create(request={"name": "Demo UK"})
    connection = sdk.connections.create(
        request={"company_id": company.id, "request_body": {"platform_key": "gbol"}}
    )
    assert connection.status == "PendingAuth"

    # The customer follows the linkUrl: spendsync → Xero consent → back to spendsync.
    to_xero = httpx.get(connection.link_url, follow_redirects=False)
    assert to_xero.status_code == 302
    to_us = httpx.get(to_xero.headers["location"], follow_redirects=False)
    assert urlparse(to_us.headers["location"]).netloc == urlparse(live).netloc
    assert httpx.get(to_us.headers["location"]).status_code == 200
    linked = sdk.connections.get(request={"company_id": company.id, "connection_id": connection.id})
    assert linked.status == "Linked"
    sdk.connections.create_partner_expense_connection(request={"company_id": company.id})

    wait(
        lambda: (
            (
                ops := sdk.manage_data.list_pull_operations(
                    request={"company_id": company.id}
                ).results
            )
            and len(ops) == 5
            and all(op.is_completed for op in ops)
        )
    )
    options = sdk.mapping_options.get_mapping_options(request={"company_id": company.id})
    accounts = {a.name: a for a in options.accounts or []}
    card, travel = accounts["Company Card"], accounts["Travel - National"]
    assert card.is_bank_account is True
    suppliers = httpx.get(
        f"{live}/companies/{company.id}/data/suppliers",
        params={"query": "supplierName=Pret A Manger"},
        headers={"Authorization": f"Basic {key}"},
    ).json()["results"]
    customers = httpx.get(
        f"{live}/companies/{company.id}/data/customers",
        params={"query": "customerName=Acme Retail Ltd"},
        headers={"Authorization": f"Basic {key}"},
    ).json()["results"]
    sdk.configuration.set(
        request={
            "company_id": company.id,
            "company_configuration": {
                "bank_account": {"id": card.id},
                "supplier": {"id": suppliers[0]["id"]},
                "customer": {"id": customers[0]["id"]},
            },
        }
    )

    payment_id = str(uuid.uuid4())
    created = sdk.expenses.create(
        request={
            "company_id": company.id,
            "request_body": [
                {
                    "id": payment_id,
                    "type": "Payment",
                    "issue_date": "2026-11-02",
                    "currency": "GBP",
                    "merchant_name": "Pret A Manger",
                    "lines": [
                        {
                            "net_amount": 10,
                            "tax_amount": 2,
                            "tax_rate_ref": {"id": "INPUT2"},
                            "account_ref": {"id": travel.id},
                        }
                    ],
                },
                {
                    "id": str(uuid.uuid4()),
                    "type": "Refund",
                    "issue_date": "2026-11-03",
                    "currency": "GBP",
                    "merchant_name": "Pret A Manger",
                    "lines": [
                        {
                            "net_amount": 5,
                            "tax_amount": 1,
                            "tax_rate_ref": {"id": "INPUT2"},
                            "account_ref": {"id": travel.id},
                        }
                    ],
                },
            ],
        }
    )
    status = wait(
        lambda: (
            (
                s := sdk.sync.get(request={"company_id": company.id, "sync_id": created.sync_id})
            ).sync_status_code
            != 1000
            and s
        )
    )
    assert status.sync_status_code == 2000
    transactions = sdk.transaction_status.list(
        request={"company_id": company.id, "sync_id": created.sync_id}
    )
    assert {t.status for t in transactions.results} == {"Completed"}

    attachment = sdk.attachments.upload(
        request={
            "company_id": company.id,
            "sync_id": created.sync_id,
            "transaction_id": payment_id,
            "attachment_upload": {
                "file": {
                    "file_name": "receipt.pdf",
                    "content": b"%PDF-1.4\n%%EOF\n",
                    "content_type": "application/pdf",
                }
            },
        }
    )
    assert attachment.transaction_id == payment_id

    updated = sdk.expenses.update(
        request={
            "company_id": company.id,
            "transaction_id": payment_id,
            "update_expense_request": {
                "type": "Payment",
                "issue_date": "2026-11-02",
                "currency": "GBP",
                "merchant_name": "Pret A Manger",
                "lines": [
                    {
                        "net_amount": 12,
                        "tax_amount": 2.4,
                        "tax_rate_ref": {"id": "INPUT2"},
                        "account_ref": {"id": travel.id},
                    }
                ],
            },
        }
    )
    final = wait(
        lambda: (
            (
                s := sdk.sync.get(request={"company_id": company.id, "sync_id": updated.sync_id})
            ).sync_status_code
            != 1000
            and s
        )
    )
    assert final.sync_status_code == 2000
    latest = sdk.sync.get_latest_sync(request={"company_id": company.id})
    assert latest.sync_id == updated.sync_id

    # Every other type: a reward, a chargeback, a USD spend on the USD card with tracking, a
    # transfer paying the card off, a reimbursable expense with its receipt, an adjustment.
    usd_card, income = accounts["USD Card"], accounts["Card Cashback Rewards"]
    bank, general = accounts["Business Bank Account"], accounts["General Expenses"]
    sales = next(t for t in options.tracking_categories or [] if t.name == "Sales")
    more = sdk.expenses.create(
        request={
            "company_id": company.id,
            "request_body": [
                {
                    "id": str(uuid.uuid4()),
                    "type": "Reward",
                    "issue_date": "2026-11-05",
                    "currency": "GBP",
                    "lines": [{"net_amount": 5, "account_ref": {"id": income.id}}],
                },
                {
                    "id": str(uuid.uuid4()),
                    "type": "Chargeback",
                    "issue_date": "2026-11-06",
                    "currency": "GBP",
                    "merchant_name": "Pret A Manger",
                    "lines": [
                        {
                            "net_amount": 10,
                            "tax_amount": 2,
                            "tax_rate_ref": {"id": "INPUT2"},
                            "account_ref": {"id": travel.id},
                        }
                    ],
                },
                {
                    "id": str(uuid.uuid4()),
                    "type": "Payment",
                    "issue_date": "2026-11-07",
                    "currency": "USD",
                    "currency_rate": "0.8",
                    "bank_account_ref": {"id": usd_card.id},
                    "merchant_name": "Pret A Manger",
                    "lines": [
                        {
                            "net_amount": 40,
                            "account_ref": {"id": travel.id},
                            "tracking_refs": [{"id": sales.id, "data_type": "trackingCategories"}],
                        }
                    ],
                },
            ],
        }
    )
    transfer = sdk.transfers.create(
        request={
            "company_id": company.id,
            "transaction_id": str(uuid.uuid4()),
            "transfer_transaction_request": {
                "date_": "2026-11-28",
                "description": "Card repayment",
                "from_": {"account_ref": {"id": bank.id}, "amount": 100},
                "to": {"account_ref": {"id": card.id}, "amount": 100},
            },
        }
    )
    claim_id = str(uuid.uuid4())
    claim = sdk.reimbursements.create(
        request={
            "company_id": company.id,
            "request_body": [
                {
                    "id": claim_id,
                    "reference": "Claim 1",
                    "contact_ref": {"id": suppliers_named(live, key, company.id, "Jane Cooper")},
                    "issue_date": "2026-11-10",
                    "due_date": "2026-11-24",
                    "currency": "GBP",
                    "lines": [
                        {
                            "net_amount": 20,
                            "tax_amount": 4,
                            "tax_rate_ref": {"id": "INPUT2"},
                            "account_ref": {"id": travel.id},
                        }
                    ],
                }
            ],
        }
    )
    journal = sdk.adjustments.create(
        request={
            "company_id": company.id,
            "request_body": [
                {
                    "id": str(uuid.uuid4()),
                    "date_": "2026-11-30",
                    "currency": "GBP",
                    "reference": "Reclassify",
                    "lines": [
                        {"amount": 15, "account_ref": {"id": general.id}},
                        {"amount": -15, "account_ref": {"id": travel.id}},
                    ],
                }
            ],
        }
    )
    for sync_id in (more.sync_id, transfer.sync_id, claim.sync_id, journal.sync_id):
        done = wait(
            lambda sync_id=sync_id: (
                (
                    s := sdk.sync.get(request={"company_id": company.id, "sync_id": sync_id})
                ).sync_status_code
                != 1000
                and s
            )
        )
        assert done.sync_status_code == 2000, sync_id
    sdk.attachments.upload(
        request={
            "company_id": company.id,
            "sync_id": claim.sync_id,
            "transaction_id": claim_id,
            "attachment_upload": {
                "file": {
                    "file_name": "claim.png",
                    "content": PNG,
                    "content_type": "image/png",
                }
            },
        }
    )

    # The sandbox's own Xero API shows exactly these records.
    books = XeroBooks(sandbox_url, linked.connection_info)
    spends = books.get("BankTransactions", where='Type=="SPEND"')
    receives = books.get("BankTransactions", where='Type=="RECEIVE"')
    assert sorted((t["CurrencyCode"], t["Total"]) for t in spends) == [("GBP", 14.4), ("USD", 40)]
    assert sorted(t["Total"] for t in receives) == [5, 6, 12]
    payment = next(t for t in spends if t["CurrencyCode"] == "GBP")
    [line] = payment["LineItems"]
    assert (line["TaxType"], line["TaxAmount"], line["LineAmount"]) == ("INPUT2", 2.4, 12)
    assert books.attachments("BankTransactions", payment["BankTransactionID"]) == ["receipt.pdf"]
    usd = next(t for t in spends if t["CurrencyCode"] == "USD")
    assert usd["CurrencyRate"] == 1.25
    assert [o["Option"] for o in usd["LineItems"][0]["Tracking"]] == ["Sales"]
    [moved] = books.get("BankTransfers")
    assert moved["Amount"] == 100
    [bill] = books.get("Invoices", where='Type=="ACCPAY"')
    assert (bill["Total"], bill["Contact"]["Name"]) == (24, "Jane Cooper")
    assert books.attachments("Invoices", bill["InvoiceID"]) == ["claim.png"]
    [posted] = books.get("ManualJournals")
    assert posted["Narration"] == "Reclassify"


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfabd40000000049454e44ae426082"
)


def suppliers_named(live: str, key: str, company_id: str, name: str) -> str:
    found = httpx.get(
        f"{live}/companies/{company_id}/data/suppliers",
        params={"query": f"supplierName={name}"},
        headers={"Authorization": f"Basic {key}"},
    ).json()["results"]
    return str(found[0]["id"])


class XeroBooks:
    """Reads the organisation's records through the sandbox's Xero API, as Xero would."""

    def __init__(self, sandbox_url: str, connection_info: Any) -> None:
        token = httpx.post(
            f"{sandbox_url}/_control/xero/tokens", json={"client_id": "sdk-e2e-app"}
        ).json()["access_token"]
        self.url = f"{sandbox_url}/api.xro/2.0"
        tenant = (connection_info or {}).get("tenantId")
        self.headers = {
            "Authorization": f"Bearer {token}",
            "xero-tenant-id": str(tenant),
            "Accept": "application/json",
        }

    def get(self, collection: str, where: str | None = None) -> list[dict[str, Any]]:
        params = {"where": where} if where else {}
        response = httpx.get(f"{self.url}/{collection}", params=params, headers=self.headers)
        response.raise_for_status()
        return list(response.json()[collection])

    def attachments(self, collection: str, record_id: str) -> list[str]:
        response = httpx.get(
            f"{self.url}/{collection}/{record_id}/Attachments", headers=self.headers
        )
        response.raise_for_status()
        return [a["FileName"] for a in response.json()["Attachments"]]
