"""The official Codat SDK, pointed at a live `spendsync serve`, runs the whole expense flow on
the QuickBooks Online sandbox (its UK company: VAT, multicurrency): Intuit's OAuth redirect
flow, mapping options, configuration, every transaction type, receipts, an update — then each
record is checked in the sandbox's own QBO API."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from codat_sync_for_expenses import CodatSyncExpenses
from codat_sync_for_expenses.models import shared
from pydantic import SecretStr
from sqlalchemy import Engine

from spendsync.jobs import engine as jobs_engine
from tests.connectors.qbo_support import (
    QBO_CLIENT_SECRET,
    UK_REALM_ID,
    QboBooks,
    qbo_settings,
    running_qbo_sandbox,
)
from tests.live_server import free_port, running_server

pytestmark = pytest.mark.live

APP = "sdk-e2e-qbo-app"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfabd40000000049454e44ae426082"
)


@pytest.fixture
def qbo_url() -> Iterator[str]:
    with running_qbo_sandbox(UK_REALM_ID) as url:
        yield url


@pytest.fixture
def live(
    database_url: str,
    jobs_database_url: str,
    secret_key: str,
    engine: Engine,
    worker: object,
    qbo_url: str,
    tmp_path: Path,
) -> Iterator[str]:
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    registered = httpx.post(
        f"{qbo_url}/_control/qbo/apps",
        json={
            "client_id": APP,
            "client_secret": QBO_CLIENT_SECRET,
            "redirect_uris": [f"{public_url}/link/callback/quickbooksonline"],
        },
    )
    assert registered.status_code == 201, registered.text
    qbo = qbo_settings(qbo_url, qbo_client_id=APP)
    env = {
        f"SPENDSYNC_{k.upper()}": str(v.get_secret_value() if isinstance(v, SecretStr) else v)
        for k, v in qbo.items()
    }
    env["SPENDSYNC_SECRET_KEY"] = secret_key
    # Syncs run on this test process's worker: give it the same QBO app.
    context = jobs_engine.worker_context()
    original = context.settings
    object.__setattr__(context, "settings", original.model_copy(update=qbo))
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


def _done(sdk: CodatSyncExpenses, company_id: str, sync_id: str) -> Any:
    return wait(
        lambda: (
            (
                s := sdk.sync.get(request={"company_id": company_id, "sync_id": sync_id})
            ).sync_status_code
            != 1000
            and s
        )
    )


def _named(live: str, key: str, company_id: str, kind: str, name: str) -> str:
    found = httpx.get(
        f"{live}/companies/{company_id}/data/{kind}s",
        params={"query": f"{kind}Name={name}"},
        headers={"Authorization": f"Basic {key}"},
    ).json()["results"]
    return str(found[0]["id"])


def test_expense_flow_with_the_codat_sdk_on_quickbooks(live: str, qbo_url: str, new_key) -> None:
    key = new_key().key
    sdk = CodatSyncExpenses(security=shared.Security(auth_header=f"Basic {key}"), server_url=live)
    company = sdk.companies.create(request={"name": "Demo UK"})
    connection = sdk.connections.create(
        request={"company_id": company.id, "request_body": {"platform_key": "qhyg"}}
    )
    assert connection.status == "PendingAuth"

    # The customer follows the linkUrl: spendsync → Intuit consent → back with the realmId.
    to_intuit = httpx.get(connection.link_url, follow_redirects=False)
    assert to_intuit.status_code == 302
    to_us = httpx.get(to_intuit.headers["location"], follow_redirects=False)
    back = urlparse(to_us.headers["location"])
    assert back.netloc == urlparse(live).netloc
    assert parse_qs(back.query)["realmId"] == [UK_REALM_ID]
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
    card, travel = accounts["Company Card"], accounts["Travel"]
    assert card.is_bank_account is True
    vat = next(t for t in options.tax_rates or [] if t.name == "20.0% S")
    tracking = {t.name: t for t in options.tracking_categories or []}
    sdk.configuration.set(
        request={
            "company_id": company.id,
            "company_configuration": {
                "bank_account": {"id": card.id},
                "supplier": {"id": _named(live, key, company.id, "supplier", "Pret A Manger")},
                "customer": {"id": _named(live, key, company.id, "customer", "Initech Ltd")},
            },
        }
    )

    def taxed(net: float, account: Any = travel) -> dict[str, Any]:
        return {
            "net_amount": net,
            "tax_amount": round(net * 0.2, 2),
            "tax_rate_ref": {"id": vat.id},
            "account_ref": {"id": account.id},
        }

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
                    "lines": [taxed(10)],
                },
                {
                    "id": str(uuid.uuid4()),
                    "type": "Refund",
                    "issue_date": "2026-11-03",
                    "currency": "GBP",
                    "merchant_name": "Pret A Manger",
                    "lines": [taxed(5)],
                },
            ],
        }
    )
    assert _done(sdk, company.id, created.sync_id).sync_status_code == 2000
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
                "lines": [taxed(12)],
            },
        }
    )
    assert _done(sdk, company.id, updated.sync_id).sync_status_code == 2000

    # Every other type: a reward, a chargeback, a USD spend on the USD card with a class and a
    # location, a transfer paying the card off, a reimbursable with its receipt, an adjustment.
    usd_card, sales = accounts["USD Card"], accounts["Sales"]
    bank, meals = accounts["Current Account"], accounts["Meals"]
    more = sdk.expenses.create(
        request={
            "company_id": company.id,
            "request_body": [
                {
                    "id": str(uuid.uuid4()),
                    "type": "Reward",
                    "issue_date": "2026-11-05",
                    "currency": "GBP",
                    "lines": [{"net_amount": 5, "account_ref": {"id": sales.id}}],
                },
                {
                    "id": str(uuid.uuid4()),
                    "type": "Chargeback",
                    "issue_date": "2026-11-06",
                    "currency": "GBP",
                    "merchant_name": "Pret A Manger",
                    "lines": [taxed(10)],
                },
                {
                    "id": str(uuid.uuid4()),
                    "type": "Payment",
                    "issue_date": "2026-11-07",
                    "currency": "USD",
                    "currency_rate": "0.8",
                    "bank_account_ref": {"id": usd_card.id},
                    "contact_ref": {
                        "id": _named(live, key, company.id, "supplier", "Amazon US"),
                        "type": "Supplier",
                    },
                    "merchant_name": "Amazon",
                    "lines": [
                        {
                            "net_amount": 40,
                            "account_ref": {"id": travel.id},
                            "tracking_refs": [
                                {
                                    "id": tracking["Operations:Support"].id,
                                    "data_type": "trackingCategories",
                                },
                                {"id": tracking["London"].id, "data_type": "trackingCategories"},
                            ],
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
                    "contact_ref": {"id": _named(live, key, company.id, "supplier", "Alice Brown")},
                    "issue_date": "2026-11-10",
                    "due_date": "2026-11-24",
                    "currency": "GBP",
                    "lines": [taxed(20)],
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
                        {"amount": 15, "account_ref": {"id": meals.id}},
                        {"amount": -15, "account_ref": {"id": travel.id}},
                    ],
                }
            ],
        }
    )
    for sync_id in (more.sync_id, transfer.sync_id, claim.sync_id, journal.sync_id):
        assert _done(sdk, company.id, sync_id).sync_status_code == 2000, sync_id
    sdk.attachments.upload(
        request={
            "company_id": company.id,
            "sync_id": claim.sync_id,
            "transaction_id": claim_id,
            "attachment_upload": {
                "file": {"file_name": "claim.png", "content": PNG, "content_type": "image/png"}
            },
        }
    )

    # The sandbox's own QBO API shows exactly these records.
    books = QboBooks(qbo_url, UK_REALM_ID)
    purchases = books.query("select * from Purchase")
    charges = [p for p in purchases if not p.get("Credit")]
    credits = [p for p in purchases if p.get("Credit")]
    assert sorted((p["CurrencyRef"]["value"], p["TotalAmt"]) for p in charges) == [
        ("GBP", 14.4),
        ("USD", 40.0),
    ]
    assert sorted(p["TotalAmt"] for p in credits) == [5.0, 6.0, 12.0]
    payment = next(p for p in charges if p["CurrencyRef"]["value"] == "GBP")
    [line] = payment["Line"]
    detail = line["AccountBasedExpenseLineDetail"]
    assert (line["Amount"], detail["TaxCodeRef"]["value"]) == (12.0, vat.id)
    assert payment["TxnTaxDetail"]["TotalTax"] == 2.4
    assert attachments(books, payment["Id"]) == ["receipt.pdf"]
    usd = next(p for p in charges if p["CurrencyRef"]["value"] == "USD")
    assert usd["ExchangeRate"] == 0.8
    assert usd["DepartmentRef"]["value"] == books.find("Department", "London")["Id"]
    assert (
        usd["Line"][0]["AccountBasedExpenseLineDetail"]["ClassRef"]["value"]
        == (books.find("Class", "Operations:Support")["Id"])
    )
    [moved] = books.query("select * from Transfer")
    assert moved["Amount"] == 100.0
    [bill] = books.query("select * from Bill")
    assert bill["TotalAmt"] == 24.0
    assert bill["VendorRef"]["value"] == books.find("Vendor", "Alice Brown (expenses)")["Id"]
    assert attachments(books, bill["Id"]) == ["claim.png"]
    [posted] = books.query("select * from JournalEntry")
    assert (posted["DocNumber"], posted["TotalAmt"]) == ("Reclassify", 15.0)


def attachments(books: QboBooks, record_id: str) -> list[str]:
    return [
        str(a["FileName"])
        for a in books.query(
            f"select * from Attachable where AttachableRef.EntityRef.value = '{record_id}'"
        )
    ]
