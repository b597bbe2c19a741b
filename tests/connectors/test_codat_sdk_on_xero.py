"""The official Codat SDK, pointed at a live `spendsync serve`, runs the whole expense flow on
the Xero sandbox: the real OAuth redirect flow, mapping options, configuration, transactions,
a receipt, an update, and statuses."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
from tests.connectors.conftest import CLIENT_SECRET
from tests.connectors.xero_support import XeroBooks, xero_settings
from tests.live_server import free_port

pytestmark = pytest.mark.live

APP = "sdk-e2e-app"


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
    callback = f"http://127.0.0.1:{port}/link/callback/xero"
    register_app(f"{sandbox_url}/_control/xero/apps", APP, CLIENT_SECRET, callback)
    xero = xero_settings(sandbox_url, client_id=APP)
    with spendsync_serving(
        database_url, jobs_database_url, secret_key, tmp_path, port, xero
    ) as url:
        yield url


def test_expense_flow_with_the_codat_sdk(live: str, sandbox_url: str, new_key) -> None:
    key = new_key().key
    sdk = codat_client(live, key)
    # The customer follows the linkUrl: spendsync → Xero consent → back to spendsync.
    company, linked, _ = link(sdk, live, "gbol")
    wait_for_pulls(sdk, company.id)
    options = sdk.mapping_options.get_mapping_options(request={"company_id": company.id})
    accounts = {a.name: a for a in options.accounts or []}
    card, travel = accounts["Company Card"], accounts["Travel - National"]
    assert card.is_bank_account is True
    configure(
        sdk,
        company.id,
        card.id,
        named(live, key, company.id, "supplier", "Pret A Manger"),
        named(live, key, company.id, "customer", "Acme Retail Ltd"),
    )

    def taxed(net: float) -> dict[str, Any]:
        return {
            "net_amount": net,
            "tax_amount": round(net * 0.2, 2),
            "tax_rate_ref": {"id": "INPUT2"},
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
    latest = sdk.sync.get_latest_sync(request={"company_id": company.id})
    assert latest.sync_id == updated.sync_id

    # Every other type: a reward, a chargeback, a USD spend on the USD card with tracking, a
    # transfer paying the card off, a reimbursable expense with its receipt, an adjustment.
    usd_card, income = accounts["USD Card"], accounts["Card Cashback Rewards"]
    bank, general = accounts["Business Bank Account"], accounts["General Expenses"]
    sales = next(t for t in options.tracking_categories or [] if t.name == "Sales")
    spend = usd_card_spend(usd_card.id, travel.id, [sales.id], merchant_name="Pret A Manger")
    more = create_expenses(sdk, company.id, [reward(income.id), chargeback(taxed), spend])
    transfer = card_repayment(sdk, company.id, bank.id, card.id)
    claim_id = str(uuid.uuid4())
    jane = named(live, key, company.id, "supplier", "Jane Cooper")
    claimed = claim(sdk, company.id, claim_id, jane, taxed)
    journal = reclassify(sdk, company.id, general.id, travel.id)
    for sync_id in (more.sync_id, transfer.sync_id, claimed.sync_id, journal.sync_id):
        assert finished(sdk, company.id, sync_id).sync_status_code == 2000, sync_id
    attach(sdk, company.id, claimed.sync_id, claim_id, "claim.png", PNG, "image/png")

    # The sandbox's own Xero API shows exactly these records.
    books = XeroBooks(sandbox_url, str((linked.connection_info or {}).get("tenantId")), APP)
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
