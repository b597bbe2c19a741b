"""The contract every connector implements, and the capabilities it declares as data.

Capabilities drive request validation, the `/integrations` endpoint and the README's matrix.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class TransactionKind(enum.StrEnum):
    """What a client can ask a platform to record (Codat's endpoints and expense types)."""

    PAYMENT = "Payment"
    REFUND = "Refund"
    REWARD = "Reward"
    CHARGEBACK = "Chargeback"
    TRANSFER = "Transfer"
    REIMBURSABLE = "Reimbursable"
    ADJUSTMENT = "Adjustment"


@dataclass(frozen=True)
class KindSupport:
    create: bool = True
    update: bool = False
    attachments: bool = False


@dataclass(frozen=True)
class Capabilities:
    kinds: dict[TransactionKind, KindSupport] = field(default_factory=dict)
    max_attachment_bytes: int | None = None

    def supports(self, kind: TransactionKind) -> KindSupport | None:
        return self.kinds.get(kind)


@dataclass(frozen=True)
class CompanyInformation:
    """What `GET /companies/{id}/data/info` reports, read from the ledger."""

    company_name: str
    base_currency: str
    accounting_platform_ref: str | None = None
    registration_number: str | None = None
    financial_year_start_date: datetime | None = None
    source_urls: dict[str, str] = field(default_factory=dict)
    created_date: datetime | None = None


class LinkedLedger(Protocol):
    """Operations on one linked connection. Later issues extend this contract."""

    def get_company_info(self) -> CompanyInformation: ...
