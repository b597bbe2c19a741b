"""Transactions and configuration checked against the ledger's reference data."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.expenses.test_expense_sync import base, payment, wait_for_sync
from tests.fakes import RecordingLedger
from tests.reference.test_reference_data import wait_for_pulls


@pytest.fixture
def read_company(
    api: TestClient, company: dict[str, Any], stocked: RecordingLedger
) -> dict[str, Any]:
    api.post(f"/companies/{company['id']}/data/all", headers=company["headers"])
    wait_for_pulls(api, company, 5)
    return company


def line(account: str, tax: str | None = None, net: float = 10, vat: float = 0) -> dict[str, Any]:
    body: dict[str, Any] = {"netAmount": net, "taxAmount": vat, "accountRef": {"id": account}}
    if tax:
        body["taxRateRef"] = {"id": tax}
    return body


def errors_of(response: Any) -> dict[str, str]:
    assert response.status_code == 400, response.text
    return {e["itemId"]: e["message"] for e in response.json()["validation"]["errors"]}


def test_refs_are_checked_against_the_ledger(api: TestClient, read_company) -> None:
    items = [
        payment(bankAccountRef={"id": "acc-travel"}, lines=[line("acc-travel")]),
        payment(
            bankAccountRef={"id": "acc-card"},
            lines=[line("acc-card"), line("acc-old"), line("nope")],
        ),
        payment(bankAccountRef={"id": "acc-card"}, lines=[line("acc-travel", "OUTPUT2", vat=2)]),
        payment(bankAccountRef={"id": "acc-card"}, lines=[line("acc-travel", "GONE", vat=2)]),
        payment(type="Reward", bankAccountRef={"id": "acc-card"}, lines=[line("acc-prepay")]),
        payment(
            bankAccountRef={"id": "acc-card"},
            contactRef={"id": "sup-404"},
            lines=[line("acc-travel")],
        ),
        payment(bankAccountRef={"id": "missing"}, lines=[line("acc-travel")]),
    ]
    errors = errors_of(
        api.post(
            f"{base(read_company)}/expense-transactions",
            json=items,
            headers=read_company["headers"],
        )
    )
    assert (
        errors["Items[0].BankAccountRef"]
        == "Account acc-travel (Travel) is not a bank or card account."
    )
    assert "cannot be used for Payment" in errors["Items[1].Lines[0].AccountRef"]
    assert errors["Items[1].Lines[1].AccountRef"] == "Account acc-old (Old Costs) is archived."
    assert errors["Items[1].Lines[2].AccountRef"] == "Account nope was not found in the ledger."
    assert "cannot be used for Payment" in errors["Items[2].Lines[0].TaxRateRef"]
    assert errors["Items[3].Lines[0].TaxRateRef"] == "Tax rate GONE was not found in the ledger."
    assert "cannot be used for Reward" in errors["Items[4].Lines[0].AccountRef"]
    assert errors["Items[5].ContactRef"] == "The supplier sup-404 was not found in the ledger."
    assert errors["Items[6].BankAccountRef"] == "Account missing was not found in the ledger."
    assert len(errors) == 9


def test_valid_refs_of_every_expense_type_are_accepted(api: TestClient, read_company) -> None:
    items = [
        payment(bankAccountRef={"id": "acc-card"}, lines=[line("acc-travel", "INPUT2", 100, 20)]),
        payment(
            type="Refund",
            bankAccountRef={"id": "acc-card"},
            lines=[line("acc-travel", "INPUT2", 10, 2)],
        ),
        payment(
            type="Reward",
            bankAccountRef={"id": "acc-card"},
            lines=[line("acc-sales", "OUTPUT2", 5, 1)],
        ),
        payment(type="Chargeback", bankAccountRef={"id": "acc-card"}, lines=[line("acc-prepay")]),
    ]
    response = api.post(
        f"{base(read_company)}/expense-transactions", json=items, headers=read_company["headers"]
    )
    assert response.status_code == 200, response.text
    assert wait_for_sync(api, read_company, response.json()["syncId"])["syncStatusCode"] == 2000


def test_configuration_fills_in_missing_refs(
    api: TestClient, read_company, ledger: RecordingLedger
) -> None:
    config_url = f"{base(read_company)}/config"
    empty = api.get(config_url, headers=read_company["headers"]).json()
    assert empty == {
        "bankAccount": {"id": None},
        "supplier": {"id": None},
        "customer": {"id": None},
        "warnings": [],
    }
    no_bank = payment(lines=[line("acc-travel")])
    del no_bank["bankAccountRef"]
    errors = errors_of(
        api.post(
            f"{base(read_company)}/expense-transactions",
            json=[no_bank],
            headers=read_company["headers"],
        )
    )
    assert errors["Items[0].BankAccountRef"].startswith("No bank account")

    config = {
        "bankAccount": {"id": "acc-card"},
        "supplier": {"id": "sup-1"},
        "customer": {"id": "cus-1"},
    }
    assert api.post(config_url, json=config, headers=read_company["headers"]).status_code == 200
    assert api.get(config_url, headers=read_company["headers"]).json() == {**config, "warnings": []}
    refund = {**no_bank, "id": str(uuid.uuid4()), "type": "Refund"}
    response = api.post(
        f"{base(read_company)}/expense-transactions",
        json=[no_bank, refund],
        headers=read_company["headers"],
    )
    assert response.status_code == 200, response.text
    wait_for_sync(api, read_company, response.json()["syncId"])
    pushed = {p.transaction_id: p.document for p in ledger.pushes}
    assert pushed[no_bank["id"]].bank_account_id == "acc-card"
    assert pushed[no_bank["id"]].contact_id == "sup-1"
    # On Xero, money back from a merchant is received from the configured customer.
    assert pushed[refund["id"]].contact_id == "cus-1"
    assert pushed[refund["id"]].contact_type == "Customer"


def test_configuration_is_checked_against_the_ledger(api: TestClient, read_company) -> None:
    response = api.post(
        f"{base(read_company)}/config",
        json={
            "bankAccount": {"id": "acc-travel"},
            "supplier": {"id": "nobody"},
            "customer": {"id": "cus-1"},
        },
        headers=read_company["headers"],
    )
    errors = errors_of(response)
    assert errors == {
        "BankAccount.Id": "Account acc-travel (Travel) is not a bank or card account.",
        "Supplier.Id": "The supplier nobody was not found in the ledger.",
    }


def test_a_record_archived_in_the_ledger_is_reported(
    api: TestClient,
    read_company,
    stocked: RecordingLedger,
) -> None:
    from spendsync.connectors.reference import ReferenceDataType

    # Accepted while the ledger has the account (the API now keeps the data decoded)…
    accepted = api.post(
        f"{base(read_company)}/expense-transactions",
        json=[payment(bankAccountRef={"id": "acc-card"}, lines=[line("acc-travel")])],
        headers=read_company["headers"],
    )
    assert accepted.status_code == 200, accepted.text
    # … and refused once a new read finds it gone.
    stocked.reference[ReferenceDataType.CHART_OF_ACCOUNTS] = [
        a for a in stocked.reference[ReferenceDataType.CHART_OF_ACCOUNTS] if a.id != "acc-travel"
    ]
    api.post(
        f"/companies/{read_company['id']}/data/queue/chartOfAccounts",
        headers=read_company["headers"],
    )
    wait_for_pulls(api, read_company, 6)
    time.sleep(0.05)
    errors = errors_of(
        api.post(
            f"{base(read_company)}/expense-transactions",
            json=[payment(bankAccountRef={"id": "acc-card"}, lines=[line("acc-travel")])],
            headers=read_company["headers"],
        )
    )
    assert (
        errors["Items[0].Lines[0].AccountRef"] == "Account acc-travel was not found in the ledger."
    )


def test_currency_rules(api: TestClient, read_company) -> None:
    usd_on_gbp_card = payment(
        currency="USD", bankAccountRef={"id": "acc-card"}, lines=[line("acc-travel")]
    )
    eur_on_usd_card = payment(
        currency="EUR", bankAccountRef={"id": "acc-usd-card"}, lines=[line("acc-travel")]
    )
    errors = errors_of(
        api.post(
            f"{base(read_company)}/expense-transactions",
            json=[usd_on_gbp_card, eur_on_usd_card],
            headers=read_company["headers"],
        )
    )
    assert errors["Items[0].Currency"] == (
        "The transaction is in USD but the bank account Company Card holds GBP; record it in GBP."
    )
    assert errors["Items[1].Currency"].startswith("Two currencies other than the base currency GBP")
    usd_on_usd_card = payment(
        currency="USD",
        currencyRate=0.8,
        bankAccountRef={"id": "acc-usd-card"},
        lines=[line("acc-travel")],
    )
    accepted = api.post(
        f"{base(read_company)}/expense-transactions",
        json=[usd_on_usd_card],
        headers=read_company["headers"],
    )
    assert accepted.status_code == 200, accepted.text


def test_configuration_warns_when_the_ledger_drops_a_configured_record(
    api: TestClient, read_company, stocked: RecordingLedger
) -> None:
    from spendsync.connectors.reference import ReferenceDataType

    config = {
        "bankAccount": {"id": "acc-card"},
        "supplier": {"id": "sup-1"},
        "customer": {"id": "cus-1"},
    }
    api.post(f"{base(read_company)}/config", json=config, headers=read_company["headers"])
    stocked.reference[ReferenceDataType.SUPPLIERS] = []
    api.post(
        f"/companies/{read_company['id']}/data/queue/suppliers", headers=read_company["headers"]
    )
    wait_for_pulls(api, read_company, 6)
    shown = api.get(f"{base(read_company)}/config", headers=read_company["headers"]).json()
    assert shown["supplier"] == {"id": "sup-1"}
    assert shown["warnings"] == [
        {"itemId": "Supplier.Id", "message": "The supplier sup-1 was not found in the ledger."}
    ]


def test_decoded_reference_data_is_bounded_by_records_not_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from types import SimpleNamespace

    from cachetools import LRUCache

    from spendsync.connectors.reference import LedgerContact, ReferenceDataType
    from spendsync.expenses import references

    reads: list[str] = []

    def read(_session: Any, connection: Any) -> references.ReferenceData:
        reads.append(connection.id)
        contacts = {
            f"c{n}": LedgerContact(
                id=f"c{n}", name=f"Contact {n}", is_supplier=True, is_customer=False
            )
            for n in range(connection.contacts)
        }
        return references.ReferenceData(
            read={ReferenceDataType.SUPPLIERS}, records={ReferenceDataType.SUPPLIERS: contacts}
        )

    monkeypatch.setattr(references, "_read", read)
    monkeypatch.setattr(
        references, "_decoded", LRUCache(maxsize=10, getsizeof=references._records_in)
    )

    def connection(name: str, contacts: int) -> Any:
        return SimpleNamespace(
            id=name, reference_version=1, contacts=contacts, connection_info=None
        )

    small, other, large, huge = (
        connection("small", 3),
        connection("other", 3),
        connection("large", 5),
        connection("huge", 20),
    )
    for each in (small, other, small, other):  # 4 + 4 records: both kept
        references.load(None, each)  # type: ignore[arg-type]
    assert reads == ["small", "other"]
    references.load(None, large)  # type: ignore[arg-type]  # 6 more: the least recent goes
    references.load(None, other)  # type: ignore[arg-type]
    references.load(None, small)  # type: ignore[arg-type]
    assert reads == ["small", "other", "large", "small"]
    for _ in range(2):  # larger than the whole cache: read every time, nothing evicted
        references.load(None, huge)  # type: ignore[arg-type]
    references.load(None, small)  # type: ignore[arg-type]
    assert reads == ["small", "other", "large", "small", "huge", "huge"]
    small.reference_version = 2  # a pull or a record created through the API
    references.load(None, small)  # type: ignore[arg-type]
    assert reads[-1] == "small"
