"""Platform key → the platform's declaration. Keys are Codat's where Codat has one."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from spendsync.connections.models import Connection, SourceType
from spendsync.connectors.base import (
    AccountCreation,
    Capabilities,
    KindSupport,
    LedgerContext,
    LinkedLedger,
    TransactionKind,
)
from spendsync.connectors.errors import NotSupported
from spendsync.connectors.linking import Linker
from spendsync.connectors.qbo.mapping import BANK_CATEGORIES as QBO_BANK_CATEGORIES
from spendsync.connectors.qbo.mapping import QBO_TYPE_BY_CATEGORY
from spendsync.connectors.xero.mapping import XERO_TYPE_BY_CATEGORY

_NAMESPACE = uuid.UUID("4f0c4c2e-6b7c-4d44-9a6b-6a0f5c3c2b11")


class PlatformKey(enum.StrEnum):
    XERO = "gbol"
    QUICKBOOKS_ONLINE = "qhyg"
    DYNAMICS_365_BUSINESS_CENTRAL = "trji"
    NETSUITE = "akxx"
    QUICKBOOKS_DESKTOP = "pqsw"
    # Keys of our own (Codat has no such integrations); 4 lowercase letters like Codat's.
    BEANCOUNT = "bean"
    PARTNER_EXPENSE = "pexp"


@dataclass(frozen=True)
class Platform:
    key: PlatformKey
    name: str
    source_type: SourceType
    capabilities: Capabilities
    is_offline: bool = False

    @property
    def integration_id(self) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"integration:{self.key.value}"))

    @property
    def source_id(self) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"source:{self.key.value}"))


def _kinds(
    *, create: set[TransactionKind], update: set[TransactionKind], attach: set[TransactionKind]
) -> dict[TransactionKind, KindSupport]:
    return {
        kind: KindSupport(create=True, update=kind in update, attachments=kind in attach)
        for kind in TransactionKind
        if kind in create
    }


_K = TransactionKind
_CARD = {_K.PAYMENT, _K.REFUND, _K.REWARD, _K.CHARGEBACK}

# Targets from Codat's published support matrices (codat_semantics.md §2.7, peers.md);
# each connector confirms its own when it lands.
PLATFORMS: dict[PlatformKey, Platform] = {
    p.key: p
    for p in (
        Platform(
            key=PlatformKey.XERO,
            name="Xero",
            source_type=SourceType.ACCOUNTING,
            # Reimbursable expenses are bills to the employee: Codat does not offer them on
            # Xero, spendsync does.
            capabilities=Capabilities(
                kinds=_kinds(
                    create=_CARD | {_K.TRANSFER, _K.ADJUSTMENT, _K.REIMBURSABLE},
                    update=_CARD | {_K.REIMBURSABLE, _K.ADJUSTMENT},
                    attach=_CARD | {_K.TRANSFER, _K.REIMBURSABLE},
                ),
                max_attachment_bytes=10 * 1024 * 1024,
                accounts=AccountCreation(
                    categories=tuple(
                        (category, name) for category, (_, name) in XERO_TYPE_BY_CATEGORY.items()
                    ),
                    bank_categories=(
                        ("Asset.Bank", "Bank account"),
                        ("Liability.CreditCard", "Credit card"),
                    ),
                    nominal_code_required=True,
                    nominal_code_max_length=10,
                    name_max_length=150,
                    bank_account_number_required=True,
                ),
            ),
        ),
        Platform(
            key=PlatformKey.QUICKBOOKS_ONLINE,
            name="QuickBooks Online",
            source_type=SourceType.ACCOUNTING,
            # Card spend and money back are Purchases (Deposits on bank accounts), transfers
            # Transfers, reimbursables Bills to a vendor standing for the employee,
            # adjustments JournalEntries; every one but the journal takes updates (the API has
            # no adjustment update) and the card and reimbursable records take receipts.
            capabilities=Capabilities(
                kinds=_kinds(
                    create=set(TransactionKind),
                    update=_CARD | {_K.TRANSFER, _K.REIMBURSABLE},
                    attach=_CARD | {_K.REIMBURSABLE},
                ),
                max_attachment_bytes=100 * 1024 * 1024,
                accounts=AccountCreation(
                    categories=tuple(
                        (category, name) for category, name in QBO_TYPE_BY_CATEGORY.items()
                    ),
                    bank_categories=tuple(
                        (category, name) for category, name in QBO_BANK_CATEGORIES.items()
                    ),
                    nominal_code_required=False,
                    nominal_code_max_length=20,
                    name_max_length=100,
                    bank_account_number_required=False,
                ),
            ),
        ),
        Platform(
            key=PlatformKey.DYNAMICS_365_BUSINESS_CENTRAL,
            name="Dynamics 365 Business Central",
            source_type=SourceType.ACCOUNTING,
            capabilities=Capabilities(
                kinds=_kinds(create=_CARD | {_K.ADJUSTMENT}, update=set(), attach=_CARD),
                max_attachment_bytes=350 * 1024 * 1024,
            ),
        ),
        Platform(
            key=PlatformKey.NETSUITE,
            name="Oracle NetSuite",
            source_type=SourceType.ACCOUNTING,
            capabilities=Capabilities(
                kinds=_kinds(
                    create=_CARD | {_K.REIMBURSABLE},
                    update=_CARD | {_K.REIMBURSABLE},
                    attach=_CARD | {_K.REIMBURSABLE},
                ),
                max_attachment_bytes=10 * 1024 * 1024,
            ),
        ),
        Platform(
            key=PlatformKey.QUICKBOOKS_DESKTOP,
            name="QuickBooks Desktop",
            source_type=SourceType.ACCOUNTING,
            capabilities=Capabilities(
                kinds=_kinds(create=set(TransactionKind), update=set(), attach=set()),
            ),
            is_offline=True,
        ),
        Platform(
            key=PlatformKey.BEANCOUNT,
            name="Beancount (local ledger)",
            source_type=SourceType.ACCOUNTING,
            capabilities=Capabilities(
                kinds=_kinds(
                    create=set(TransactionKind),
                    update=set(TransactionKind),
                    attach=set(TransactionKind),
                ),
                max_attachment_bytes=25 * 1024 * 1024,
            ),
            is_offline=True,
        ),
        Platform(
            key=PlatformKey.PARTNER_EXPENSE,
            name="Partner Expense",
            source_type=SourceType.EXPENSE,
            capabilities=Capabilities(),
        ),
    )
}

ACCOUNTING_PLATFORMS = {
    k: p for k, p in PLATFORMS.items() if p.source_type is SourceType.ACCOUNTING
}


def find_platform(key: str) -> Platform | None:
    try:
        return PLATFORMS[PlatformKey(key)]
    except ValueError:
        return None


LedgerFactory = Callable[[Connection, LedgerContext], LinkedLedger]
_LEDGER_FACTORIES: dict[PlatformKey, LedgerFactory] = {}


def register_ledger(key: PlatformKey, factory: LedgerFactory) -> None:
    """Called by each connector package: how to open a linked connection of its platform."""
    _LEDGER_FACTORIES[key] = factory


def registered_ledger(key: PlatformKey) -> LedgerFactory | None:
    return _LEDGER_FACTORIES.get(key)


def unregister_ledger(key: PlatformKey) -> None:
    _LEDGER_FACTORIES.pop(key, None)


_LINKERS: dict[PlatformKey, Linker] = {}


def register_linker(key: PlatformKey, linker: Linker) -> None:
    """Called by each connector package: how a customer links a connection of its platform."""
    _LINKERS[key] = linker


def registered_linker(key: PlatformKey) -> Linker | None:
    return _LINKERS.get(key)


def linker_for_callback(callback_name: str) -> tuple[Platform, Linker] | None:
    for key, linker in _LINKERS.items():
        if linker.callback_name == callback_name:
            return PLATFORMS[key], linker
    return None


def has_connector(key: PlatformKey) -> bool:
    return key in _LEDGER_FACTORIES


def open_ledger(connection: Connection, context: LedgerContext) -> LinkedLedger:
    """The connector for a linked connection, or NotSupported naming the platform."""
    platform = find_platform(connection.platform_key)
    if platform is None or platform.key not in _LEDGER_FACTORIES:
        name = platform.name if platform else connection.platform_key
        raise NotSupported(f"This server has no {name} connector to read the ledger with.")
    return _LEDGER_FACTORIES[platform.key](connection, context)


def _register_builtin_connectors() -> None:
    from spendsync.connectors.beancount.connector import open_beancount
    from spendsync.connectors.beancount.link import BeancountLinker
    from spendsync.connectors.qbo.connector import open_qbo
    from spendsync.connectors.qbo.link import QboLinker
    from spendsync.connectors.xero.connector import open_xero
    from spendsync.connectors.xero.link import XeroLinker

    register_ledger(PlatformKey.XERO, open_xero)
    register_linker(PlatformKey.XERO, XeroLinker())
    register_ledger(PlatformKey.QUICKBOOKS_ONLINE, open_qbo)
    register_linker(PlatformKey.QUICKBOOKS_ONLINE, QboLinker())
    register_ledger(PlatformKey.BEANCOUNT, open_beancount)
    register_linker(PlatformKey.BEANCOUNT, BeancountLinker())


_register_builtin_connectors()
