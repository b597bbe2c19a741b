"""Encryption at rest for secrets spendsync must read back (webhook signing secrets, platform
tokens): Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`.

The key is `SPENDSYNC_SECRET_KEY` (a Fernet key; `spendsync secret-key` prints a new one). On the
embedded default without it, a key is generated once into `<data dir>/secret.key` (mode 0600),
so a self-hoster never has to think about it — and must back that file up with the database.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from spendsync.config import Settings


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError(
                "A stored secret cannot be decrypted: SPENDSYNC_SECRET_KEY differs from the key "
                "it was encrypted with."
            ) from exc


def _key_file(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key


def secret_box(settings: Settings) -> SecretBox:
    if settings.secret_key is not None:
        return SecretBox(settings.secret_key.get_secret_value().encode())
    return SecretBox(_key_file(settings.data_dir / "secret.key"))
