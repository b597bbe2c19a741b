"""Attachments: PUT/POST by file name, list, fetch by id or name, Xero's limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from spendsync.sandboxes.xero.app import XeroSandboxConfig
from tests.sandboxes.xero.conftest import messages_of, spend
from tests.sandboxes.xero.spec import conforms

Xero = Callable[..., Any]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def bank_transaction(xero: Xero) -> str:
    body = xero("PUT", "/BankTransactions", json={"BankTransactions": [spend()]}).json()
    return str(body["BankTransactions"][0]["BankTransactionID"])


def upload(xero: Xero, method: str, path: str, content: bytes, mime: str = "image/png") -> Any:
    return xero(method, path, content=content, headers={"Content-Type": mime})


def test_upload_list_fetch_and_has_attachments(xero: Xero) -> None:
    identifier = bank_transaction(xero)
    base = f"/BankTransactions/{identifier}/Attachments"
    response = upload(xero, "PUT", f"{base}/receipt.png", PNG)
    assert response.status_code == 200, response.text
    body = response.json()
    conforms(body, "Attachments")
    [attachment] = body["Attachments"]
    assert attachment["FileName"] == "receipt.png"
    assert attachment["MimeType"] == "image/png"
    assert attachment["ContentLength"] == len(PNG)
    assert attachment["Url"].endswith(f"{base}/receipt.png")
    listed = xero("GET", base).json()["Attachments"]
    assert [a["AttachmentID"] for a in listed] == [attachment["AttachmentID"]]
    by_id = xero("GET", f"{base}/{attachment['AttachmentID']}")
    assert by_id.content == PNG
    assert by_id.headers["content-type"] == "image/png"
    assert xero("GET", f"{base}/receipt.png").content == PNG
    transaction = xero("GET", f"/BankTransactions/{identifier}").json()["BankTransactions"][0]
    assert transaction["HasAttachments"] is True
    assert xero("GET", f"{base}/missing.png").status_code == 404


def test_post_overwrites_the_same_file_name(xero: Xero) -> None:
    identifier = bank_transaction(xero)
    base = f"/BankTransactions/{identifier}/Attachments"
    first = upload(xero, "PUT", f"{base}/receipt.pdf", b"%PDF-1 first", "application/pdf")
    second = upload(xero, "POST", f"{base}/receipt.pdf", b"%PDF-1 second!", "application/pdf")
    assert (
        second.json()["Attachments"][0]["AttachmentID"]
        == (first.json()["Attachments"][0]["AttachmentID"])
    )
    assert len(xero("GET", base).json()["Attachments"]) == 1
    assert xero("GET", f"{base}/receipt.pdf").content == b"%PDF-1 second!"


def test_ten_attachments_per_document(xero: Xero) -> None:
    identifier = bank_transaction(xero)
    base = f"/BankTransactions/{identifier}/Attachments"
    for index in range(10):
        assert upload(xero, "PUT", f"{base}/r{index}.png", PNG).status_code == 200
    eleventh = upload(xero, "PUT", f"{base}/r10.png", PNG)
    assert eleventh.status_code == 400
    assert messages_of(eleventh.json()) == ["A document can have a maximum of 10 attachments."]
    assert upload(xero, "POST", f"{base}/r3.png", PNG).status_code == 200  # replacing is fine


@pytest.fixture
def config() -> XeroSandboxConfig:
    # A 1 MB limit keeps the test fast; the default is Xero's 10 MB.
    return XeroSandboxConfig(max_attachment_bytes=1024 * 1024)


def test_file_size_limit(xero: Xero) -> None:
    identifier = bank_transaction(xero)
    base = f"/BankTransactions/{identifier}/Attachments"
    too_big = upload(xero, "PUT", f"{base}/big.png", b"x" * (1024 * 1024 + 1))
    assert too_big.status_code == 413
    assert messages_of(too_big.json()) == ["The attachment exceeds the maximum file size of 1MB."]
    assert upload(xero, "PUT", f"{base}/ok.png", b"x" * (1024 * 1024)).status_code == 200


def test_default_limit_is_ten_megabytes() -> None:
    assert XeroSandboxConfig().max_attachment_bytes == 10 * 1024 * 1024


def test_attachments_on_other_documents_and_unknown_document(xero: Xero) -> None:
    transfer = xero(
        "PUT",
        "/BankTransfers",
        json={
            "BankTransfers": [
                {"FromBankAccount": {"Code": "090"}, "ToBankAccount": {"Code": "091"}, "Amount": 5}
            ]
        },
    ).json()["BankTransfers"][0]
    path = f"/BankTransfers/{transfer['BankTransferID']}/Attachments/statement.pdf"
    assert upload(xero, "PUT", path, b"%PDF", "application/pdf").status_code == 200
    unknown = upload(
        xero, "PUT", "/Invoices/6a0e9b7e-0000-4000-8000-000000000000/Attachments/a.png", PNG
    )
    assert unknown.status_code == 404
    empty = upload(xero, "PUT", path.replace("statement", "empty"), b"")
    assert empty.status_code == 400


def test_attachment_upload_is_idempotent(xero: Xero) -> None:
    identifier = bank_transaction(xero)
    path = f"/BankTransactions/{identifier}/Attachments/receipt.png"
    key = {"Idempotency-Key": "receipt-1", "Content-Type": "image/png"}
    first = xero("PUT", path, content=PNG, headers=key)
    second = xero("PUT", path, content=PNG, headers=key)
    assert first.json() == second.json()
