"""A small reader of the Beancount syntax spendsync needs, and the quoting it writes with.

Why our own reader and not Beancount's: Beancount is GPL-2.0-only and spendsync is Apache-2.0,
so spendsync never imports it; Beancount's own tools (`bean-check`, `bean-query`) run as separate
processes. Reference data needs only the headers of a few directives (`option`, `include`,
`open`, `close`, `commodity`, `custom`, and the payee, links and metadata of transactions),
which are line-oriented and simple to read exactly. Parsing `bean-query` output instead would
need one subprocess per data type (about 0.3 s each), and bean-query cannot list `custom`
directives or open-directive metadata in a stable format. Every ledger spendsync writes is
checked by `bean-check` itself, so this reader never decides whether a ledger is valid: it
skips what it does not understand.

A file is read as *blocks*: a directive's first line (not indented) and the indented lines after
it (metadata, postings, posting metadata). spendsync rewrites its own files block by block.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

MetaValue = str | Decimal | bool | dt.date

_DATE = r"\d{4}[-/]\d{2}[-/]\d{2}"
_STRING = r'"(?:[^"\\]|\\.)*"'
_TOKEN = re.compile(rf"{_STRING}|[^\s]+")
_META = re.compile(r"^\s+([a-z][A-Za-z0-9_-]*):\s*(.*?)\s*$")
_HEADER = re.compile(rf"^({_DATE})\s+(\S+)\s*(.*)$")
_ACCOUNT = re.compile(r"^[A-Z][A-Za-z0-9-]*(?::[A-Z0-9][A-Za-z0-9-]*)+$")
_CURRENCY = re.compile(r"^[A-Z][A-Z0-9'._-]{0,22}[A-Z0-9]?$")
_POSTING = re.compile(r"^\s+(?:[*!]\s+)?([A-Z][A-Za-z0-9-]*(?::[A-Z0-9][A-Za-z0-9-]*)+)(.*)$")
TXN_FLAGS = frozenset({"txn", "*", "!", "P", "S", "T", "C", "U", "R", "M", "#", "?", "%", "&"})


def quote(text: str) -> str:
    """A Beancount string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def is_account(text: str) -> bool:
    return _ACCOUNT.match(text) is not None


def _strip_comment(line: str) -> str:
    """The line without a trailing `; comment` (a `;` inside a string is kept)."""
    out: list[str] = []
    in_string = escaped = False
    for char in line:
        if in_string:
            if char == '"' and not escaped:
                in_string = False
            escaped = not escaped and char == "\\"
        elif char == '"':
            in_string = True
        elif char == ";":
            break
        out.append(char)
    return "".join(out).rstrip()


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def parse_value(token: str) -> MetaValue:
    """A metadata or custom value: string, boolean, number, date, or the bare token (an
    account, a currency, a tag...)."""
    if token.startswith('"') and token.endswith('"') and len(token) >= 2:
        return unquote(token)
    if token in ("TRUE", "FALSE"):
        return token == "TRUE"  # noqa: S105 - Beancount's boolean, not a password
    if re.fullmatch(_DATE, token):
        return dt.date.fromisoformat(token.replace("/", "-"))
    try:
        return Decimal(token.replace(",", ""))
    except InvalidOperation:
        return token


@dataclass
class Block:
    """The lines of one directive (1-based `line` of its first one in the file)."""

    line: int
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def split_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    current: Block | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or (stripped.startswith(";") and not raw[:1].isspace()):
            current = None
            continue
        if raw[:1].isspace():
            if current is not None:
                current.lines.append(raw)
            continue
        current = Block(number, [raw])
        blocks.append(current)
    return blocks


@dataclass(frozen=True)
class Option:
    name: str
    value: str


@dataclass(frozen=True)
class Include:
    path: str


@dataclass(frozen=True)
class Open:
    date: dt.date
    account: str
    currencies: tuple[str, ...]
    meta: dict[str, MetaValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Close:
    date: dt.date
    account: str


@dataclass(frozen=True)
class Commodity:
    date: dt.date
    currency: str
    meta: dict[str, MetaValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Custom:
    date: dt.date
    type: str
    values: tuple[MetaValue, ...]
    meta: dict[str, MetaValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Transaction:
    date: dt.date
    payee: str | None
    narration: str
    tags: frozenset[str]
    links: frozenset[str]
    meta: dict[str, MetaValue]
    accounts: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    date: dt.date
    account: str
    path: str
    links: frozenset[str]


Directive = Option | Include | Open | Close | Commodity | Custom | Transaction | Document


def entry_meta(lines: list[str]) -> dict[str, MetaValue]:
    """Metadata of the entry itself: the indented `key: value` lines before the first posting."""
    meta: dict[str, MetaValue] = {}
    for raw in lines[1:]:
        line = _strip_comment(raw)
        match = _META.match(line)
        if match is None:
            if _POSTING.match(line):
                break
            continue
        found = tokens(match.group(2))
        meta[match.group(1)] = parse_value(found[0]) if found else ""
    return meta


def parse_block(block: Block) -> Directive | None:
    """The directive a block holds, or None for one this reader does not need."""
    first = _strip_comment(block.lines[0])
    parts = tokens(first)
    if not parts:
        return None
    if parts[0] == "option" and len(parts) >= 3:
        return Option(unquote(parts[1]), unquote(parts[2]))
    if parts[0] == "include" and len(parts) >= 2:
        return Include(unquote(parts[1]))
    match = _HEADER.match(first)
    if match is None:
        return None
    try:
        date = dt.date.fromisoformat(match.group(1).replace("/", "-"))
    except ValueError:
        return None
    keyword, rest = match.group(2), tokens(match.group(3))
    if keyword == "open" and rest:
        currencies = tuple(
            c for token in rest[1:] if not token.startswith('"') for c in token.split(",") if c
        )
        return Open(date, rest[0], currencies, entry_meta(block.lines))
    if keyword == "close" and rest:
        return Close(date, rest[0])
    if keyword == "commodity" and rest:
        return Commodity(date, rest[0], entry_meta(block.lines))
    if keyword == "custom" and rest:
        values = tuple(parse_value(t) for t in rest[1:])
        return Custom(date, unquote(rest[0]), values, entry_meta(block.lines))
    if keyword == "document" and len(rest) >= 2:
        links = frozenset(t[1:] for t in rest[2:] if t.startswith("^"))
        return Document(date, rest[0], unquote(rest[1]), links)
    if keyword in TXN_FLAGS:
        strings = [unquote(t) for t in rest if t.startswith('"')]
        payee, narration = (
            (strings[0], strings[1]) if len(strings) >= 2 else (None, "".join(strings))
        )
        postings = tuple(
            m.group(1) for raw in block.lines[1:] if (m := _POSTING.match(_strip_comment(raw)))
        )
        return Transaction(
            date=date,
            payee=payee or None,
            narration=narration,
            tags=frozenset(t[1:] for t in rest if t.startswith("#")),
            links=frozenset(t[1:] for t in rest if t.startswith("^")),
            meta=entry_meta(block.lines),
            accounts=postings,
        )
    return None


def parse(text: str) -> list[tuple[Block, Directive]]:
    return [(block, d) for block in split_blocks(text) if (d := parse_block(block)) is not None]
