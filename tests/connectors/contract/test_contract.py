"""The connector contract: the same scenarios, run against every platform's connector over
real sockets (or a real local ledger), checked in the platform's own books afterwards.

Reference data; each transaction type the platform declares (with a receipt where it takes
attachments); an update of each type it can update; foreign currency; a write replayed after a
worker died between the platform's answer and our commit; and each class of failure: rate
limits, server errors and timeouts (ridden out), access revoked (the connection needs
re-linking), and a record the platform refuses (that transaction fails with the platform's
reason, the rest of the batch is written).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from spendsync.connectors.base import TransactionKind
from spendsync.connectors.registry import PlatformKey, find_platform
from spendsync.jobs import engine as jobs_engine
from spendsync.syncs import runner
from spendsync.syncs.models import PostedTransaction, SyncTransaction, TransactionStatus
from tests.connectors.contract.conftest import Books
from tests.connectors.contract.harness import Harness, WrittenRecord
from tests.expenses.test_expense_sync import wait_for_sync

K = TransactionKind
EXPENSE_KINDS = (K.PAYMENT, K.REFUND, K.REWARD, K.CHARGEBACK)
ISSUE_DATE = date(2026, 11, 4)


def _supports(harness: Harness, kind: TransactionKind, what: str = "create") -> bool:
    platform = find_platform(harness.platform_key)
    assert platform is not None
    support = platform.capabilities.supports(kind)
    return support is not None and bool(getattr(support, what))


def _base(books: Books) -> str:
    return f"/companies/{books.company.id}/sync/expenses"


def _line(harness: Harness, books: Books, account: str, net: Decimal) -> dict[str, Any]:
    chart = harness.chart
    line: dict[str, Any] = {"netAmount": str(net), "accountRef": {"id": books.accounts[account]}}
    if chart.tax_rate is not None:
        line["taxAmount"] = str((net * chart.tax_percent / 100).quantize(Decimal("0.01")))
        line["taxRateRef"] = {"id": books.tax_rates[chart.tax_rate]}
    return line


def _gross(harness: Harness, net: Decimal) -> Decimal:
    return net + (net * harness.chart.tax_percent / 100).quantize(Decimal("0.01"))


def _expense(
    harness: Harness, books: Books, kind: TransactionKind, net: Decimal
) -> tuple[dict[str, Any], Decimal]:
    chart = harness.chart
    if kind is K.REWARD:  # cashback: income, no tax
        line: dict[str, Any] = {
            "netAmount": str(net),
            "accountRef": {"id": books.accounts[chart.income]},
        }
        amount = net
    else:
        line, amount = _line(harness, books, chart.expense, net), _gross(harness, net)
    body = {
        "type": kind.value,
        "issueDate": ISSUE_DATE.isoformat(),
        "currency": chart.base_currency,
        "merchantName": chart.supplier,
        "bankAccountRef": {"id": books.accounts[chart.card]},
        "contactRef": {"id": books.suppliers[chart.supplier], "type": "Supplier"},
        "lines": [line],
    }
    return body, amount


def _reimbursable(harness: Harness, books: Books, net: Decimal) -> tuple[dict[str, Any], Decimal]:
    chart = harness.chart
    body = {
        "reference": "Expense claim",
        "contactRef": {"id": books.suppliers[chart.employee]},
        "issueDate": ISSUE_DATE.isoformat(),
        "dueDate": (ISSUE_DATE + timedelta(days=14)).isoformat(),
        "currency": chart.base_currency,
        "lines": [_line(harness, books, chart.expense, net)],
    }
    return body, _gross(harness, net)


def _transfer(harness: Harness, books: Books, amount: Decimal) -> dict[str, Any]:
    chart = harness.chart
    return {
        "description": "Card repayment",
        "date": ISSUE_DATE.isoformat(),
        "from": {"accountRef": {"id": books.accounts[chart.bank]}, "amount": str(amount)},
        "to": {"accountRef": {"id": books.accounts[chart.card]}, "amount": str(amount)},
    }


def _adjustment(harness: Harness, books: Books, amount: Decimal) -> dict[str, Any]:
    chart = harness.chart
    return {
        "date": ISSUE_DATE.isoformat(),
        "currency": chart.base_currency,
        "reference": "Reclassification",
        "lines": [
            {"amount": str(amount), "accountRef": {"id": books.accounts[chart.other_expense]}},
            {"amount": str(-amount), "accountRef": {"id": books.accounts[chart.expense]}},
        ],
    }


def create(
    harness: Harness, books: Books, kind: TransactionKind, amount: Decimal
) -> tuple[str, str, Decimal]:
    """Send one transaction of `kind` through the API; returns (transaction id, sync id, the
    total the platform should show)."""
    api, headers, base = harness.api, books.company.headers, _base(books)
    transaction_id = str(uuid.uuid4())
    if kind in EXPENSE_KINDS:
        body, total = _expense(harness, books, kind, amount)
        response = api.post(
            f"{base}/expense-transactions",
            json=[{"id": transaction_id, **body}],
            headers=headers,
        )
    elif kind is K.REIMBURSABLE:
        body, total = _reimbursable(harness, books, amount)
        response = api.post(
            f"{base}/reimbursable-expense-transactions",
            json=[{"id": transaction_id, **body}],
            headers=headers,
        )
    elif kind is K.TRANSFER:
        total = amount
        response = api.put(
            f"{base}/transfer-transactions/{transaction_id}",
            json=_transfer(harness, books, amount),
            headers=headers,
        )
    else:
        total = amount
        response = api.post(
            f"{base}/adjustment-transactions",
            json=[{"id": transaction_id, **_adjustment(harness, books, amount)}],
            headers=headers,
        )
    assert response.status_code in (200, 202), response.text
    return transaction_id, response.json()["syncId"], total


def update(
    harness: Harness, books: Books, kind: TransactionKind, transaction_id: str, amount: Decimal
) -> tuple[str, Decimal]:
    api, headers, base = harness.api, books.company.headers, _base(books)
    if kind in EXPENSE_KINDS:
        body, total = _expense(harness, books, kind, amount)
        response = api.put(
            f"{base}/expense-transactions/{transaction_id}", json=body, headers=headers
        )
    elif kind is K.REIMBURSABLE:
        body, total = _reimbursable(harness, books, amount)
        response = api.put(
            f"{base}/reimbursable-expense-transactions/{transaction_id}",
            json=body,
            headers=headers,
        )
    else:
        assert kind is K.TRANSFER, f"the API has no update for {kind}"
        total = amount
        response = api.put(
            f"{base}/transfer-transactions/{transaction_id}",
            json=_transfer(harness, books, amount),
            headers=headers,
        )
    assert response.status_code in (200, 202), response.text
    return response.json()["syncId"], total


def completed(harness: Harness, books: Books, sync_id: str) -> None:
    status = wait_for_sync(harness.api, books.company.as_dict(), sync_id, timeout=60)
    listed = harness.api.get(
        f"{_base(books)}/syncs/{sync_id}/transactions", headers=books.company.headers
    ).json()["results"]
    assert status["syncStatusCode"] == 2000, listed
    assert {t["status"] for t in listed} == {"Completed"}


def written(engine: Engine, harness: Harness, books: Books, transaction_id: str) -> WrittenRecord:
    """The platform's own view of the record spendsync says it wrote for the transaction."""
    with Session(engine) as session:
        posted = session.get(PostedTransaction, (books.company.id, transaction_id))
        assert posted is not None
        record_id = posted.platform_record_id
    found = [r for r in harness.records(books.company) if r.record_id == record_id]
    assert len(found) == 1, f"{record_id} is not (or more than once) in the books"
    return found[0]


def test_reference_data_is_read_from_the_ledger(harness: Harness, books: Books) -> None:
    chart, api, company = harness.chart, harness.api, books.company
    info = api.get(f"/companies/{company.id}/data/info", headers=company.headers).json()
    assert info["baseCurrency"] == chart.base_currency
    options = api.get(
        f"/companies/{company.id}/sync/expenses/mappingOptions", headers=company.headers
    ).json()
    accounts = {a["name"]: a for a in options["accounts"]}
    assert accounts[chart.card]["isBankAccount"] is True
    assert accounts[chart.card]["currency"] == chart.base_currency
    assert accounts[chart.bank]["isBankAccount"] is True
    assert accounts[chart.expense]["isBankAccount"] is False
    assert "Payment" in accounts[chart.expense]["validTransactionTypes"]
    assert "Reward" in accounts[chart.income]["validTransactionTypes"]
    if chart.tax_rate is not None:
        rate = next(t for t in options["taxRates"] if t["name"] == chart.tax_rate)
        assert Decimal(str(rate["effectiveTaxRate"])) == chart.tax_percent
    assert chart.supplier in books.suppliers
    assert chart.employee in books.suppliers
    if chart.foreign_card is not None:
        assert accounts[chart.foreign_card]["currency"] == chart.foreign_currency


@pytest.mark.parametrize("kind", list(TransactionKind), ids=str)
def test_each_transaction_type_is_written_once(
    harness: Harness, books: Books, engine: Engine, kind: TransactionKind
) -> None:
    if not _supports(harness, kind):
        pytest.skip(f"{harness.name} does not declare {kind}")
    transaction_id, sync_id, total = create(harness, books, kind, Decimal("10.00"))
    completed(harness, books, sync_id)
    record = written(engine, harness, books, transaction_id)
    assert (record.amount, record.currency) == (total, harness.chart.base_currency)
    assert len(harness.records(books.company)) == 1
    if _supports(harness, kind, "attachments"):
        upload = harness.api.post(
            f"{_base(books)}/syncs/{sync_id}/transactions/{transaction_id}/attachments",
            files={"file": ("receipt.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")},
            headers=books.company.headers,
        )
        assert upload.status_code == 200, upload.text
        record = written(engine, harness, books, transaction_id)
        assert record.attachments == ("receipt.pdf",)


UPDATABLE = (*EXPENSE_KINDS, K.TRANSFER, K.REIMBURSABLE)


@pytest.mark.parametrize("kind", UPDATABLE, ids=str)
def test_updates_change_the_same_record(
    harness: Harness, books: Books, engine: Engine, kind: TransactionKind
) -> None:
    if not _supports(harness, kind, "update"):
        pytest.skip(f"{harness.name} does not declare updates of {kind}")
    transaction_id, sync_id, _ = create(harness, books, kind, Decimal("10.00"))
    completed(harness, books, sync_id)
    before = written(engine, harness, books, transaction_id)
    update_sync, total = update(harness, books, kind, transaction_id, Decimal("25.50"))
    completed(harness, books, update_sync)
    after = written(engine, harness, books, transaction_id)
    assert after.amount == total != before.amount
    assert len(harness.records(books.company)) == 1


def test_foreign_currency_spend_on_a_foreign_card(
    harness: Harness, books: Books, engine: Engine
) -> None:
    chart = harness.chart
    if chart.foreign_card is None or chart.foreign_currency is None:
        pytest.skip(f"{harness.name}'s books have no foreign-currency card")
    body, _ = _expense(harness, books, K.PAYMENT, Decimal("40.00"))
    transaction_id = str(uuid.uuid4())
    line = {"netAmount": "40.00", "accountRef": {"id": books.accounts[chart.expense]}}
    response = harness.api.post(
        f"{_base(books)}/expense-transactions",
        json=[
            {
                **body,
                "id": transaction_id,
                "currency": chart.foreign_currency,
                "currencyRate": "0.8",
                "bankAccountRef": {"id": books.accounts[chart.foreign_card]},
                "contactRef": {
                    "id": books.suppliers[chart.foreign_supplier or chart.supplier],
                    "type": "Supplier",
                },
                "lines": [line],
            }
        ],
        headers=books.company.headers,
    )
    assert response.status_code == 200, response.text
    completed(harness, books, response.json()["syncId"])
    record = written(engine, harness, books, transaction_id)
    assert (record.amount, record.currency) == (Decimal("40.00"), chart.foreign_currency)


def test_a_write_replayed_after_a_crash_is_not_duplicated(
    harness: Harness, books: Books, engine: Engine
) -> None:
    transaction_id, sync_id, _ = create(harness, books, K.PAYMENT, Decimal("10.00"))
    completed(harness, books, sync_id)
    first = written(engine, harness, books, transaction_id)
    # The worker died after the platform wrote the record but before our commit: the row is
    # still Pending and nothing says where the transaction lives.
    with Session(engine) as session:
        row = session.scalars(
            select(SyncTransaction).where(
                SyncTransaction.sync_id == sync_id,
                SyncTransaction.transaction_id == transaction_id,
            )
        ).one()
        row.status = TransactionStatus.PENDING
        session.delete(session.get(PostedTransaction, (books.company.id, transaction_id)))
        session.commit()
        row_id = row.id
    runner.push_batch(jobs_engine.worker_context(), [row_id])
    assert written(engine, harness, books, transaction_id).record_id == first.record_id
    assert len(harness.records(books.company)) == 1


def test_rate_limits_and_server_errors_are_ridden_out(
    harness: Harness, books: Books, engine: Engine
) -> None:
    armed = harness.inject_transient_faults()
    created = [create(harness, books, K.PAYMENT, Decimal(n)) for n in ("11", "12", "13")]
    for _, sync_id, _ in created:
        completed(harness, books, sync_id)
    assert harness.transient_faults_met() >= armed
    for transaction_id, _, total in created:
        assert written(engine, harness, books, transaction_id).amount == total
    assert len(harness.records(books.company)) == len(created)


def test_revoked_access_needs_relinking(harness: Harness, books: Books) -> None:
    harness.revoke_access(books.company)
    _, sync_id, _ = create(harness, books, K.PAYMENT, Decimal("10.00"))
    status = wait_for_sync(harness.api, books.company.as_dict(), sync_id, timeout=60)
    assert status["syncStatusCode"] == 4040
    connection = harness.api.get(
        f"/companies/{books.company.id}/connections/{books.company.connection}",
        headers=books.company.headers,
    ).json()
    assert connection["status"] == "Deauthorized"
    assert harness.records(books.company) == []


def test_a_refused_record_fails_alone_with_the_platforms_reason(
    harness: Harness, books: Books, engine: Engine
) -> None:
    chart = harness.chart
    word = harness.archive_account(books.company, chart.expense)
    good, _ = _expense(harness, books, K.PAYMENT, Decimal("10.00"))
    good["lines"] = [_line(harness, books, chart.other_expense, Decimal("10.00"))]
    bad, _ = _expense(harness, books, K.PAYMENT, Decimal("20.00"))
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    response = harness.api.post(
        f"{_base(books)}/expense-transactions",
        json=[{"id": ids[0], **good}, {"id": ids[1], **bad}],
        headers=books.company.headers,
    )
    assert response.status_code == 200, response.text
    sync_id = response.json()["syncId"]
    status = wait_for_sync(harness.api, books.company.as_dict(), sync_id, timeout=60)
    assert status["syncStatusCode"] == 5130, status
    listed = {
        t["transactionId"]: t
        for t in harness.api.get(
            f"{_base(books)}/syncs/{sync_id}/transactions", headers=books.company.headers
        ).json()["results"]
    }
    assert listed[ids[0]]["status"] == "Completed"
    assert listed[ids[1]]["status"] == "PushError"
    assert word in listed[ids[1]]["message"].lower()
    assert [r.amount for r in harness.records(books.company)] == [_gross(harness, Decimal(10))]


def test_unsupported_types_are_refused_naming_the_platform(harness: Harness, books: Books) -> None:
    platform = find_platform(harness.platform_key)
    assert platform is not None
    assert platform.key in set(PlatformKey)
    missing = [kind for kind in TransactionKind if not _supports(harness, kind)]
    if not missing:
        pytest.skip(f"{harness.name} declares every transaction type")
    with pytest.raises(AssertionError, match=platform.name):
        create(harness, books, missing[0], Decimal("10.00"))
