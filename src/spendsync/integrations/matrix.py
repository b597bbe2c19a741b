"""The README's integrations matrix, rendered from the connectors' declared capabilities (a test
keeps the README equal to this; `spendsync integrations` prints it)."""

from __future__ import annotations

from spendsync.connections.models import SourceType
from spendsync.connectors.base import KindSupport, TransactionKind
from spendsync.connectors.registry import PLATFORMS, Platform, has_connector

_CARD = (
    TransactionKind.PAYMENT,
    TransactionKind.REFUND,
    TransactionKind.REWARD,
    TransactionKind.CHARGEBACK,
)
_COLUMNS = (
    ("Payment, Refund, Reward, Chargeback", _CARD),
    ("Transfer", (TransactionKind.TRANSFER,)),
    ("Reimbursable", (TransactionKind.REIMBURSABLE,)),
    ("Adjustment", (TransactionKind.ADJUSTMENT,)),
)


def _cell(supports: list[KindSupport | None]) -> str:
    if not supports or any(s is None for s in supports):
        return "—"
    present = [s for s in supports if s is not None]
    words = ["create"]
    if all(s.update for s in present):
        words.append("update")
    if all(s.attachments for s in present):
        words.append("attachments")
    return ", ".join(words)


def _row(platform: Platform) -> str:
    if platform.source_type is not SourceType.ACCOUNTING:
        connector = "built in"
    else:
        connector = "**available**" if has_connector(platform.key) else "planned"
    cells = [
        _cell([platform.capabilities.supports(kind) for kind in kinds]) for _, kinds in _COLUMNS
    ]
    return f"| {platform.name} | `{platform.key.value}` | {connector} | " + " | ".join(cells) + " |"


def render_markdown() -> str:
    header = "| Platform | Key | Connector | " + " | ".join(name for name, _ in _COLUMNS) + " |"
    rule = "|" + "---|" * (3 + len(_COLUMNS))
    return "\n".join([header, rule, *(_row(p) for p in PLATFORMS.values())])
