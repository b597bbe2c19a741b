"""The Beancount connector: a linked connection is a ledger file under the server's ledgers
directory (`<ledgers_dir>/<company id>/`). Reference data is read from the ledger's directives
(book.py); transactions are written from posting plans (render.py) into spendsync's own files,
checked by `bean-check` once per batch and replaced atomically under a file lock (files.py).

Errors, classified once:
- the ledger file is gone                       → AuthFailure (link the connection again)
- the ledger does not load (the user's error)   → NotSupported naming bean-check's errors;
                                                  nothing is written or overwritten
- another writer holds the lock; bean-check hung → Transient
- an entry Beancount (or the chart) refuses     → that transaction's rejection; the rest of
                                                  the batch is checked again and written
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath

from spendsync.connections.models import Connection
from spendsync.connectors.base import (
    CompanyInformation,
    LedgerContext,
    PlatformRecord,
    PushItem,
    PushOutcome,
)
from spendsync.connectors.beancount import book as books
from spendsync.connectors.beancount import files, render, syntax
from spendsync.connectors.beancount.book import Book
from spendsync.connectors.errors import AuthFailure, NotSupported, RecordValidation
from spendsync.connectors.reference import (
    AccountType,
    BankKind,
    LedgerAccount,
    LedgerContact,
    LedgerRecord,
    NewAccount,
    ReferenceDataType,
    ReferenceRead,
)
from spendsync.ledger.model import Expense, Reimbursable, Transfer
from spendsync.ledger.money import Money
from spendsync.ledger.posting import (
    AccountRole,
    PlanKind,
    Posting,
    PostingPlan,
    UnbalancedPlan,
    plan_adjustment,
    plan_expense,
    plan_reimbursable,
    plan_transfer,
)
from spendsync.ledger.validation import InvalidTransaction

RECORD_TYPE = "Transaction"
KEY = "spendsync_key"
"""Metadata key of the other entries spendsync writes (documents, accounts, contacts)."""
HEADER = "; Written by spendsync: edit the ledger's other files, not this one.\n"
_ROOTS = {
    AccountType.ASSET: "Assets",
    AccountType.LIABILITY: "Liabilities",
    AccountType.INCOME: "Income",
    AccountType.EXPENSE: "Expenses",
    AccountType.EQUITY: "Equity",
}


class _Refused(Exception):
    """One transaction this ledger cannot take; its message is the rejection."""


def ledger_path(connection: Connection, ledgers_dir: Path) -> Path:
    """The connection's ledger, which must lie under its company's folder (no path in the
    connection can point spendsync at another file on the server)."""
    name = (connection.connection_info or {}).get("ledgerPath")
    folder = (ledgers_dir / connection.company_id).resolve()
    if not name:
        raise NotSupported("The Beancount connection has no ledger file; link it again.")
    path = Path(str(name)).resolve()
    if not path.is_relative_to(folder):
        raise NotSupported(f"The ledger {path.name} is outside this company's ledgers folder.")
    return path


def _key_of(block: syntax.Block) -> str | None:
    meta = syntax.entry_meta(block.lines)
    if books.ID_KEY in meta:
        return str(meta[books.ID_KEY])
    return str(meta[KEY]) if KEY in meta else None


@dataclass
class _Span:
    key: str
    first: int
    last: int


class OwnFiles:
    """spendsync's files as keyed blocks; changes give the new file texts to check."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.blocks: dict[str, list[tuple[str | None, str]]] = {
            name: [(_key_of(b), b.text) for b in syntax.split_blocks(text)]
            for name, text in texts.items()
        }

    def where(self, key: str) -> list[str]:
        return [name for name, blocks in self.blocks.items() if any(k == key for k, _ in blocks)]

    def text_of(self, key: str) -> str | None:
        for blocks in self.blocks.values():
            for found, text in blocks:
                if found == key:
                    return text
        return None

    def changed(
        self, entries: Mapping[str, tuple[str, str]]
    ) -> tuple[dict[str, str], dict[str, list[_Span]], list[str]]:
        """Put each entry (key → (file name, text)) in its file, in place where it already is
        there, removing it from any other file. Returns (file → new text, file → spans of
        the entries, the order to replace files in: those gaining entries first)."""
        touched: set[str] = set()
        gaining: list[str] = []
        new_blocks = {name: list(blocks) for name, blocks in self.blocks.items()}
        for key, (target, text) in entries.items():
            placed = False
            for name, blocks in new_blocks.items():
                for index, (found, _) in enumerate(blocks):
                    if found != key:
                        continue
                    touched.add(name)
                    if name == target and not placed:
                        blocks[index] = (key, text)
                        placed = True
                    else:
                        blocks[index] = (None, "")
            if not placed:
                new_blocks.setdefault(target, []).append((key, text))
                touched.add(target)
                if target not in gaining:
                    gaining.append(target)
        texts: dict[str, str] = {}
        spans: dict[str, list[_Span]] = {}
        for name in sorted(touched):
            lines = HEADER.count("\n")
            out = [HEADER]
            spans[name] = []
            for block_key, block_text in new_blocks[name]:
                if not block_text:
                    continue
                out.append("\n" + block_text)
                first = lines + 2
                lines += 1 + block_text.count("\n")
                if block_key is not None:
                    spans[name].append(_Span(block_key, first, lines))
            texts[name] = "".join(out)
        order = gaining + [n for n in sorted(touched) if n not in gaining]
        return texts, spans, order


def _month_file(date: object) -> str:
    return f"{date:%Y-%m}.beancount"


class BeancountLedger:
    """One linked ledger."""

    # bean-check re-reads the whole ledger, so one check covers a large batch.
    max_batch_size = 500
    max_concurrent_pushes = 1  # one ledger file, written under its lock
    round_calls = 4  # no rate limit: a round of four checks keeps a clean stop short

    def __init__(self, connection: Connection, context: LedgerContext) -> None:
        self._settings = context.settings
        self.main = ledger_path(connection, context.settings.ledgers_dir)

    def close(self) -> None:
        """Nothing is held between calls (the lock is taken per write)."""

    # -- reading ------------------------------------------------------------------------

    def _book(self) -> Book:
        if not self.main.exists():
            raise AuthFailure(
                f"The ledger {self.main.name} is no longer in the company's ledgers folder; "
                "link the connection again."
            )
        try:
            return books.read_book(self.main)
        except (OSError, UnicodeDecodeError) as exc:
            raise NotSupported(f"The ledger {self.main.name} cannot be read: {exc}") from exc

    def get_company_info(self) -> CompanyInformation:
        return books.company_info(self._book())

    def read(self, data_type: ReferenceDataType, modified_since: datetime | None) -> ReferenceRead:
        book = self._book()
        records: list[LedgerRecord]
        if data_type is ReferenceDataType.CHART_OF_ACCOUNTS:
            records = list(books.accounts(book))
        elif data_type is ReferenceDataType.TAX_RATES:
            records = list(books.tax_rates(book))
        elif data_type is ReferenceDataType.TRACKING_CATEGORIES:
            records = list(books.tracking_categories(book))
        else:
            suppliers = data_type is ReferenceDataType.SUPPLIERS
            records = list(books.contacts(book, suppliers=suppliers))
        return ReferenceRead(data_type, records, complete=True)

    # -- writing ------------------------------------------------------------------------

    def _account(self, book: Book, plan: PostingPlan, posting: Posting) -> str:
        target = posting.account
        if target is AccountRole.BANK:
            raise _Refused(
                "The transaction names no bank account and the company's configuration sets none."
            )
        if target is AccountRole.ITEM:
            raise _Refused("Beancount has no items: name an account on each line.")
        if target is AccountRole.ACCOUNTS_PAYABLE:
            payable = book.role_account("accounts-payable")
            if payable is None:
                raise _Refused(
                    "The ledger declares no accounts payable (an account with role: "
                    '"accounts-payable"); name one on the transaction.'
                )
            target = payable
        elif target is AccountRole.TAX:
            rates = book.tax_rates()
            if posting.tax_rate_id is None:
                raise _Refused("Tax without a tax rate: name the tax rate on the line.")
            if posting.tax_rate_id not in rates:
                raise _Refused(f"The ledger declares no tax rate {posting.tax_rate_id}.")
            target = rates[posting.tax_rate_id].account
        if target not in book.opens:
            raise _Refused(f"{target} is not an account of this ledger.")
        if target in book.closes and book.closes[target].date <= plan.date:
            raise _Refused(f"{target} is closed (since {book.closes[target].date}).")
        if not book.is_open(target, plan.date):
            raise _Refused(
                f"{target} is not open on {plan.date} (opened {book.opens[target].date})."
            )
        return target

    def _plan(self, book: Book, item: PushItem) -> PostingPlan:
        document, base = item.document, book.base_currency
        try:
            if isinstance(document, Expense):
                return plan_expense(document, base)
            if isinstance(document, Reimbursable):
                return plan_reimbursable(document, base)
            if isinstance(document, Transfer):
                for account in (document.from_account_id, document.to_account_id):
                    if account not in book.opens:
                        raise _Refused(f"{account} is not an account of this ledger.")
                return plan_transfer(
                    Transfer(
                        id=document.id,
                        date=document.date,
                        from_account_id=document.from_account_id,
                        from_amount=Money(
                            document.from_amount.amount, book.currency_of(document.from_account_id)
                        ),
                        to_account_id=document.to_account_id,
                        to_amount=Money(
                            document.to_amount.amount, book.currency_of(document.to_account_id)
                        ),
                        description=document.description,
                    ),
                    base,
                )
            return plan_adjustment(document, base)
        except (InvalidTransaction, UnbalancedPlan) as exc:
            raise _Refused(f"The transaction cannot be posted: {exc}") from exc

    def _entry(self, book: Book, item: PushItem) -> tuple[str, str]:
        """(file name, entry text) of one item."""
        plan = self._plan(book, item)
        accounts = {i: self._account(book, plan, p) for i, p in enumerate(plan.postings)}
        currency_of = {account: book.currency_of(account) for account in accounts.values()}
        try:
            lines = render.lines_of(plan, accounts, currency_of)
        except ValueError as exc:
            raise _Refused(str(exc)) from exc
        payee = plan.merchant_name or (plan.counterparty.id if plan.counterparty else None)
        meta = {"spendsync_kind": plan.kind.value}
        if plan.counterparty is not None and plan.counterparty.id != payee:
            meta["contact"] = plan.counterparty.id
        if plan.reference:
            meta["reference"] = plan.reference
        if plan.due_date is not None:
            meta["due_date"] = plan.due_date.isoformat()
        narration = plan.memo or plan.reference or _DEFAULT_NARRATION[plan.kind]
        text = render.render_transaction(
            plan, lines, payee=payee, narration=narration, link=item.transaction_id, meta=meta
        )
        return _month_file(plan.date), text

    def _write(self, entries: dict[str, tuple[str, str]]) -> dict[str, str]:
        """Check and write entries (key → (file, text)) under the lock already held; returns
        the ones Beancount refused, with its reasons. Raises NotSupported when the ledger as it
        stands does not load."""
        refused: dict[str, str] = {}
        pending = dict(entries)
        while pending:
            own = OwnFiles(files.own_files(self.main))
            changed, spans, order = own.changed(pending)
            errors, where = files.check_candidate(self.main, changed)
            if not errors:
                files.commit(self.main, changed, order)
                return refused
            files.discard(self.main, changed)
            blamed: dict[str, list[str]] = {}
            for error in errors:
                name = where.get(str(Path(error.file).resolve())) if error.file else None
                span = next(
                    (s for s in spans.get(name or "", []) if s.first <= error.line <= s.last),
                    None,
                )
                if span is not None and span.key in pending:
                    blamed.setdefault(span.key, []).append(error.message)
            if not blamed:
                current = files.bean_check(self.main)
                if current:
                    raise NotSupported(
                        f"The ledger {self.main.name} does not load, so nothing was written: "
                        f"{files.describe(current)}"
                    )
                reason = f"Beancount refused the batch: {files.describe(errors)}"
                refused.update({key: reason for key in pending})
                return refused
            for key, messages in blamed.items():
                refused[key] = "Beancount refused it: " + "; ".join(dict.fromkeys(messages))
                pending.pop(key)
        return refused

    def push(self, items: Sequence[PushItem]) -> list[PushOutcome]:
        outcomes: dict[str, PushOutcome] = {}
        with files.locked(self.main, self._settings.beancount_lock_timeout_seconds):
            book = self._book()
            entries: dict[str, tuple[str, str]] = {}
            for item in items:
                try:
                    entries[item.transaction_id] = self._entry(book, item)
                except _Refused as exc:
                    outcomes[item.transaction_id] = PushOutcome(
                        item.transaction_id, rejection=str(exc)
                    )
            refused = self._write(entries)
        for key, (_, text) in entries.items():
            if key in refused:
                outcomes[key] = PushOutcome(key, rejection=refused[key])
            else:
                version = hashlib.sha256(text.encode()).hexdigest()[:16]
                outcomes[key] = PushOutcome(key, record=PlatformRecord(RECORD_TYPE, key, version))
        return [outcomes[item.transaction_id] for item in items]

    def _write_one(self, key: str, file_name: str, text: str) -> None:
        with files.locked(self.main, self._settings.beancount_lock_timeout_seconds):
            self._book()
            refused = self._write({key: (file_name, text)})
        if key in refused:
            raise RecordValidation(refused[key])

    def save_contact(
        self, data_type: ReferenceDataType, contact: LedgerContact, existing_id: str | None
    ) -> LedgerContact:
        kind = "supplier" if data_type is ReferenceDataType.SUPPLIERS else "customer"
        if not contact.name.strip():
            raise RecordValidation("A contact needs a name.")
        lines = [
            f'2000-01-01 custom "{kind}" {syntax.quote(contact.name)}',
            f"  {KEY}: {syntax.quote(f'{kind}:{existing_id or contact.name}')}",
        ]
        for key, value in (
            ("email", contact.email),
            ("tax_number", contact.tax_number),
            ("currency", contact.currency),
        ):
            if value:
                lines.append(f"  {key}: {syntax.quote(value)}")
        self._write_one(
            f"{kind}:{existing_id or contact.name}", files.REFERENCE_FILE, "\n".join(lines) + "\n"
        )
        return LedgerContact(
            id=contact.name,
            name=contact.name,
            is_supplier=kind == "supplier",
            is_customer=kind == "customer",
            currency=contact.currency,
            email=contact.email,
            tax_number=contact.tax_number,
        )

    def save_account(self, account: NewAccount) -> LedgerAccount:
        words = "".join(w[:1].upper() + w[1:] for w in render.tag(account.name).split("-") if w)
        leaf = "".join(c for c in words if c.isalnum()) or "Account"
        if not leaf[0].isupper():
            leaf = "A" + leaf
        group = {BankKind.BANK: "Bank", BankKind.CREDIT_CARD: "CreditCard"}.get(account.bank_kind)
        name = ":".join(p for p in (_ROOTS[account.account_type], group, leaf) if p)
        book = self._book()
        if name in book.opens:
            raise RecordValidation(f"The ledger already has an account {name}.")
        currency = account.currency or book.base_currency
        lines = [f"2000-01-01 open {name} {currency}", f"  name: {syntax.quote(account.name)}"]
        lines.append(f"  {KEY}: {syntax.quote(f'account:{name}')}")
        lines.append(f"  category: {syntax.quote(account.category)}")
        if account.nominal_code:
            lines.append(f"  code: {syntax.quote(account.nominal_code)}")
        if account.bank_kind is not BankKind.NONE:
            kind = "bank" if account.bank_kind is BankKind.BANK else "card"
            lines.append(f'  bank_kind: "{kind}"')
        self._write_one(f"account:{name}", files.REFERENCE_FILE, "\n".join(lines) + "\n")
        return next(a for a in books.accounts(self._book()) if a.id == name)

    def attach(
        self, record: PlatformRecord, file_name: str, content_type: str, content: bytes
    ) -> str:
        """The file goes beside the ledger (`spendsync/documents/<transaction>/<name>`) and a
        `document` directive, linked like the transaction, points at it."""
        safe = PurePath(file_name.replace("\\", "/")).name.strip().replace('"', "'")
        if not safe or safe in (".", ".."):
            raise RecordValidation("The attachment needs a file name.")
        with files.locked(self.main, self._settings.beancount_lock_timeout_seconds):
            book = self._book()
            found = book.entries.get(record.record_id)
            if not found:
                raise NotSupported(f"Transaction {record.record_id} is not in the ledger.")
            _, entry = found[0]
            folder = render.tag(record.record_id)
            directory = files.own_dir(self.main) / "documents" / folder
            directory.mkdir(parents=True, exist_ok=True)
            (directory / safe).write_bytes(content)
            key = f"document:{folder}/{safe}"
            account = entry.accounts[-1] if entry.accounts else None
            if account is None:
                raise NotSupported(f"Transaction {record.record_id} has no postings.")
            text = (
                f"{entry.date.isoformat()} document {account} "
                f"{syntax.quote(f'documents/{folder}/{safe}')} ^{render.tag(record.record_id)}\n"
                f"  {KEY}: {syntax.quote(key)}\n"
                f"  content_type: {syntax.quote(content_type)}\n"
            )
            refused = self._write({key: (_month_file(entry.date), text)})
        if key in refused:
            raise RecordValidation(refused[key])
        return f"{folder}/{safe}"


_DEFAULT_NARRATION = {
    PlanKind.PAYMENT: "Card payment",
    PlanKind.REFUND: "Card refund",
    PlanKind.REWARD: "Card cashback",
    PlanKind.CHARGEBACK: "Card chargeback",
    PlanKind.TRANSFER: "Transfer",
    PlanKind.REIMBURSABLE: "Expense claim",
    PlanKind.ADJUSTMENT: "Adjustment",
}


def open_beancount(connection: Connection, context: LedgerContext) -> BeancountLedger:
    return BeancountLedger(connection, context)
