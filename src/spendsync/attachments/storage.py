"""Where attachment bytes live, chosen by configuration (`make_storage`).

- `LocalDirectoryStorage`, the embedded default: a directory (a shared mount when distributed).
  Writes are atomic (temporary file, fsync, rename) so a crash never leaves half a receipt under
  a stored key.
- `S3Storage`: an S3-compatible object store. A PUT is atomic by itself.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from spendsync.config import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef


class AttachmentStorage(Protocol):
    def save(self, key: str, content: bytes) -> None: ...

    def load(self, key: str) -> bytes: ...

    def delete_prefix(self, prefix: str) -> None: ...

    def close(self) -> None: ...


class LocalDirectoryStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"attachment key escapes the storage directory: {key!r}")
        return path

    def save(self, key: str, content: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def load(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete_prefix(self, prefix: str) -> None:
        base = self._path(prefix)
        if not base.exists():
            return
        for path in sorted(base.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        base.rmdir()

    def close(self) -> None:
        pass


class S3Storage:
    """Keys are object keys in one bucket. Credentials: explicit, or boto3's standard chain."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:
            raise RuntimeError(
                "S3 attachment storage needs boto3: pip install 'spendsync[s3]'"
            ) from exc

        assert settings.s3_bucket is not None  # checked by Settings
        key_id, secret = settings.s3_access_key_id, settings.s3_secret_access_key
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=key_id.get_secret_value() if key_id else None,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
            config=Config(
                connect_timeout=10,
                read_timeout=60,
                retries={"mode": "standard", "max_attempts": 5},
            ),
        )
        return cls(client, settings.s3_bucket)

    def save(self, key: str, content: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=content)

    def load(self, key: str) -> bytes:
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        try:
            return body.read()
        finally:
            body.close()

    def delete_prefix(self, prefix: str) -> None:
        # A company's keys are `<company id>/...`: the slash keeps one id from matching another.
        prefix = prefix.rstrip("/") + "/"
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:
            keys: list[ObjectIdentifierTypeDef] = [
                {"Key": item["Key"]} for item in page.get("Contents", []) if "Key" in item
            ]
            if keys:  # a page holds at most 1000 keys, as many as one delete_objects takes
                self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True}
                )

    def close(self) -> None:
        self.client.close()


def make_storage(settings: Settings) -> AttachmentStorage:
    if settings.attachment_storage == "s3":
        return S3Storage.from_settings(settings)
    return LocalDirectoryStorage(settings.attachments_dir)
