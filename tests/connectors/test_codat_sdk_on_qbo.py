"""The official Codat SDK, pointed at a live `spendsync serve`, runs the whole expense flow on
the QuickBooks Online sandbox (its UK company: VAT, multicurrency): Intuit's OAuth redirect
flow, mapping options, configuration, every transaction type, receipts, an update — then each
record is checked in the sandbox's own QBO API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import Engine

from tests.connectors.codat_sdk import (
    PDF,
    PNG,
    attach,
    card_repayment,
    card_spend,
    chargeback,
    claim,
    codat_client,
    configure,
    create_expenses,
    finished,
    link,
    named,
    reclassify,
    register_app,
    reward,
    spendsync_serving,
    update_payment,
    usd_card_spend,
    wait_for_pulls,
)
from tests.connectors.qbo_support import (
    QBO_CLIENT_SECRET,
    UK_REALM_ID,
    QboBooks,
    qbo_settings,
    running_qbo_sandbox,
)
from tests.live_server import free_port

pytestmark = pytest.mark.live

APP = "sdk-e2e-qbo-app"


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
    callback = f"http://127.0.0.1:{port}/link/callback/quickbooksonline"
    register_app(f"{qbo_url}/_control/qbo/apps", APP, QBO_CLIENT_SECRET, callback)
    qbo = qbo_settings(qbo_url, qbo_client_id=APP)
    with spendsync_serving(database_url, jobs_database_url, secret_key, tmp_path, port, qbo) as url:
        yield url


def test_expense_flow_with_the_codat_sdk_on_quickbooks(live: str, qbo_url: str, new_key) -> None:
    key = new_key().key
    sdk = codat_client(live, key)
    # The customer follows the linkUrl: spendsync → Intuit consent → back with the realmId.
    company, _, callback = link(sdk, live, "qhyg")
    assert parse_qs(callback.query)["realmId"] == [UK_REALM_ID]
    wait_for_pulls(sdk, company.id)
    options = sdk.mapping_options.get_mapping_options(request={"company_id": company.id})
    accounts = {a.name: a for a in options.accounts or []}
    card, travel = accounts["Company Card"], accounts["Travel"]
    assert card.is_bank_account is True
    vat = next(t for t in options.tax_rates or [] if t.name == "20.0% S")
    tracking = {t.name: t for t in options.tracking_categories or []}
    configure(
        sdk,
        company.id,
        card.id,
        named(live, key, company.id, "supplier", "Pret A Manger"),
        named(live, key, company.id, "customer", "Initech Ltd"),
    )

    def taxed(net: float) -> dict[str, Any]:
        return {
            "net_amount": net,
            "tax_amount": round(net * 0.2, 2),
            "tax_rate_ref": {"id": vat.id},
            "account_ref": {"id": travel.id},
        }

    payment_id, created = card_spend(sdk, company.id, taxed)
    assert finished(sdk, company.id, created.sync_id).sync_status_code == 2000
    transactions = sdk.transaction_status.list(
        request={"company_id": company.id, "sync_id": created.sync_id}
    )
    assert {t.status for t in transactions.results} == {"Completed"}
    attachment = attach(
        sdk, company.id, created.sync_id, payment_id, "receipt.pdf", PDF, "application/pdf"
    )
    assert attachment.transaction_id == payment_id
    updated = update_payment(sdk, company.id, payment_id, taxed)
    assert finished(sdk, company.id, updated.sync_id).sync_status_code == 2000

    # Every other type: a reward, a chargeback, a USD spend on the USD card with a class and a
    # location, a transfer paying the card off, a reimbursable with its receipt, an adjustment.
    usd_card, sales = accounts["USD Card"], accounts["Sales"]
    bank, meals = accounts["Current Account"], accounts["Meals"]
    spend = usd_card_spend(
        usd_card.id,
        travel.id,
        [tracking["Operations:Support"].id, tracking["London"].id],
        contact_ref={
            "id": named(live, key, company.id, "supplier", "Amazon US"),
            "type": "Supplier",
        },
        merchant_name="Amazon",
    )
    more = create_expenses(sdk, company.id, [reward(sales.id), chargeback(taxed), spend])
    transfer = card_repayment(sdk, company.id, bank.id, card.id)
    claim_id = str(uuid.uuid4())
    alice = named(live, key, company.id, "supplier", "Alice Brown")
    claimed = claim(sdk, company.id, claim_id, alice, taxed)
    journal = reclassify(sdk, company.id, meals.id, travel.id)
    for sync_id in (more.sync_id, transfer.sync_id, claimed.sync_id, journal.sync_id):
        assert finished(sdk, company.id, sync_id).sync_status_code == 2000, sync_id
    attach(sdk, company.id, claimed.sync_id, claim_id, "claim.png", PNG, "image/png")

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
