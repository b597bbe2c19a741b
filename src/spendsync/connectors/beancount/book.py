"""Reading a ledger: the main file and everything it includes, as parsed directives, and the
reference data spendsync reports from them.

The conventions a ledger follows for spendsync (README, "Beancount"):

- accounts are `open` directives; the type comes from the root (Assets, Liabilities, Income,
  Expenses, Equity, or the names set with `option "name_assets"` ...); the first currency of
  the `open` is the account's currency (the operating currency when it has none). Metadata:
  `name:` a display name, `code:` a nominal code, `category:` Codat's fullyQualifiedCategory,
  `bank_kind: "bank"` or `"card"` for bank and card accounts, `role: "accounts-payable"` for
  where reimbursable expenses are owed when the transaction names no account. A `close`
  directive archives the account.
- the company is `option "title"`; its base currency the first `option "operating_currency"`;
  `commodity` directives are its currencies.
- tax rates: `custom "tax-rate" "<code>" "<name>" <percent> <tax account>`, with metadata
  `for: "purchases"` (default), `"sales"` or `"both"`.
- tracking categories: `custom "tracking-category" "<id>" "<name>" ["<parent id>"]`; ids are
  valid Beancount tags, and spendsync tags the transactions that use them.
- suppliers and customers: `custom "supplier" "<name>"` / `custom "customer" "<name>"` (metadata
  `email:`, `tax_number:`, `currency:`), and every transaction payee is a supplier too.
"""

from __future__ import annotations

import datetime as dt
import glob
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from spendsync.connectors.base import CompanyInformation
from spendsync.connectors.beancount import syntax
from spendsync.connectors.reference import (
    AccountType,
    BankKind,
    LedgerAccount,
    LedgerContact,
    LedgerTaxRate,
    LedgerTrackingCategory,
    RecordStatus,
)

ROOT_OPTIONS = {
    "name_assets": ("Assets", AccountType.ASSET),
    "name_liabilities": ("Liabilities", AccountType.LIABILITY),
    "name_income": ("Income", AccountType.INCOME),
    "name_expenses": ("Expenses", AccountType.EXPENSE),
    "name_equity": ("Equity", AccountType.EQUITY),
}
_DEFAULT_CATEGORY = {
    AccountType.ASSET: "Asset.Current",
    AccountType.LIABILITY: "Liability.CurrentLiability",
    AccountType.INCOME: "Income.OtherIncome",
    AccountType.EXPENSE: "Expense.Overheads",
    AccountType.EQUITY: "Equity.Equity",
}
ID_KEY = "spendsync_id"
"""The metadata key that carries spendsync's transaction id on the entries it writes."""


@dataclass(frozen=True)
class TaxRate:
    code: str
    name: str
    percent: Decimal
    account: str
    for_purchases: bool
    for_sales: bool


@dataclass
class Book:
    """What a ledger declares, read from the main file and its includes."""

    main: Path
    files: list[Path] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)
    opens: dict[str, syntax.Open] = field(default_factory=dict)
    closes: dict[str, syntax.Close] = field(default_factory=dict)
    commodities: list[str] = field(default_factory=list)
    customs: list[syntax.Custom] = field(default_factory=list)
    payees: list[str] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    # spendsync's own entries by transaction id: the date and accounts of each.
    entries: dict[str, list[tuple[Path, syntax.Transaction]]] = field(default_factory=dict)
    documents: list[tuple[Path, syntax.Document]] = field(default_factory=list)

    @property
    def base_currency(self) -> str:
        return (self.options.get("operating_currency") or ["USD"])[0]

    @property
    def title(self) -> str:
        return (self.options.get("title") or [self.main.stem])[-1]

    def account_type(self, account: str) -> AccountType | None:
        root = account.split(":", 1)[0]
        for option, (default, account_type) in ROOT_OPTIONS.items():
            if root == (self.options.get(option) or [default])[-1]:
                return account_type
        return None

    def currency_of(self, account: str) -> str:
        opened = self.opens.get(account)
        return opened.currencies[0] if opened and opened.currencies else self.base_currency

    def is_open(self, account: str, on: dt.date) -> bool:
        opened, closed = self.opens.get(account), self.closes.get(account)
        return opened is not None and opened.date <= on and (closed is None or on < closed.date)

    def tax_rates(self) -> dict[str, TaxRate]:
        rates: dict[str, TaxRate] = {}
        for custom in self.customs:
            values = custom.values
            if custom.type != "tax-rate" or len(values) < 4:
                continue
            code, name, percent, account = values[:4]
            if not isinstance(percent, Decimal):
                continue
            usage = str(custom.meta.get("for", "purchases")).lower()
            rates[str(code)] = TaxRate(
                code=str(code),
                name=str(name),
                percent=percent,
                account=str(account),
                for_purchases=usage in ("purchases", "both"),
                for_sales=usage in ("sales", "both"),
            )
        return rates

    def role_account(self, role: str) -> str | None:
        for account, opened in self.opens.items():
            if str(opened.meta.get("role", "")) == role and account not in self.closes:
                return account
        return None


def _read_into(book: Book, path: Path, seen: set[Path]) -> None:
    resolved = path.resolve()
    if resolved in seen:
        return
    seen.add(resolved)
    book.files.append(resolved)
    text = resolved.read_text(encoding="utf-8")
    for _, directive in syntax.parse(text):
        if isinstance(directive, syntax.Option):
            book.options.setdefault(directive.name, []).append(directive.value)
        elif isinstance(directive, syntax.Include):
            if path == book.main:
                book.includes.append(directive.path)
            pattern = str(resolved.parent / directive.path)
            for found in sorted(glob.glob(pattern)):
                _read_into(book, Path(found), seen)
        elif isinstance(directive, syntax.Open):
            book.opens[directive.account] = directive
        elif isinstance(directive, syntax.Close):
            book.closes[directive.account] = directive
        elif isinstance(directive, syntax.Commodity):
            book.commodities.append(directive.currency)
        elif isinstance(directive, syntax.Custom):
            book.customs.append(directive)
        elif isinstance(directive, syntax.Document):
            book.documents.append((resolved, directive))
        elif isinstance(directive, syntax.Transaction):
            if directive.payee and directive.payee not in book.payees:
                book.payees.append(directive.payee)
            own = directive.meta.get(ID_KEY)
            if own is not None:
                book.entries.setdefault(str(own), []).append((resolved, directive))


def read_book(main: Path) -> Book:
    """Raises OSError when a file cannot be read (the main file is missing...)."""
    book = Book(main=main)
    _read_into(book, main, set())
    return book


# -- reference data ------------------------------------------------------------------------


def company_info(book: Book) -> CompanyInformation:
    return CompanyInformation(
        company_name=book.title,
        base_currency=book.base_currency,
        accounting_platform_ref=str(book.main),
        source_urls={"ledger": book.main.as_uri()},
    )


def _bank_kind(opened: syntax.Open) -> BankKind:
    kind = str(opened.meta.get("bank_kind", "")).lower()
    if kind == "bank":
        return BankKind.BANK
    if kind in ("card", "creditcard", "credit-card"):
        return BankKind.CREDIT_CARD
    return BankKind.NONE


def accounts(book: Book) -> list[LedgerAccount]:
    found: list[LedgerAccount] = []
    for account, opened in book.opens.items():
        account_type = book.account_type(account)
        if account_type is None:
            continue
        bank_kind = _bank_kind(opened)
        default = _DEFAULT_CATEGORY[account_type]
        if bank_kind is BankKind.BANK:
            default = f"{account_type.value}.Bank"
        elif bank_kind is BankKind.CREDIT_CARD:
            default = f"{account_type.value}.CreditCard"
        code = opened.meta.get("code")
        found.append(
            LedgerAccount(
                id=account,
                name=str(opened.meta.get("name") or account),
                account_type=account_type,
                category=str(opened.meta.get("category") or default),
                currency=book.currency_of(account),
                nominal_code=str(code) if code is not None else None,
                bank_kind=bank_kind,
                status=RecordStatus.ARCHIVED if account in book.closes else RecordStatus.ACTIVE,
            )
        )
    return found


def tax_rates(book: Book) -> list[LedgerTaxRate]:
    return [
        LedgerTaxRate(
            id=rate.code,
            name=rate.name,
            code=rate.code,
            effective_rate=rate.percent,
            total_rate=rate.percent,
            for_purchases=rate.for_purchases,
            for_sales=rate.for_sales,
            status=RecordStatus.ARCHIVED if rate.account in book.closes else RecordStatus.ACTIVE,
        )
        for rate in book.tax_rates().values()
    ]


def tracking_categories(book: Book) -> list[LedgerTrackingCategory]:
    declared = [
        (str(c.values[0]), str(c.values[1]), str(c.values[2]) if len(c.values) > 2 else None)
        for c in book.customs
        if c.type == "tracking-category" and len(c.values) >= 2
    ]
    parents = {parent for _, _, parent in declared if parent}
    return [
        LedgerTrackingCategory(
            id=category_id, name=name, parent_id=parent, has_children=category_id in parents
        )
        for category_id, name, parent in declared
    ]


def _optional(meta: dict[str, syntax.MetaValue], key: str) -> str | None:
    value = meta.get(key)
    return str(value) if value is not None else None


def contacts(book: Book, *, suppliers: bool) -> list[LedgerContact]:
    wanted = "supplier" if suppliers else "customer"
    found: dict[str, LedgerContact] = {}
    declared: set[str] = set()
    for custom in book.customs:
        if custom.type not in ("supplier", "customer") or not custom.values:
            continue
        name = str(custom.values[0])
        declared.add(name)
        if custom.type != wanted:
            continue
        found[name] = LedgerContact(
            id=name,
            name=name,
            is_supplier=suppliers,
            is_customer=not suppliers,
            currency=_optional(custom.meta, "currency"),
            email=_optional(custom.meta, "email"),
            tax_number=_optional(custom.meta, "tax_number"),
        )
    if suppliers:
        for payee in book.payees:
            if payee not in declared:
                found[payee] = LedgerContact(payee, payee, is_supplier=True, is_customer=False)
    return list(found.values())
