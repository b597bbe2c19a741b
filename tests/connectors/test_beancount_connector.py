"""The Beancount connector on a real ledger file, checked by Beancount's own tools: reference data
from the ledger's directives, each transaction type as a balanced entry, updates in place,
replays, receipts as documents, refusals, a broken ledger, a held lock, and the licence rule."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from filelock import FileLock

from spendsync.config import Settings
from spendsync.connections.models import Connection
from spendsync.connectors.base import (
    LedgerContext,
    PlatformRecord,
    PushItem,
    PushOperation,
    TransactionKind,
)
from spendsync.connectors.beancount import syntax
from spendsync.connectors.beancount.book import read_book
from spendsync.connectors.beancount.connector import BeancountLedger
from spendsync.connectors.beancount.link import ledger_file, prepare_ledger
from spendsync.connectors.errors import AuthFailure, NotSupported, RecordValidation, Transient
from spendsync.connectors.reference import (
    AccountType,
    BankKind,
    LedgerAccount,
    LedgerContact,
    ReferenceDataType,
)
from spendsync.ledger.model import (
    Adjustment,
    AdjustmentLine,
    Expense,
    ExpenseKind,
    ExpenseLine,
    Reimbursable,
    TrackingRef,
)
from tests.connectors.contract.beancount import (
    bean_check_errors,
    bean_query,
    ledger_records,
    require_beancount,
)
from tests.connectors.ledger_documents import DAY, expense, transfer

COMPANY = "7c1f6a52-0000-4000-8000-000000000001"
SRC = Path(__file__).parents[2] / "src"


# -- the reader (no Beancount needed) ------------------------------------------------------


def test_blocks_metadata_and_comments_are_read_exactly() -> None:
    text = (
        'option "title" "Shop; Ltd"  ; a comment\n'
        "2026-01-01 open Assets:Bank GBP,USD\n"
        '  name: "Bank \\"main\\""\n'
        "  code: 90\n"
        "\n"
        '2026-01-01 custom "tax-rate" "VAT20" "20% VAT" 20 Assets:VAT  ; rate\n'
        '  for: "both"\n'
        '2026-02-01 * "Cafe" "Lunch" #team ^x1\n'
        '  spendsync_id: "t-1"\n'
        "  Expenses:Meals  10.00 GBP\n"
        '    note: "posting meta"\n'
        "  Assets:Bank\n"
    )
    parsed = [d for _, d in syntax.parse(text)]
    assert parsed[0] == syntax.Option("title", "Shop; Ltd")
    opened = parsed[1]
    assert isinstance(opened, syntax.Open)
    assert opened.currencies == ("GBP", "USD")
    assert opened.meta == {"name": 'Bank "main"', "code": Decimal(90)}
    custom = parsed[2]
    assert isinstance(custom, syntax.Custom)
    assert custom.values == ("VAT20", "20% VAT", Decimal(20), "Assets:VAT")
    assert custom.meta == {"for": "both"}
    txn = parsed[3]
    assert isinstance(txn, syntax.Transaction)
    assert (txn.payee, txn.narration, txn.tags, txn.links) == ("Cafe", "Lunch", {"team"}, {"x1"})
    assert txn.meta == {"spendsync_id": "t-1"}  # posting metadata is not the entry's
    assert txn.accounts == ("Expenses:Meals", "Assets:Bank")


def test_quoting_round_trips() -> None:
    for text in ("plain", 'with "quotes"', "back\\slash", 'both \\" mixed'):
        assert syntax.unquote(syntax.quote(text)) == text


def test_ledger_file_names_stay_in_the_company_folder(tmp_path: Path) -> None:
    assert ledger_file(tmp_path, COMPANY, None) == (tmp_path / COMPANY / "main.beancount").resolve()
    for bad in (
        "../other/main.beancount",
        "/etc/passwd",
        "x.txt",
        ".hidden.beancount",
        "a/b.beancount",
    ):
        with pytest.raises(AuthFailure):
            ledger_file(tmp_path, COMPANY, bad)


# -- a real ledger ---------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, beancount_lock_timeout_seconds=0.3)


@pytest.fixture
def main(settings: Settings) -> Path:
    require_beancount()
    path = ledger_file(settings.ledgers_dir, COMPANY, None)
    prepare_ledger(path, "Test Ltd", "GBP", 5)
    return path


def _open(settings: Settings, path: Path) -> BeancountLedger:
    connection = Connection(
        id="conn-1",
        client_id="client-1",
        company_id=COMPANY,
        platform_key="bean",
        connection_info={"ledgerPath": str(path)},
    )
    context = LedgerContext(settings=settings, session_factory=cast(Any, None))
    return BeancountLedger(connection, context)


@pytest.fixture
def ledger(settings: Settings, main: Path) -> BeancountLedger:
    return _open(settings, main)


def _item(document: Any, kind: TransactionKind, update: bool = False) -> PushItem:
    return PushItem(
        transaction_id=document.id,
        kind=kind,
        operation=PushOperation.UPDATE if update else PushOperation.CREATE,
        document=document,
        existing=PlatformRecord("Transaction", document.id) if update else None,
        idempotency_key=f"key-{document.id}",
    )


def _payment(
    transaction_id: str, net: str = "10.00", account: str = "Expenses:Travel:National", **extra: Any
) -> Expense:
    fields: dict[str, Any] = {
        "id": transaction_id,
        "bank_account_id": "Liabilities:CreditCard:Company",
        "lines": (
            ExpenseLine(
                Decimal(net),
                (Decimal(net) * Decimal("0.2")).quantize(Decimal("0.01")),
                account_id=account,
                tax_rate_id="VAT20",
                tracking=(TrackingRef("department-sales"),),
            ),
        ),
    }
    return expense(ExpenseKind.PAYMENT, **{**fields, **extra})


def _entry_text(main: Path, transaction_id: str) -> str:
    for path in (main.parent / "spendsync").glob("*.beancount"):
        for block in syntax.split_blocks(path.read_text()):
            if f'spendsync_id: "{transaction_id}"' in block.text:
                return block.text
    raise AssertionError(f"{transaction_id} is not in the ledger")


def test_reference_data_comes_from_the_ledger(ledger: BeancountLedger) -> None:
    info = ledger.get_company_info()
    assert (info.company_name, info.base_currency) == ("Test Ltd", "GBP")
    accounts = {
        a.name: a
        for a in ledger.read(ReferenceDataType.CHART_OF_ACCOUNTS, None).records
        if isinstance(a, LedgerAccount)
    }
    card = accounts["Company Card"]
    assert (card.id, card.account_type, card.bank_kind) == (
        "Liabilities:CreditCard:Company",
        AccountType.LIABILITY,
        BankKind.CREDIT_CARD,
    )
    assert card.category == "Liability.CreditCard"
    assert accounts["Business Bank Account"].bank_kind is BankKind.BANK
    assert accounts["USD Card"].currency == "USD"
    assert accounts["Card Cashback Rewards"].account_type is AccountType.INCOME
    rates = {r.id: r for r in ledger.read(ReferenceDataType.TAX_RATES, None).records}
    assert rates["VAT20"].effective_rate == Decimal(20)
    tracking = {t.id: t for t in ledger.read(ReferenceDataType.TRACKING_CATEGORIES, None).records}
    assert tracking["department-sales"].parent_id == "department"
    assert tracking["department"].has_children is True
    suppliers = {c.name for c in ledger.read(ReferenceDataType.SUPPLIERS, None).records}
    assert {"Pret A Manger", "Jane Cooper"} <= suppliers
    customers = {c.name for c in ledger.read(ReferenceDataType.CUSTOMERS, None).records}
    assert customers == {"Acme Retail Ltd"}


def test_each_type_is_a_balanced_entry_beancount_accepts(
    ledger: BeancountLedger, main: Path
) -> None:
    items = [
        _item(_payment("pay-1"), TransactionKind.PAYMENT),
        _item(
            Expense(
                id="fx-1",
                kind=ExpenseKind.PAYMENT,
                issue_date=DAY,
                currency="USD",
                currency_rate=Decimal("0.79"),
                bank_account_id="Liabilities:CreditCard:USD",
                merchant_name="GitHub Inc",
                lines=(ExpenseLine(Decimal("50.00"), account_id="Expenses:Software"),),
            ),
            TransactionKind.PAYMENT,
        ),
        _item(
            transfer(
                "Assets:Bank:Current",
                "100.00 XXX",
                "Liabilities:CreditCard:Company",
                "100.00 XXX",
                id="tr-1",
                description="Card repayment",
            ),
            TransactionKind.TRANSFER,
        ),
        _item(
            Reimbursable(
                id="claim-1",
                contact_id="Jane Cooper",
                issue_date=DAY,
                due_date=DAY + dt.timedelta(days=14),
                currency="GBP",
                lines=(
                    ExpenseLine(
                        Decimal("30.00"),
                        Decimal("6.00"),
                        account_id="Expenses:Travel:National",
                        tax_rate_id="VAT20",
                    ),
                ),
                reference="EC-1",
            ),
            TransactionKind.REIMBURSABLE,
        ),
        _item(
            Adjustment(
                id="adj-1",
                date=DAY,
                currency="EUR",
                currency_rate=Decimal("0.85"),
                lines=(
                    AdjustmentLine(Decimal("10.00"), "Expenses:General"),
                    AdjustmentLine(Decimal("-10.00"), "Expenses:Office"),
                ),
            ),
            TransactionKind.ADJUSTMENT,
        ),
    ]
    outcomes = ledger.push(items)
    assert [o.rejection for o in outcomes] == [None] * len(items)
    assert [o.record.record_id for o in outcomes if o.record] == [i.transaction_id for i in items]
    assert bean_check_errors(main) == ""
    payment = _entry_text(main, "pay-1")
    assert "#department-sales" in payment
    assert "Assets:VAT:Input  2.00 GBP" in payment  # tax on its own posting
    assert "Liabilities:CreditCard:Company  -12.00 GBP" in payment
    assert "Expenses:Software  50.00 USD" in _entry_text(main, "fx-1")  # a USD card pays USD
    adjustment = _entry_text(main, "adj-1")
    assert "Expenses:General  10.00 EUR @@ 8.50 GBP" in adjustment
    assert "^claim-1" in _entry_text(main, "claim-1")
    assert "Liabilities:AccountsPayable  -36.00 GBP" in _entry_text(main, "claim-1")
    totals = {r.record_id: (r.amount, r.currency) for r in ledger_records(main)}
    assert totals == {
        "pay-1": (Decimal("12.00"), "GBP"),
        "fx-1": (Decimal("50.00"), "USD"),
        "tr-1": (Decimal("100.00"), "GBP"),
        "claim-1": (Decimal("36.00"), "GBP"),
        "adj-1": (Decimal("10.00"), "EUR"),
    }
    # The user's file is untouched by writes.
    assert "spendsync_id" not in main.read_text()


def test_a_foreign_spend_on_a_base_currency_card_is_priced_exactly(
    ledger: BeancountLedger, main: Path
) -> None:
    three_lines = tuple(
        ExpenseLine(Decimal("10.01"), account_id="Expenses:Software") for _ in range(3)
    )
    spend = Expense(
        id="fx-2",
        kind=ExpenseKind.PAYMENT,
        issue_date=DAY,
        currency="USD",
        currency_rate=Decimal("0.7777"),
        bank_account_id="Liabilities:CreditCard:Company",
        lines=three_lines,
    )
    [outcome] = ledger.push([_item(spend, TransactionKind.PAYMENT)])
    assert outcome.rejection is None
    text = _entry_text(main, "fx-2")
    assert re.findall(r"10\.01 USD @@ (\S+) GBP", text) == ["7.79", "7.78", "7.78"]
    assert "Liabilities:CreditCard:Company  -23.35 GBP" in text
    assert bean_check_errors(main) == ""


def test_updates_rewrite_the_entry_in_place_and_replays_do_not_duplicate(
    ledger: BeancountLedger, main: Path
) -> None:
    ledger.push([_item(_payment(f"p-{n}"), TransactionKind.PAYMENT) for n in range(3)])
    month = main.parent / "spendsync" / "2026-11.beancount"
    order = re.findall(r'spendsync_id: "(p-\d)"', month.read_text())
    [replayed] = ledger.push([_item(_payment("p-1"), TransactionKind.PAYMENT)])
    assert replayed.record is not None
    [updated] = ledger.push(
        [_item(_payment("p-1", "25.50", "Expenses:General"), TransactionKind.PAYMENT, update=True)]
    )
    assert updated.record is not None
    assert re.findall(r'spendsync_id: "(p-\d)"', month.read_text()) == order
    assert "Expenses:General  25.50 GBP" in _entry_text(main, "p-1")
    # A new date in another month moves the entry there.
    moved = _payment("p-2", issue_date=dt.date(2026, 12, 1))
    ledger.push([_item(moved, TransactionKind.PAYMENT, update=True)])
    assert "p-2" not in month.read_text()
    assert "p-2" in (main.parent / "spendsync" / "2026-12.beancount").read_text()
    ids = [r.record_id for r in ledger_records(main)]
    assert sorted(ids) == ["p-0", "p-1", "p-2"]
    assert bean_check_errors(main) == ""


def test_a_refused_entry_fails_alone(ledger: BeancountLedger, main: Path) -> None:
    with main.open("a") as handle:
        handle.write("\n2026-01-02 close Expenses:Meals\n")
    outcomes = ledger.push(
        [
            _item(_payment("ok-1"), TransactionKind.PAYMENT),
            _item(_payment("closed-1", account="Expenses:Meals"), TransactionKind.PAYMENT),
            _item(_payment("unknown-1", account="Expenses:Nope"), TransactionKind.PAYMENT),
            _item(_payment("no-bank", bank_account_id=None), TransactionKind.PAYMENT),
        ]
    )
    assert outcomes[0].record is not None
    assert "closed" in (outcomes[1].rejection or "")
    assert "not an account" in (outcomes[2].rejection or "")
    assert "no bank account" in (outcomes[3].rejection or "")
    assert [r.record_id for r in ledger_records(main)] == ["ok-1"]


def test_an_entry_only_beancount_refuses_is_found_by_its_line(
    ledger: BeancountLedger, main: Path
) -> None:
    # Accounts payable is opened for GBP only: the chart allows the line, Beancount does not.
    dollars = Expense(
        id="usd-1",
        kind=ExpenseKind.PAYMENT,
        issue_date=DAY,
        currency="USD",
        currency_rate=Decimal("0.8"),
        bank_account_id="Liabilities:CreditCard:USD",
        lines=(ExpenseLine(Decimal("5.00"), account_id="Liabilities:AccountsPayable"),),
    )
    outcomes = ledger.push(
        [
            _item(_payment("g-1"), TransactionKind.PAYMENT),
            _item(dollars, TransactionKind.PAYMENT),
            _item(_payment("g-2"), TransactionKind.PAYMENT),
        ]
    )
    assert outcomes[0].record is not None
    assert outcomes[2].record is not None
    assert "Beancount refused it" in (outcomes[1].rejection or "")
    assert "USD" in (outcomes[1].rejection or "")
    assert sorted(r.record_id for r in ledger_records(main)) == ["g-1", "g-2"]
    assert bean_check_errors(main) == ""


def test_a_ledger_that_does_not_load_is_reported_and_never_overwritten(
    ledger: BeancountLedger, main: Path
) -> None:
    ledger.push([_item(_payment("before"), TransactionKind.PAYMENT)])
    with main.open("a") as handle:
        handle.write(
            '\n2026-11-01 * "Broken"\n'
            "  Expenses:Meals  5.00 GBP\n"
            "  Assets:Bank:Current  -4.00 GBP\n"
        )
    own = {p: p.read_bytes() for p in (main.parent / "spendsync").glob("*")}
    user = main.read_bytes()
    with pytest.raises(NotSupported, match="does not load"):
        ledger.push([_item(_payment("after"), TransactionKind.PAYMENT)])
    assert main.read_bytes() == user
    assert {p: p.read_bytes() for p in (main.parent / "spendsync").glob("*")} == own
    assert not list(main.parent.rglob("*.candidate*"))


def test_a_held_lock_is_transient(ledger: BeancountLedger, main: Path) -> None:
    with FileLock(str(main.parent / f".{main.name}.lock")), pytest.raises(Transient):
        ledger.push([_item(_payment("locked"), TransactionKind.PAYMENT)])
    assert ledger.push([_item(_payment("locked"), TransactionKind.PAYMENT)])[0].record


def test_a_missing_ledger_needs_relinking_and_others_are_out_of_reach(
    settings: Settings, main: Path, tmp_path: Path
) -> None:
    main.rename(main.with_name("elsewhere.bak"))
    with pytest.raises(AuthFailure):
        _open(settings, main).push([_item(_payment("x"), TransactionKind.PAYMENT)])
    outside = tmp_path / "outside.beancount"
    outside.write_text("")
    with pytest.raises(NotSupported, match="outside"):
        _open(settings, outside)


def test_receipts_are_documents_beside_the_ledger(ledger: BeancountLedger, main: Path) -> None:
    [outcome] = ledger.push([_item(_payment("r-1"), TransactionKind.PAYMENT)])
    assert outcome.record is not None
    pdf = b"%PDF-1.4\n%%EOF\n"
    file_id = ledger.attach(outcome.record, "receipt.pdf", "application/pdf", pdf)
    again = ledger.attach(outcome.record, "receipt.pdf", "application/pdf", pdf)
    assert file_id == again == "r-1/receipt.pdf"
    stored = main.parent / "spendsync" / "documents" / "r-1" / "receipt.pdf"
    assert stored.read_bytes() == pdf
    documents = bean_query(main, "SELECT filename, links FROM #documents")
    assert [(Path(d["filename"]), d["links"]) for d in documents] == [
        (stored.resolve(), "frozenset({'r-1'})")
    ]
    with pytest.raises(NotSupported):
        ledger.attach(PlatformRecord("Transaction", "nope"), "x.pdf", "application/pdf", pdf)


def test_contacts_and_accounts_are_declared_in_spendsyncs_file(
    ledger: BeancountLedger, main: Path
) -> None:
    contact = ledger.save_contact(
        ReferenceDataType.SUPPLIERS,
        LedgerContact("", "Joe's Cafe", True, False, email="joe@example.com"),
        None,
    )
    assert contact.id == "Joe's Cafe"
    account = ledger.save_account(
        __import__("spendsync.connectors.reference", fromlist=["NewAccount"]).NewAccount(
            name="Team events",
            account_type=AccountType.EXPENSE,
            category="Expense.Overheads",
            nominal_code="455",
        )
    )
    assert (account.id, account.name, account.nominal_code) == (
        "Expenses:TeamEvents",
        "Team events",
        "455",
    )
    with pytest.raises(RecordValidation):
        ledger.save_account(
            __import__("spendsync.connectors.reference", fromlist=["NewAccount"]).NewAccount(
                name="Team events", account_type=AccountType.EXPENSE, category="Expense.Overheads"
            )
        )
    book = read_book(main)
    assert "Expenses:TeamEvents" in book.opens
    assert any(c.values[:1] == ("Joe's Cafe",) for c in book.customs)
    assert bean_check_errors(main) == ""


def test_spendsync_never_imports_beancount() -> None:
    """Beancount and beanquery are GPL-2.0: they run as separate processes, never in ours."""
    pattern = re.compile(r"^\s*(import|from)\s+(beancount|beanquery|fava)\b", re.MULTILINE)
    roots = [SRC, Path(__file__).parents[1]]
    offenders = [
        str(path)
        for root in roots
        for path in root.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
