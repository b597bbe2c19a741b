"""Reference data as every connector reports it: the platform-neutral shape of the ledger's
accounts, tax rates, tracking categories and contacts. Each connector maps its platform's own
records onto these (in its mapping module); everything above the connectors uses only these."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


class ReferenceDataType(enum.StrEnum):
    """Codat's data type keys for what spendsync reads from a ledger."""

    CHART_OF_ACCOUNTS = "chartOfAccounts"
    TAX_RATES = "taxRates"
    TRACKING_CATEGORIES = "trackingCategories"
    SUPPLIERS = "suppliers"
    CUSTOMERS = "customers"


class AccountType(enum.StrEnum):
    ASSET = "Asset"
    LIABILITY = "Liability"
    INCOME = "Income"
    EXPENSE = "Expense"
    EQUITY = "Equity"


class BankKind(enum.StrEnum):
    NONE = "None"
    BANK = "Bank"
    CREDIT_CARD = "CreditCard"


class RecordStatus(enum.StrEnum):
    ACTIVE = "Active"
    ARCHIVED = "Archived"


@dataclass(frozen=True)
class LedgerAccount:
    id: str
    name: str
    account_type: AccountType
    category: str  # Codat's fullyQualifiedCategory, e.g. "Expense.Overheads"
    currency: str
    nominal_code: str | None = None
    bank_kind: BankKind = BankKind.NONE
    status: RecordStatus = RecordStatus.ACTIVE
    modified: datetime | None = None

    @property
    def is_bank_account(self) -> bool:
        return self.bank_kind is not BankKind.NONE


@dataclass(frozen=True)
class NewAccount:
    """An account to create in the ledger: Codat's account prototype, or its bank account
    prototype (then `bank_kind` is not NONE and the account number may be required)."""

    name: str
    account_type: AccountType
    category: str  # Codat's fullyQualifiedCategory, one of the platform's AccountCreation
    currency: str | None = None
    nominal_code: str | None = None
    description: str | None = None
    bank_kind: BankKind = BankKind.NONE
    account_number: str | None = None
    sort_code: str | None = None


@dataclass(frozen=True)
class LedgerTaxRate:
    id: str
    name: str
    code: str | None
    effective_rate: Decimal  # percent, compounding applied
    total_rate: Decimal  # percent, plain sum of components
    for_purchases: bool = True
    for_sales: bool = False
    status: RecordStatus = RecordStatus.ACTIVE
    modified: datetime | None = None


@dataclass(frozen=True)
class LedgerTrackingCategory:
    id: str
    name: str
    parent_id: str | None = None
    has_children: bool = False
    status: RecordStatus = RecordStatus.ACTIVE
    modified: datetime | None = None


@dataclass(frozen=True)
class LedgerContact:
    id: str
    name: str
    is_supplier: bool
    is_customer: bool
    currency: str | None = None
    email: str | None = None
    tax_number: str | None = None
    status: RecordStatus = RecordStatus.ACTIVE
    modified: datetime | None = None


LedgerRecord = LedgerAccount | LedgerTaxRate | LedgerTrackingCategory | LedgerContact


@dataclass(frozen=True)
class ReferenceRead:
    """One read of one data type. `complete` means the records are the whole set (a record
    not in it no longer exists); otherwise they are the changes since the date asked for."""

    data_type: ReferenceDataType
    records: list[LedgerRecord] = field(default_factory=list)
    complete: bool = True
