"""Reading the ledger's reference data: pull operations, data status, history, mapping options
with spendsync's validity rules, suppliers and customers."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from spendsync.connectors.reference import LedgerContact, ReferenceDataType
from tests.fakes import RecordingLedger


def wait_for_pulls(
    api: TestClient, company: dict[str, Any], count: int, timeout: float = 30
) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        history = api.get(
            f"/companies/{company['id']}/data/history", headers=company["headers"]
        ).json()
        done = [p for p in history["results"] if p["isCompleted"]]
        if len(done) >= count:
            return history["results"]
        assert time.monotonic() < deadline, history
        time.sleep(0.05)


def test_nothing_read_yet_is_409(api: TestClient, company, stocked) -> None:
    response = api.get(
        f"/companies/{company['id']}/sync/expenses/mappingOptions", headers=company["headers"]
    )
    assert response.status_code == 409
    assert "chartOfAccounts" in response.json()["error"]
    assert (
        api.get(
            f"/companies/{company['id']}/data/suppliers", headers=company["headers"]
        ).status_code
        == 409
    )


def test_refresh_all_then_mapping_options(api: TestClient, company, stocked) -> None:
    response = api.post(f"/companies/{company['id']}/data/all", headers=company["headers"])
    assert response.status_code == 204
    pulls = wait_for_pulls(api, company, 5)
    assert {p["dataType"] for p in pulls} == {t.value for t in ReferenceDataType}
    assert {p["status"] for p in pulls} == {"Complete"}

    options = api.get(
        f"/companies/{company['id']}/sync/expenses/mappingOptions", headers=company["headers"]
    ).json()
    assert options["expenseProvider"] == "Partner Expense"
    accounts = {a["id"]: a for a in options["accounts"]}
    assert "acc-old" not in accounts  # archived accounts are not offered
    assert accounts["acc-card"]["isBankAccount"] is True
    assert accounts["acc-card"]["validTransactionTypes"] == []
    assert accounts["acc-card"]["validFor"] == ["transfer-transactions", "adjustment-transactions"]
    assert accounts["acc-travel"]["validTransactionTypes"] == [
        "Payment",
        "Refund",
        "Reward",
        "Chargeback",
    ]
    assert accounts["acc-sales"]["validTransactionTypes"] == ["Reward"]
    assert "reimbursable-expense-transactions" not in accounts["acc-sales"]["validFor"]
    assert accounts["acc-prepay"]["validTransactionTypes"] == ["Payment", "Refund", "Chargeback"]
    assert accounts["acc-travel"]["fullyQualifiedCategory"] == "Expense.Overheads"
    assert accounts["acc-travel"]["nominalCode"] == "493"
    rates = {r["id"]: r for r in options["taxRates"]}
    assert rates["INPUT2"]["validTransactionTypes"] == ["Payment", "Refund", "Reward", "Chargeback"]
    assert rates["OUTPUT2"]["validTransactionTypes"] == ["Reward"]
    assert rates["INPUT2"]["effectiveTaxRate"] == 20
    tracking = {c["id"]: c for c in options["trackingCategories"]}
    assert tracking["dept-sales"]["parentId"] == "dept"
    assert tracking["dept"]["hasChildren"] is True


def test_data_status_history_and_single_pull(api: TestClient, company, stocked) -> None:
    queued = api.post(
        f"/companies/{company['id']}/data/queue/chartOfAccounts", headers=company["headers"]
    )
    assert queued.status_code == 200
    assert queued.json()["status"] == "Queued"
    wait_for_pulls(api, company, 1)
    one = api.get(
        f"/companies/{company['id']}/data/history/{queued.json()['id']}", headers=company["headers"]
    ).json()
    assert one["status"] == "Complete"
    assert one["isCompleted"] is True
    assert one["isErrored"] is False
    status = api.get(f"/companies/{company['id']}/dataStatus", headers=company["headers"]).json()
    assert status["chartOfAccounts"]["currentStatus"] == "Complete"
    assert status["chartOfAccounts"]["latestSuccessfulSyncId"] == queued.json()["id"]
    filtered = api.get(
        f"/companies/{company['id']}/data/history",
        params={"query": "dataType=taxRates"},
        headers=company["headers"],
    ).json()
    assert filtered["totalResults"] == 0
    bad = api.post(f"/companies/{company['id']}/data/queue/invoices", headers=company["headers"])
    assert bad.status_code == 400


def test_second_read_is_incremental_and_removals_are_marked(
    api: TestClient, company, stocked: RecordingLedger
) -> None:
    url = f"/companies/{company['id']}/data/queue/suppliers"
    api.post(url, headers=company["headers"])
    wait_for_pulls(api, company, 1)
    stocked.reference[ReferenceDataType.SUPPLIERS] = [
        LedgerContact("sup-2", "New Supplier", is_supplier=True, is_customer=False)
    ]
    api.post(url, headers=company["headers"])
    wait_for_pulls(api, company, 2)
    assert stocked.reads[0][1] is None
    assert stocked.reads[1][1] is not None  # asked only for changes since the first read
    suppliers = api.get(
        f"/companies/{company['id']}/data/suppliers", headers=company["headers"]
    ).json()
    assert [s["id"] for s in suppliers["results"]] == ["sup-2"]
    assert (
        api.get(
            f"/companies/{company['id']}/data/suppliers/sup-1", headers=company["headers"]
        ).status_code
        == 404
    )
    one = api.get(
        f"/companies/{company['id']}/data/suppliers/sup-2", headers=company["headers"]
    ).json()
    assert one["supplierName"] == "New Supplier"
    assert one["status"] == "Active"


def test_customers_and_query(api: TestClient, company, stocked) -> None:
    api.post(f"/companies/{company['id']}/data/queue/customers", headers=company["headers"])
    wait_for_pulls(api, company, 1)
    page = api.get(
        f"/companies/{company['id']}/data/customers",
        params={"query": "customerName~cashback"},
        headers=company["headers"],
    ).json()
    assert [c["id"] for c in page["results"]] == ["cus-1"]
    none = api.get(
        f"/companies/{company['id']}/data/customers",
        params={"query": "customerName=nobody"},
        headers=company["headers"],
    ).json()
    assert none["totalResults"] == 0


def test_transient_read_failures_are_retried(
    api: TestClient, company, stocked: RecordingLedger
) -> None:
    stocked.unavailable_calls = 1
    api.post(f"/companies/{company['id']}/data/queue/taxRates", headers=company["headers"])
    [pull] = wait_for_pulls(api, company, 1)
    assert pull["status"] == "Complete"


def test_daily_refresh_reads_every_linked_ledger_again(api: TestClient, company, stocked) -> None:
    from dbos import DBOS

    from spendsync.db.base import utcnow
    from spendsync.reference.schedule import daily_refresh_workflow

    DBOS.start_workflow(daily_refresh_workflow, utcnow(), None).get_result()
    pulls = wait_for_pulls(api, company, 5)
    assert sorted(p["dataType"] for p in pulls) == sorted(t.value for t in ReferenceDataType)
    assert {p["status"] for p in pulls} == {"Complete"}
