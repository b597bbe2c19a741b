"""Receipts uploaded to a synced transaction: checks, durable storage, upload to the platform."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spendsync.config import Settings
from tests.expenses.test_expense_sync import base, payment, wait_for_sync
from tests.fakes import RecordingLedger

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def synced(api: TestClient, company: dict[str, Any]) -> dict[str, Any]:
    good, bad = payment(), payment(merchantName="REJECT")
    sync_id = api.post(
        f"{base(company)}/expense-transactions", json=[good, bad], headers=company["headers"]
    ).json()["syncId"]
    wait_for_sync(api, company, sync_id)
    return {**company, "sync": sync_id, "good": good["id"], "bad": bad["id"]}


def upload(
    api: TestClient,
    c: dict[str, Any],
    transaction_id: str,
    name: str,
    content: bytes,
    mime: str = "application/pdf",
) -> Any:
    return api.post(
        f"{base(c)}/syncs/{c['sync']}/transactions/{transaction_id}/attachments",
        files={"file": (name, content, mime)},
        headers=c["headers"],
    )


def test_receipt_is_stored_and_uploaded(
    api: TestClient, synced, ledger: RecordingLedger, settings: Settings
) -> None:
    response = upload(api, synced, synced["good"], "receipt.pdf", PDF, "application/octet-stream")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "companyId": synced["id"],
        "id": "ATT-1",
        "transactionId": synced["good"],
    }
    record, name, content_type, content = ledger.attachments[0]
    assert record.record_type == "BankTransaction"
    assert (name, content_type, content) == ("receipt.pdf", "application/pdf", PDF)
    stored = list(Path(settings.attachments_dir).rglob("receipt.pdf"))
    assert [p.read_bytes() for p in stored] == [PDF]


def test_content_must_match_the_name(api: TestClient, synced) -> None:
    response = upload(api, synced, synced["good"], "receipt.pdf", PNG)
    assert response.status_code == 400
    assert response.json()["error"] == "The file is named .pdf but its content is image/png."
    assert upload(api, synced, synced["good"], "tool.exe", b"MZ\x90\x00").status_code == 400
    assert upload(api, synced, synced["good"], "empty.pdf", b"").status_code == 400
    assert upload(api, synced, synced["good"], "notes.txt", b"\xff\xfe\x00bad").status_code == 400
    assert (
        upload(api, synced, synced["good"], "notes.txt", "Taxi 12.50 £".encode()).status_code == 200
    )


def test_path_in_the_name_is_dropped(
    api: TestClient, synced, ledger: RecordingLedger, settings: Settings
) -> None:
    response = upload(api, synced, synced["good"], "../../../etc/receipt.png", PNG, "image/png")
    assert response.status_code == 200
    assert ledger.attachments[-1][1] == "receipt.png"
    assert all(
        p.is_relative_to(settings.attachments_dir) for p in settings.attachments_dir.rglob("*")
    )


def test_only_completed_transactions_of_that_sync(api: TestClient, synced) -> None:
    failed = upload(api, synced, synced["bad"], "receipt.pdf", PDF)
    assert failed.status_code == 409
    assert "PushError" in failed.json()["error"]
    elsewhere = upload(api, synced, str(uuid.uuid4()), "receipt.pdf", PDF)
    assert elsewhere.status_code == 400


def test_platform_limits(api: TestClient, synced) -> None:
    big = PDF + b"0" * (10 * 1024 * 1024)
    response = upload(api, synced, synced["good"], "big.pdf", big)
    assert response.status_code == 413
    assert "Xero takes at most" in response.json()["error"]


def test_kinds_without_attachments_are_422(api: TestClient, company, engine) -> None:
    adjustment = {
        "id": str(uuid.uuid4()),
        "date": "2026-11-30",
        "currency": "GBP",
        "lines": [
            {"amount": 10, "accountRef": {"id": "429"}},
            {"amount": -10, "accountRef": {"id": "800"}},
        ],
    }
    sync_id = api.post(
        f"{base(company)}/adjustment-transactions", json=[adjustment], headers=company["headers"]
    ).json()["syncId"]
    wait_for_sync(api, company, sync_id)
    c = {**company, "sync": sync_id}
    response = upload(api, c, adjustment["id"], "receipt.pdf", PDF)
    assert response.status_code == 422
    assert response.json()["error"] == "Xero does not take attachments on Adjustment transactions."


def test_a_passing_platform_failure_keeps_the_file_for_a_retry(
    api: TestClient, synced, ledger: RecordingLedger
) -> None:
    ledger.unavailable_calls = 1
    first = upload(api, synced, synced["good"], "receipt.pdf", PDF)
    assert first.status_code == 503
    assert first.json()["canBeRetried"] == "Yes"
    again = upload(api, synced, synced["good"], "receipt.pdf", PDF)
    assert again.status_code == 200


def test_deleting_the_company_deletes_its_files(
    api: TestClient, synced, settings: Settings
) -> None:
    assert upload(api, synced, synced["good"], "receipt.pdf", PDF).status_code == 200
    assert list(settings.attachments_dir.rglob("*.pdf"))
    assert api.delete(f"/companies/{synced['id']}", headers=synced["headers"]).status_code == 204
    assert not list(settings.attachments_dir.rglob("*.pdf"))
