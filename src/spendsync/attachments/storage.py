"""Where attachment bytes live. The embedded default is a local directory; writes are atomic
(temporary file, fsync, rename) so a crash never leaves half a receipt under a stored key."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol


class AttachmentStorage(Protocol):
    def save(self, key: str, content: bytes) -> None: ...

    def load(self, key: str) -> bytes: ...

    def delete_prefix(self, prefix: str) -> None: ...


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
