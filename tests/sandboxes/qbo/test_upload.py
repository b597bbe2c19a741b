"""``POST /upload``: multipart file_metadata_NN + file_content_NN → Attachable linked to a txn."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from spendsync.sandboxes.qbo import QboSandbox
from tests.sandboxes.qbo.conftest import Qbo, card_purchase, fault_of
from tests.sandboxes.qbo.xsd import conforms

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4


def _multipart(parts: list[tuple[str, dict[str, str], bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body written by hand, to control each part's headers."""
    boundary = "spendsyncBoundary7MA4YWxk"
    chunks = []
    for name, headers, content in parts:
        disposition = f'form-data; name="{name}"'
        if "filename" in headers:
            disposition += f'; filename="{headers.pop("filename")}"'
        lines = [f"--{boundary}", f"Content-Disposition: {disposition}"]
        lines += [f"{key}: {value}" for key, value in headers.items()]
        chunks.append(("\r\n".join(lines) + "\r\n\r\n").encode() + content + b"\r\n")
    body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _metadata(purchase_id: str, name: str = "receipt.jpg") -> bytes:
    return json.dumps(
        {
            "AttachableRef": [
                {"EntityRef": {"type": "Purchase", "value": purchase_id}, "IncludeOnSend": False}
            ],
            "FileName": name,
            "ContentType": "image/jpeg",
        }
    ).encode()


def _upload(qbo: Qbo, purchase_id: str, encoding: str | None, **params: Any) -> Any:
    content = base64.b64encode(JPEG) if encoding == "base64" else JPEG
    file_headers = {"filename": "receipt.jpg", "Content-Type": "image/jpeg"}
    if encoding:
        file_headers["Content-Transfer-Encoding"] = encoding
    body, content_type = _multipart(
        [
            ("file_metadata_01", {"Content-Type": "application/json"}, _metadata(purchase_id)),
            ("file_content_01", file_headers, content),
        ]
    )
    return qbo(
        "POST", "/upload", content=body, headers={"Content-Type": content_type}, params=params
    )


@pytest.fixture
def purchase_id(us: Qbo, sandbox: QboSandbox) -> str:
    return str(us("POST", "/purchase", json=card_purchase(sandbox)).json()["Purchase"]["Id"])


@pytest.mark.parametrize("encoding", [None, "binary", "base64"])
def test_upload_creates_an_attachable_linked_to_the_purchase(
    us: Qbo, purchase_id: str, encoding: str | None
) -> None:
    response = _upload(us, purchase_id, encoding)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"AttachableResponse", "time"}
    attachable = body["AttachableResponse"][0]["Attachable"]
    conforms("Attachable", attachable)
    assert attachable["FileName"] == "receipt.jpg"
    assert attachable["ContentType"] == "image/jpeg"
    assert attachable["Size"] == len(JPEG)
    assert attachable["AttachableRef"][0]["EntityRef"] == {"type": "Purchase", "value": purchase_id}
    assert attachable["FileAccessUri"].endswith(f"/download/{attachable['Id']}")
    download = us("GET", f"/download/{attachable['Id']}")
    assert download.content == JPEG
    linked = us(
        "GET",
        "/query",
        params={
            "query": f"select * from Attachable where AttachableRef.EntityRef = '{purchase_id}'"
        },
    ).json()["QueryResponse"]["Attachable"]
    assert [a["Id"] for a in linked] == [attachable["Id"]]


def test_upload_to_a_missing_transaction_is_a_per_file_fault(us: Qbo) -> None:
    response = _upload(us, "987654", None)
    assert response.status_code == 200
    fault = response.json()["AttachableResponse"][0]["Fault"]
    assert fault["Error"][0]["code"] == "2500"


def test_upload_without_file_content_is_refused(us: Qbo) -> None:
    body, content_type = _multipart([("file_metadata_01", {}, b"{}")])
    response = us("POST", "/upload", content=body, headers={"Content-Type": content_type})
    assert fault_of(response)["code"] == "2020"


def test_upload_over_the_size_limit_is_6030(us: Qbo, purchase_id: str, sandbox: QboSandbox) -> None:
    """The limit is 100 MB like QBO's; this test shrinks it to 512 bytes."""
    assert sandbox.config.max_upload_bytes == 100 * 1024 * 1024
    sandbox.config.max_upload_bytes = 512
    response = _upload(us, purchase_id, None)
    assert response.status_code == 400
    error = fault_of(response)
    assert error["code"] == "6030"
    assert "512 bytes" in error["Detail"]
