"""The QuickBooks Online connector end to end against the QBO sandbox over a real loopback
socket: the OAuth redirect flow (with `realmId`), reference data of a VAT company and of a US
automated-sales-tax company, every write, updates with SyncToken, an attachment, the batch
endpoint, and each class of failure — checked in the sandbox's own QBO API afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from spendsync.config import Settings
from spendsync.connections.models import Connection
from spendsync.connectors.base import LedgerContext
from spendsync.connectors.credentials import CredentialStore
from spendsync.connectors.qbo.connector import QboLedger
from spendsync.connectors.reference import RecordStatus, ReferenceDataType
from spendsync.connectors.registry import open_ledger
from spendsync.jobs import engine as jobs_engine
from spendsync.jobs.engine import JobQueue
from spendsync.sandboxes.control import RateLimits
from spendsync.syncs import runner
from spendsync.syncs.models import PostedTransaction, SyncTransaction, TransactionStatus
from tests.conftest import auth
from tests.connectors.connector_scenarios import (
    card_payment,
    create_rename_and_duplicate_a_supplier,
    mapping_options,
    push,
    push_options,
    read_all_again,
    sandbox_counters,
)
from tests.connectors.qbo_support import (
    QBO_CLIENT_ID,
    QBO_CLIENT_SECRET,
    UK_REALM_ID,
    US_REALM_ID,
    QboBooks,
    link_qbo,
    qbo_settings,
    running_qbo_sandbox,
    spendsync_on_qbo,
)
from tests.expenses.test_expense_sync import wait_for_sync
from tests.reference.test_reference_data import wait_for_pulls


@pytest.fixture
def uk_url() -> Iterator[str]:
    with running_qbo_sandbox(UK_REALM_ID) as url:
        yield url


@pytest.fixture
def uk_api(
    settings: Settings, engine: Engine, worker: JobQueue, uk_url: str
) -> Iterator[TestClient]:
    with spendsync_on_qbo(settings, engine, worker, uk_url) as client:
        yield client


def _ready(api: TestClient, new_key: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """A linked company with its reference data read; returns it and ids by name."""
    company = link_qbo(api, auth(new_key().key))
    wait_for_pulls(api, company, 5)
    options = mapping_options(api, company)
    ids = {a["name"]: a["id"] for a in options["accounts"]}
    ids.update({f"tax:{t['name']}": t["id"] for t in options["taxRates"]})
    ids.update({f"tracking:{t['name']}": t["id"] for t in options["trackingCategories"]})
    suppliers = api.get(
        f"/companies/{company['id']}/data/suppliers",
        params={"pageSize": 500},
        headers=company["headers"],
    ).json()["results"]
    ids.update({f"supplier:{s['supplierName']}": s["id"] for s in suppliers})
    customers = api.get(
        f"/companies/{company['id']}/data/customers",
        params={"pageSize": 500},
        headers=company["headers"],
    ).json()["results"]
    ids.update({f"customer:{c['customerName']}": c["id"] for c in customers})
    return company, ids


def _payment(ids: dict[str, str], net: str = "10.00", **extra: Any) -> dict[str, Any]:
    line = {
        "netAmount": net,
        "taxAmount": str((Decimal(net) * Decimal("0.2")).quantize(Decimal("0.01"))),
        "taxRateRef": {"id": ids["tax:20.0% S"]},
        "accountRef": {"id": ids["Travel"]},
    }
    return card_payment(
        ids["Company Card"],
        line,
        issueDate="2026-11-04",
        contactRef={"id": ids["supplier:Pret A Manger"], "type": "Supplier"},
        **extra,
    )


def _posted(engine: Engine, company: dict[str, Any], transaction_id: str) -> PostedTransaction:
    with Session(engine) as session:
        posted = session.get(PostedTransaction, (company["id"], transaction_id))
        assert posted is not None
        session.expunge(posted)
        return posted


def _sync(api: TestClient, company: dict[str, Any], path: str, items: Any) -> dict[str, Any]:
    base = f"/companies/{company['id']}/sync/expenses"
    response = api.post(f"{base}/{path}", json=items, headers=company["headers"])
    assert response.status_code == 200, response.text
    sync_id = response.json()["syncId"]
    status = wait_for_sync(api, company, sync_id, timeout=60)
    listed = api.get(f"{base}/syncs/{sync_id}/transactions", headers=company["headers"]).json()
    return {
        "sync_id": sync_id,
        "status": status,
        "transactions": {t["transactionId"]: t for t in listed["results"]},
    }


def test_reference_data_of_a_vat_company(uk_api: TestClient, new_key: Any) -> None:
    company, _ = _ready(uk_api, new_key)
    headers = company["headers"]
    info = uk_api.get(f"/companies/{company['id']}/data/info", headers=headers).json()
    assert info["baseCurrency"] == "GBP"
    assert info["companyName"] == "Demo UK Ltd"
    assert info["accountingPlatformRef"] == UK_REALM_ID
    options = mapping_options(uk_api, company)
    accounts = {a["name"]: a for a in options["accounts"]}
    assert accounts["Company Card"]["isBankAccount"] is True
    assert accounts["Company Card"]["accountType"] == "Liability"
    assert accounts["Company Card"]["fullyQualifiedCategory"] == "Liability.CreditCard"
    assert accounts["Current Account"]["isBankAccount"] is True
    assert accounts["USD Card"]["currency"] == "USD"
    # A sub-account is named by its full path.
    assert accounts["Travel:Flights"]["accountType"] == "Expense"
    assert "Payment" in accounts["Travel:Flights"]["validTransactionTypes"]
    assert accounts["Sales"]["validTransactionTypes"] == ["Reward"]
    assert accounts["Travel"]["isBankAccount"] is False
    rates = {t["name"]: Decimal(str(t["effectiveTaxRate"])) for t in options["taxRates"]}
    assert rates["20.0% S"] == 20
    assert rates["5.0% R"] == 5
    assert rates["No VAT"] == 0
    tracking = {t["name"]: t for t in options["trackingCategories"]}
    assert tracking["Operations:Support"]["parentId"] == tracking["Operations"]["id"]
    assert tracking["London"]["parentId"] == tracking["Location"]["id"]
    suppliers = uk_api.get(
        f"/companies/{company['id']}/data/suppliers", params={"pageSize": 500}, headers=headers
    ).json()["results"]
    by_name = {s["supplierName"]: s for s in suppliers}
    assert by_name["Amazon US"]["defaultCurrency"] == "USD"
    # The employee is offered as a supplier: reimbursable expenses are owed to them.
    assert "Alice Brown" in by_name


def test_reference_data_of_a_us_sales_tax_company(
    settings: Settings, engine: Engine, worker: JobQueue, new_key: Any
) -> None:
    with (
        running_qbo_sandbox(US_REALM_ID) as url,
        spendsync_on_qbo(settings, engine, worker, url) as api,
    ):
        company, ids = _ready(api, new_key)
        info = api.get(f"/companies/{company['id']}/data/info", headers=company["headers"])
        assert info.json()["baseCurrency"] == "USD"
        assert {"tax:TAX", "tax:NON"} <= set(ids)
        options = mapping_options(api, company)
        accounts = {a["name"]: a for a in options["accounts"]}
        assert "Old Expenses" not in accounts  # archived: no mapping option
        assert accounts["Software:Subscriptions"]["currency"] == "USD"
        suppliers = api.get(
            f"/companies/{company['id']}/data/suppliers",
            params={"pageSize": 500},
            headers=company["headers"],
        ).json()["results"]
        assert {s["supplierName"]: s["status"] for s in suppliers}["Old Supplier"] == "Archived"
        # A US card payment with sales tax, on a class and a location, re-billed to a customer.
        payment = {
            "id": str(uuid.uuid4()),
            "type": "Payment",
            "issueDate": "2026-11-04",
            "currency": "USD",
            "merchantName": "Staples",
            "bankAccountRef": {"id": ids["Company Card"]},
            "contactRef": {"id": ids["supplier:Staples"], "type": "Supplier"},
            "lines": [
                {
                    "netAmount": "100.00",
                    "taxAmount": "7.25",
                    "taxRateRef": {"id": ids["tax:TAX"]},
                    "accountRef": {"id": ids["Office Supplies"]},
                    "trackingRefs": [
                        {
                            "id": ids["tracking:Engineering:Platform"],
                            "dataType": "trackingCategories",
                        },
                        {"id": ids["tracking:San Francisco"], "dataType": "trackingCategories"},
                    ],
                    "invoiceTo": {"id": ids["customer:Acme Corp"], "type": "customer"},
                }
            ],
        }
        done = _sync(api, company, "expense-transactions", [payment])
        assert done["status"]["syncStatusCode"] == 2000, done
        posted = _posted(engine, company, payment["id"])
        books = QboBooks(url, US_REALM_ID)
        purchase = books.get(f"purchase/{posted.platform_record_id}")["Purchase"]
        assert purchase["PaymentType"] == "CreditCard"
        assert purchase["Credit"] is False
        assert purchase["TotalAmt"] == 107.25
        assert purchase["DepartmentRef"]["value"] == books.find("Department", "San Francisco")["Id"]
        [line] = purchase["Line"]
        detail = line["AccountBasedExpenseLineDetail"]
        assert detail["ClassRef"]["value"] == books.find("Class", "Engineering:Platform")["Id"]
        assert detail["CustomerRef"]["value"] == books.find("Customer", "Acme Corp")["Id"]
        assert detail["BillableStatus"] == "Billable"
        assert detail["TaxCodeRef"]["value"] == "TAX"


def _uk_line(ids: dict[str, str], account: str, net: str, taxed: bool = True) -> dict[str, Any]:
    line: dict[str, Any] = {"netAmount": net, "accountRef": {"id": ids[account]}}
    if taxed:
        line["taxAmount"] = str((Decimal(net) * Decimal("0.2")).quantize(Decimal("0.01")))
        line["taxRateRef"] = {"id": ids["tax:20.0% S"]}
    return line


def test_every_write_with_a_receipt_and_updates(
    uk_api: TestClient, new_key: Any, uk_url: str, engine: Engine
) -> None:
    api = uk_api
    company, ids = _ready(api, new_key)
    books = QboBooks(uk_url, UK_REALM_ID)
    base = f"/companies/{company['id']}/sync/expenses"
    payment = _payment(ids)
    refund_to_bank = _payment(
        ids,
        type="Refund",
        bankAccountRef={"id": ids["Current Account"]},
        lines=[_uk_line(ids, "Travel", "4.00")],
    )
    reward = _payment(ids, type="Reward", lines=[_uk_line(ids, "Sales", "3.00", taxed=False)])
    done = _sync(api, company, "expense-transactions", [payment, refund_to_bank, reward])
    assert done["status"]["syncStatusCode"] == 2000, done
    payments_sync = done["sync_id"]

    purchase = books.get(f"purchase/{_posted(engine, company, payment['id']).platform_record_id}")
    purchase = purchase["Purchase"]
    assert (purchase["PaymentType"], purchase["Credit"], purchase["TotalAmt"]) == (
        "CreditCard",
        False,
        12.0,
    )
    assert purchase["EntityRef"]["value"] == books.find("Vendor", "Pret A Manger")["Id"]
    deposit_row = _posted(engine, company, refund_to_bank["id"])
    assert deposit_row.platform_record_type == "Deposit"
    deposit = books.get(f"deposit/{deposit_row.platform_record_id}")["Deposit"]
    assert deposit["DepositToAccountRef"]["value"] == ids["Current Account"]
    assert deposit["TotalAmt"] == 4.8
    credit = books.get(f"purchase/{_posted(engine, company, reward['id']).platform_record_id}")
    assert (credit["Purchase"]["Credit"], credit["Purchase"]["TotalAmt"]) == (True, 3.0)

    # Transfer, reimbursable (billed to a vendor standing for the employee), adjustment.
    transfer_id = str(uuid.uuid4())
    response = api.put(
        f"{base}/transfer-transactions/{transfer_id}",
        json={
            "description": "Card repayment",
            "date": "2026-11-05",
            "from": {"accountRef": {"id": ids["Current Account"]}, "amount": "100.00"},
            "to": {"accountRef": {"id": ids["Company Card"]}, "amount": "100.00"},
        },
        headers=company["headers"],
    )
    assert response.status_code == 200, response.text
    assert wait_for_sync(api, company, response.json()["syncId"])["syncStatusCode"] == 2000
    claim = {
        "id": str(uuid.uuid4()),
        "reference": "Claim 7",
        "contactRef": {"id": ids["supplier:Alice Brown"]},
        "issueDate": "2026-11-04",
        "dueDate": "2026-11-18",
        "currency": "GBP",
        "lines": [_uk_line(ids, "Travel", "50.00") | {"description": "Train to Leeds"}],
    }
    done = _sync(api, company, "reimbursable-expense-transactions", [claim])
    assert done["status"]["syncStatusCode"] == 2000, done
    adjustment = {
        "id": str(uuid.uuid4()),
        "date": "2026-11-06",
        "currency": "GBP",
        "reference": "Reclass",
        "lines": [
            {"amount": "15.00", "accountRef": {"id": ids["Meals"]}},
            {"amount": "-15.00", "accountRef": {"id": ids["Travel"]}},
        ],
    }
    done = _sync(api, company, "adjustment-transactions", [adjustment])
    assert done["status"]["syncStatusCode"] == 2000, done

    [transfer] = books.query("select * from Transfer")
    assert (transfer["Amount"], transfer["FromAccountRef"]["value"]) == (
        100.0,
        ids["Current Account"],
    )
    bill = books.get(f"bill/{_posted(engine, company, claim['id']).platform_record_id}")["Bill"]
    vendor = books.find("Vendor", "Alice Brown (expenses)")
    assert bill["VendorRef"]["value"] == vendor["Id"]
    assert (bill["TotalAmt"], bill["DueDate"], bill["DocNumber"]) == (60.0, "2026-11-18", "Claim 7")
    [journal] = books.query("select * from JournalEntry")
    postings = {
        line["JournalEntryLineDetail"]["AccountRef"]["value"]: (
            line["JournalEntryLineDetail"]["PostingType"],
            line["Amount"],
        )
        for line in journal["Line"]
    }
    assert postings == {ids["Meals"]: ("Debit", 15.0), ids["Travel"]: ("Credit", 15.0)}

    # A receipt on the payment: an Attachable linked to the Purchase, the bytes intact.
    receipt = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
    upload = api.post(
        f"{base}/syncs/{payments_sync}/transactions/{payment['id']}/attachments",
        files={"file": ("receipt.pdf", receipt, "application/pdf")},
        headers=company["headers"],
    )
    assert upload.status_code == 200, upload.text
    [attachable] = books.query(
        f"select * from Attachable where AttachableRef.EntityRef.value = '{purchase['Id']}'"
    )
    assert attachable["FileName"] == "receipt.pdf"
    assert attachable["AttachableRef"][0]["EntityRef"]["type"] == "Purchase"
    downloaded = httpx.get(
        attachable["TempDownloadUri"], headers={"Authorization": f"Bearer {books.token()}"}
    )
    assert downloaded.content == receipt

    # Updates change the same records; a SyncToken that went stale behind our back (someone
    # edited the purchase in QuickBooks) is read again and the update goes through.
    edited = books.request(
        "POST",
        "purchase",
        json={
            "Id": purchase["Id"],
            "SyncToken": purchase["SyncToken"],
            "sparse": True,
            "PrivateNote": "Edited in QuickBooks",
        },
    )
    assert edited.status_code == 200, edited.text
    changed = {k: v for k, v in _payment(ids, net="25.50").items() if k != "id"}
    response = api.put(
        f"{base}/expense-transactions/{payment['id']}", json=changed, headers=company["headers"]
    )
    assert response.status_code in (200, 202), response.text
    assert wait_for_sync(api, company, response.json()["syncId"])["syncStatusCode"] == 2000
    after = books.get(f"purchase/{purchase['Id']}")["Purchase"]
    assert after["TotalAmt"] == 30.6
    assert int(after["SyncToken"]) == int(purchase["SyncToken"]) + 2
    changed_claim = {k: v for k, v in claim.items() if k != "id"}
    changed_claim["lines"] = [_uk_line(ids, "Meals", "20.00")]
    response = api.put(
        f"{base}/reimbursable-expense-transactions/{claim['id']}",
        json=changed_claim,
        headers=company["headers"],
    )
    assert wait_for_sync(api, company, response.json()["syncId"])["syncStatusCode"] == 2000
    assert books.get(f"bill/{bill['Id']}")["Bill"]["TotalAmt"] == 24.0
    # Still one vendor for the employee, one of each record.
    assert len([v for v in books.query("select * from Vendor") if "Alice" in v["DisplayName"]]) == 1
    assert len(books.query("select * from Purchase")) == 2
    assert len(books.query("select * from Bill")) == 1


def test_the_first_write_reads_no_accounts_the_reference_read_gave_them(
    uk_api: TestClient, new_key: Any, uk_url: str
) -> None:
    """Linking reads the chart of accounts (and the company's settings); the first write uses
    them instead of reading every account again: no read, only the batch (a POST, which
    a retry would repeat under its requestid, as a replay)."""
    company, ids = _ready(uk_api, new_key)
    before = sandbox_counters(uk_url)["requestsByMethod"]
    done = _sync(uk_api, company, "expense-transactions", [_payment(ids)])
    assert done["status"]["syncStatusCode"] == 2000, done
    after = sandbox_counters(uk_url)["requestsByMethod"]
    assert after.get("GET", 0) == before.get("GET", 0), "the write read the books again"
    assert after["POST"] > before.get("POST", 0)
    assert len(QboBooks(uk_url, UK_REALM_ID).query("select * from Purchase")) == 1


def test_many_writes_go_in_batches_and_a_refused_one_fails_alone(
    uk_api: TestClient, new_key: Any, uk_url: str
) -> None:
    company, ids = _ready(uk_api, new_key)
    books = QboBooks(uk_url, UK_REALM_ID)
    books.seed({"entities": {"Account": [{"Name": "Meals", "Active": False}]}})
    items = [_payment(ids, net=f"{n}.00") for n in range(1, 13)]
    items[5]["lines"] = [_uk_line(ids, "Meals", "6.00")]
    before = sandbox_counters(uk_url)["requestsTotal"]
    done = _sync(uk_api, company, "expense-transactions", items)
    calls = sandbox_counters(uk_url)["requestsTotal"] - before
    assert done["status"]["syncStatusCode"] == 5130
    refused = done["transactions"][items[5]["id"]]
    assert refused["status"] == "PushError"
    assert "inactive" in refused["message"].lower()
    assert all(
        done["transactions"][item["id"]]["status"] == "Completed"
        for index, item in enumerate(items)
        if index != 5
    )
    assert len(books.query("select * from Purchase")) == 11
    # Eleven records in far fewer calls than one per record (reads included).
    assert calls < 11, calls


def test_faults_and_an_expired_token_are_ridden_out_and_rotated_tokens_kept(
    uk_api: TestClient, new_key: Any, uk_url: str, settings: Settings, engine: Engine
) -> None:
    company, ids = _ready(uk_api, new_key)
    store = CredentialStore(
        LedgerContext(settings, sessionmaker(engine, expire_on_commit=False)),
        company["connection"],
    )
    linked = store.load()
    assert linked["realm_id"] == UK_REALM_ID
    faults = {
        "method": "POST",
        "path": f"/v3/company/{UK_REALM_ID}/*",
        "faults": [
            {"kind": "rate_limit", "retry_after_seconds": 0.2},
            {"kind": "error", "status": 503},
            {"kind": "expired_token"},
        ],
    }
    assert httpx.post(f"{uk_url}/_control/faults", json=faults).status_code == 201
    items = [_payment(ids) for _ in range(3)]
    for item in items:
        done = _sync(uk_api, company, "expense-transactions", [item])
        assert done["status"]["syncStatusCode"] == 2000, done
    counters = sandbox_counters(uk_url)
    assert counters["injectedFaults"] == {"rate_limit": 1, "error": 1, "expired_token": 1}
    assert len(QboBooks(uk_url, UK_REALM_ID).query("select * from Purchase")) == 3
    # The 401 made spendsync refresh: Intuit rotated the refresh token and the new one is
    # what the connection now holds; the old one is spent.
    rotated = store.load()
    assert rotated["refresh_token"] != linked["refresh_token"]
    spent = httpx.post(
        f"{uk_url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": linked["refresh_token"]},
        auth=(QBO_CLIENT_ID, QBO_CLIENT_SECRET),
    )
    assert spent.json()["error"] == "invalid_grant"
    # An hour later the access token has expired on QBO's clock: refreshed before the call.
    httpx.post(f"{uk_url}/_control/clock", json={"advance_seconds": 3700})
    done = _sync(uk_api, company, "expense-transactions", [_payment(ids)])
    assert done["status"]["syncStatusCode"] == 2000, done
    assert store.load()["refresh_token"] != rotated["refresh_token"]


CallsCounted = Callable[
    [RateLimits, dict[str, Any], Callable[[TestClient, dict[str, Any]], object]], dict[str, Any]
]


@pytest.fixture
def calls_counted(
    settings: Settings, engine: Engine, worker: JobQueue, new_key: Any
) -> CallsCounted:
    """Link a company on a sandbox with `limits` and spendsync with `ours`, do `then` with it:
    the calls the sandbox counted."""

    def count(
        limits: RateLimits,
        ours: dict[str, Any],
        then: Callable[[TestClient, dict[str, Any]], object],
    ) -> dict[str, Any]:
        with (
            running_qbo_sandbox(UK_REALM_ID, limits=limits) as url,
            spendsync_on_qbo(settings, engine, worker, url, **ours) as api,
        ):
            then(api, link_qbo(api, auth(new_key().key)))
            return sandbox_counters(url)

    return count


@pytest.mark.parametrize(("throttled", "violations"), [(False, True), (True, False)])
def test_calls_stay_inside_the_realm_limits(
    calls_counted: CallsCounted, throttled: bool, violations: bool
) -> None:
    # QBO's limits on a scaled clock ("a minute" = 1 s); the sandbox counts violations but
    # serves them, so both runs do the same work.
    # A tight budget, so that even a slow (loaded) machine goes over it when unthrottled.
    limits = RateLimits(
        per_minute=5,
        per_day=None,
        app_per_minute=None,
        concurrent=2,
        concurrent_per_app=True,
        minute_seconds=1.0,
        enforce=False,
    )
    ours = (
        {
            "qbo_calls_per_minute": 4,
            "qbo_minute_seconds": 1.0,
            "qbo_max_concurrent_calls": 1,
        }
        if throttled
        else {"qbo_max_concurrent_calls": 100}
    )
    counters = calls_counted(limits, ours, read_all_again)
    assert counters["requestsTotal"] > 16
    assert (counters["limitViolations"] > 0) is violations, counters


@pytest.mark.parametrize("how", ["unlink", "delete connection"])
def test_unlinking_revokes_the_grant_at_intuit(
    uk_api: TestClient, new_key: Any, uk_url: str, settings: Settings, engine: Engine, how: str
) -> None:
    company = link_qbo(uk_api, auth(new_key().key))
    store = CredentialStore(
        LedgerContext(settings, sessionmaker(engine, expire_on_commit=False)),
        company["connection"],
    )
    refresh_token = store.load()["refresh_token"]
    path = f"/companies/{company['id']}/connections/{company['connection']}"
    if how == "unlink":
        response = uk_api.patch(path, json={"status": "Unlinked"}, headers=company["headers"])
    else:
        response = uk_api.delete(path, headers=company["headers"])
    assert response.status_code in (200, 204), response.text
    answer = httpx.post(
        f"{uk_url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(QBO_CLIENT_ID, QBO_CLIENT_SECRET),
    )
    assert answer.json()["error"] == "invalid_grant"


def test_a_refused_consent_leaves_the_connection_unlinked(uk_api: TestClient, new_key: Any) -> None:
    headers = auth(new_key().key)
    company = uk_api.post("/companies", json={"name": "Demo"}, headers=headers).json()
    conn = uk_api.post(
        f"/companies/{company['id']}/connections", json={"platformKey": "qhyg"}, headers=headers
    ).json()
    start = urlparse(conn["linkUrl"])
    to_intuit = urlparse(
        uk_api.get(f"{start.path}?{start.query}", follow_redirects=False).headers["location"]
    )
    state = parse_qs(to_intuit.query)["state"][0]
    done = uk_api.get(f"/link/callback/quickbooksonline?error=access_denied&state={state}")
    assert done.status_code >= 400
    linked = uk_api.get(f"/companies/{company['id']}/connections/{conn['id']}", headers=headers)
    assert linked.json()["status"] == "PendingAuth"


def test_suppliers_are_created_and_updated_in_qbo(
    uk_api: TestClient, new_key: Any, uk_url: str
) -> None:
    company = link_qbo(uk_api, auth(new_key().key))
    supplier_id, duplicate = create_rename_and_duplicate_a_supplier(uk_api, company)
    assert duplicate["status"] == "Failed"  # QBO's rule: display names are unique
    assert "Duplicate Name" in duplicate["errorMessage"]
    vendor = QboBooks(uk_url, UK_REALM_ID).get(f"vendor/{supplier_id}")["Vendor"]
    assert vendor["DisplayName"] == "Card Provider Limited"
    assert vendor["CurrencyRef"]["value"] == "GBP"


def test_accounts_and_card_accounts_are_created_in_qbo(uk_api: TestClient, new_key: Any) -> None:
    company = link_qbo(uk_api, auth(new_key().key))
    wait_for_pulls(uk_api, company, 5)
    model = push_options(uk_api, company, "chartOfAccounts")
    categories = [o["value"] for o in model["properties"]["fullyQualifiedCategory"]["options"]]
    assert "Expense.OtherExpense" in categories
    fees = {"name": "Card Fees", "fullyQualifiedCategory": "Expense.Expense"}
    created = push(uk_api, company, "accounts", fees).json()
    assert created["status"] == "Success", created
    assert created["data"]["fullyQualifiedCategory"] == "Expense.Expense"
    duplicate = push(uk_api, company, "accounts", fees).json()
    assert duplicate["status"] == "Failed"
    assert "Duplicate Name" in duplicate["errorMessage"]  # QBO's own words
    card = push(
        uk_api,
        company,
        "bankAccounts",
        {"accountName": "Expensely Card", "accountType": "Credit", "currency": "GBP"},
    ).json()
    assert card["status"] == "Success", card
    options = mapping_options(uk_api, company)
    accounts = {a["name"]: a for a in options["accounts"]}
    assert accounts["Card Fees"]["id"] == created["data"]["id"]
    assert accounts["Expensely Card"]["isBankAccount"] is True
    assert accounts["Expensely Card"]["fullyQualifiedCategory"] == "Liability.CreditCard"


def test_suppliers_and_accounts_are_read_incrementally(
    uk_api: TestClient, new_key: Any, uk_url: str, settings: Settings, engine: Engine
) -> None:
    company = link_qbo(uk_api, auth(new_key().key))
    books = QboBooks(uk_url, UK_REALM_ID)
    # Seeded records date from 2024; these two change now (on the sandbox's clock).
    books.seed({"entities": {"Vendor": [{"DisplayName": "New Card Vendor"}]}})
    books.seed({"entities": {"Account": [{"Name": "Meals", "Active": False}]}})
    context = LedgerContext(
        settings.model_copy(update=qbo_settings(uk_url)),
        sessionmaker(engine, expire_on_commit=False),
    )
    with Session(engine) as session:
        connection = session.get(Connection, company["connection"])
        assert connection is not None
        ledger = open_ledger(connection, context)
    with closing(ledger):
        since = datetime(2025, 1, 1, tzinfo=UTC)
        suppliers = ledger.read(ReferenceDataType.SUPPLIERS, since)
        assert suppliers.complete is False
        assert [c.name for c in suppliers.records] == ["New Card Vendor"]
        accounts = ledger.read(ReferenceDataType.CHART_OF_ACCOUNTS, since)
        assert [(a.name, a.status) for a in accounts.records] == [("Meals", RecordStatus.ARCHIVED)]
        everything = ledger.read(ReferenceDataType.SUPPLIERS, None)
        assert everything.complete is True
        assert len(everything.records) > 5
    # Page by page (STARTPOSITION/MAXRESULTS), the same records.
    with Session(engine) as session:
        connection = session.get(Connection, company["connection"])
        assert connection is not None
        paged = QboLedger(connection, context, page_size=2)
    with closing(paged):
        assert paged.read(ReferenceDataType.SUPPLIERS, None).records == everything.records
        accounts_paged = paged.read(ReferenceDataType.CHART_OF_ACCOUNTS, None).records
    assert len(accounts_paged) == len(
        QboBooks(uk_url, UK_REALM_ID).query(
            "select * from Account where Active IN (true, false) MAXRESULTS 1000"
        )
    )


def test_a_batch_replayed_after_a_crash_is_not_written_twice(
    uk_api: TestClient, new_key: Any, uk_url: str, engine: Engine
) -> None:
    company, ids = _ready(uk_api, new_key)
    items = [_payment(ids, net=f"{n}.00") for n in (1, 2, 3)]
    done = _sync(uk_api, company, "expense-transactions", items)
    assert done["status"]["syncStatusCode"] == 2000, done
    books = QboBooks(uk_url, UK_REALM_ID)
    first = {p["Id"] for p in books.query("select * from Purchase")}
    assert len(first) == 3
    # The worker died after QBO answered the batch but before our commit: the rows are still
    # Pending and nothing says where the transactions live.
    with Session(engine) as session:
        rows = session.scalars(
            select(SyncTransaction).where(SyncTransaction.sync_id == done["sync_id"])
        ).all()
        for row in rows:
            row.status = TransactionStatus.PENDING
            session.delete(session.get(PostedTransaction, (company["id"], row.transaction_id)))
        session.commit()
        row_ids = [row.id for row in rows]
    runner.push_batch(jobs_engine.worker_context(), row_ids)
    assert {p["Id"] for p in books.query("select * from Purchase")} == first
    for item in items:
        assert _posted(engine, company, item["id"]).platform_record_id in first


@pytest.mark.parametrize(("throttled", "violations"), [(False, True), (True, False)])
def test_calls_stay_inside_ten_a_second(
    calls_counted: CallsCounted, throttled: bool, violations: bool
) -> None:
    # QBO's per-second limit, scaled down to 4 a second so a pull crosses it; the sandbox
    # counts violations but serves them.
    limits = RateLimits(
        per_minute=None,
        per_day=None,
        app_per_minute=None,
        per_second=4,
        second_seconds=1.0,
        concurrent=None,
        enforce=False,
    )
    ours = {"qbo_calls_per_second": 3} if throttled else {"qbo_calls_per_second": 1000}
    counters = calls_counted(limits, ours, lambda api, company: wait_for_pulls(api, company, 5))
    assert counters["requestsTotal"] > 8
    assert (counters["limitViolations"] > 0) is violations, counters


def test_a_foreign_currency_claim_goes_to_the_employees_vendor_in_that_currency(
    uk_api: TestClient, new_key: Any, uk_url: str, engine: Engine
) -> None:
    company, ids = _ready(uk_api, new_key)
    claims = [
        {
            "id": str(uuid.uuid4()),
            "contactRef": {"id": ids["supplier:Alice Brown"]},
            "issueDate": "2026-11-04",
            "dueDate": "2026-11-18",
            "currency": currency,
            **({"currencyRate": "0.79"} if currency == "USD" else {}),
            "lines": [{"netAmount": "30.00", "accountRef": {"id": ids["Travel"]}}],
        }
        for currency in ("USD", "GBP")
    ]
    done = _sync(uk_api, company, "reimbursable-expense-transactions", claims)
    assert done["status"]["syncStatusCode"] == 2000, done
    books = QboBooks(uk_url, UK_REALM_ID)
    usd_vendor = books.find("Vendor", "Alice Brown (expenses, USD)")
    gbp_vendor = books.find("Vendor", "Alice Brown (expenses)")
    assert usd_vendor["CurrencyRef"]["value"] == "USD"
    usd_bill = books.get(f"bill/{_posted(engine, company, claims[0]['id']).platform_record_id}")
    assert usd_bill["Bill"]["VendorRef"]["value"] == usd_vendor["Id"]
    assert (usd_bill["Bill"]["CurrencyRef"]["value"], usd_bill["Bill"]["ExchangeRate"]) == (
        "USD",
        0.79,
    )
    gbp_bill = books.get(f"bill/{_posted(engine, company, claims[1]['id']).platform_record_id}")
    assert gbp_bill["Bill"]["VendorRef"]["value"] == gbp_vendor["Id"]
