"""Attachments on an S3-compatible object store, chosen by configuration alone: a real S3 API
server (moto's) on a loopback socket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer
from pydantic import SecretStr, ValidationError

from spendsync.config import Settings
from tests.attachments.test_attachments import PDF, PNG, upload
from tests.conftest import PUBLIC_URL
from tests.expenses.test_expense_sync import base, payment, wait_for_sync
from tests.fakes import RecordingLedger, link_company
from tests.live_server import free_port

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BUCKET = "spendsync-receipts"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str) -> Iterator[S3Client]:
    """An empty bucket, and a client to look into it."""
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
    )
    client.create_bucket(Bucket=BUCKET)
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)
    client.close()


@pytest.fixture
def settings(
    database_url: str, jobs_database_url: str, secret_key: str, tmp_path: Path, s3_endpoint: str
) -> Settings:
    """The suite's settings with S3 storage: what an operator sets in the environment."""
    return Settings(
        database_url=database_url,
        jobs_database_url=jobs_database_url,
        data_dir=tmp_path,
        public_url=PUBLIC_URL,
        secret_key=secret_key,
        attachment_storage="s3",
        s3_bucket=BUCKET,
        s3_endpoint_url=s3_endpoint,
        s3_region="us-east-1",
        s3_access_key_id=SecretStr("test-key"),
        s3_secret_access_key=SecretStr("test-secret"),
    )


def synced_payment(api: TestClient, company: dict[str, Any]) -> dict[str, Any]:
    good = payment()
    sync_id = api.post(
        f"{base(company)}/expense-transactions", json=[good], headers=company["headers"]
    ).json()["syncId"]
    assert wait_for_sync(api, company, sync_id)["syncStatusCode"] == 2000
    return {**company, "sync": sync_id, "good": good["id"]}


def objects(bucket: S3Client) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for item in bucket.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        body = bucket.get_object(Bucket=BUCKET, Key=item["Key"])["Body"]
        found[item["Key"]] = body.read()
        body.close()
    return found


def test_receipts_live_in_the_bucket_and_go_with_their_company(
    api: TestClient,
    company: dict[str, Any],
    new_key: Any,
    engine: Any,
    ledger: RecordingLedger,
    bucket: S3Client,
    settings: Settings,
) -> None:
    synced = synced_payment(api, company)
    response = upload(api, synced, synced["good"], "receipt.pdf", PDF)
    assert response.status_code == 200, response.text

    stored = objects(bucket)
    assert list(stored.values()) == [PDF]
    [key] = stored
    assert key.startswith(f"{company['id']}/")
    assert key.endswith("/receipt.pdf")
    # The platform got the bytes read back from the bucket; nothing was written locally.
    assert ledger.attachments[-1][1:] == ("receipt.pdf", "application/pdf", PDF)
    assert not settings.attachments_dir.exists()

    other = link_company(api, engine, company["headers"])
    other_synced = synced_payment(api, other)
    assert (
        upload(api, other_synced, other_synced["good"], "r.png", PNG, "image/png").status_code
        == 200
    )
    assert len(objects(bucket)) == 2

    assert api.delete(f"/companies/{company['id']}", headers=company["headers"]).status_code == 204
    remaining = objects(bucket)
    assert [k.split("/")[0] for k in remaining] == [other["id"]]
    assert list(remaining.values()) == [PNG]


def test_s3_storage_needs_a_bucket() -> None:
    with pytest.raises(ValidationError, match="SPENDSYNC_S3_BUCKET"):
        Settings(attachment_storage="s3")
