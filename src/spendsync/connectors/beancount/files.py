"""Writing a ledger safely: spendsync's entries live in their own files (`spendsync/*.beancount`,
one per month, included by the main file with one glob), and every change is checked by
Beancount's own `bean-check` (a separate process: Beancount is GPL-2.0-only and is never
imported) before it replaces anything.

A write, under the ledger's file lock:
1. the changed files are written next to the real ones as `.<name>.candidate` (not matched by
   the include glob, so Fava and the user never see them);
2. a candidate root - the main file with the glob include replaced by explicit includes of the
   candidate set - is checked with `bean-check`;
3. only when it loads cleanly is each candidate renamed over its file (`os.replace`, atomic).
A crash at any point leaves every file either old or new, never half written.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from spendsync.connectors.errors import NotSupported, Transient

OWN_DIR = "spendsync"
INCLUDE_GLOB = f"{OWN_DIR}/*.beancount"
INCLUDE_LINE = f'include "{INCLUDE_GLOB}"'
REFERENCE_FILE = "accounts.beancount"
CHECK_TIMEOUT_SECONDS = 300
_ERROR_LINE = re.compile(r"^(\S.*?):(\d+):\s+(.*)$")


@dataclass(frozen=True)
class CheckError:
    """One error bean-check reported: where (file and 1-based line, when it says) and what."""

    file: str
    line: int
    message: str


def beancount_tool(name: str) -> str:
    """The path of a Beancount command: beside this Python (the same virtualenv), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise NotSupported(
            f"Beancount's `{name}` is not installed on this server: "
            "pip install 'spendsync[beancount]'."
        )
    return found


def bean_check(root: Path) -> list[CheckError]:
    """Load the ledger with Beancount itself; the errors it reports (none: it is valid)."""
    try:
        done = subprocess.run(  # noqa: S603 - our own tool path and file name, no shell
            [beancount_tool("bean-check"), str(root)],
            capture_output=True,
            text=True,
            timeout=CHECK_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise Transient(f"bean-check did not finish within {CHECK_TIMEOUT_SECONDS} s.") from exc
    if done.returncode == 0:
        return []
    errors: list[CheckError] = []
    for raw in (done.stdout + "\n" + done.stderr).splitlines():
        match = _ERROR_LINE.match(raw)
        if match is not None:
            errors.append(CheckError(match.group(1), int(match.group(2)), match.group(3)))
    if not errors:
        message = (done.stderr or done.stdout).strip().splitlines()
        errors.append(CheckError("", 0, message[-1] if message else "bean-check failed"))
    return errors


def describe(errors: list[CheckError], limit: int = 3) -> str:
    shown = [f"{Path(e.file).name}:{e.line}: {e.message}" if e.file else e.message for e in errors]
    more = f" (and {len(errors) - limit} more)" if len(errors) > limit else ""
    return "; ".join(shown[:limit]) + more


@contextmanager
def locked(main: Path, timeout: float) -> Iterator[None]:
    """The ledger's write lock (a lock file beside it); Transient when another writer holds it
    for longer than `timeout` seconds."""
    lock = FileLock(str(main.parent / f".{main.name}.lock"), timeout=timeout)
    try:
        lock.acquire()
    except Timeout as exc:
        raise Transient(f"The ledger {main.name} is locked by another writer.") from exc
    try:
        yield
    finally:
        lock.release()


def own_dir(main: Path) -> Path:
    return main.parent / OWN_DIR


def own_files(main: Path) -> dict[str, str]:
    """spendsync's files of this ledger: name → text."""
    directory = own_dir(main)
    if not directory.is_dir():
        return {}
    return {
        path.name: path.read_text(encoding="utf-8")
        for path in sorted(directory.glob("*.beancount"))
    }


def _candidate(path: Path) -> Path:
    return path.parent / f".{path.name}.candidate"


def _write_new(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def check_candidate(
    main: Path, changed: Mapping[str, str]
) -> tuple[list[CheckError], dict[str, str]]:
    """Write `changed` (own file name → full text) as candidates and check the ledger they
    would make. Returns the errors and, for mapping them back, candidate path → own file name.
    The candidates stay on disk for `commit` (or `discard`)."""
    main_text = main.read_text(encoding="utf-8")
    if INCLUDE_LINE not in main_text:
        raise NotSupported(
            f"The ledger {main.name} does not include spendsync's files ({INCLUDE_LINE})."
        )
    directory = own_dir(main)
    directory.mkdir(exist_ok=True)
    names = sorted({p.name for p in directory.glob("*.beancount")} | set(changed))
    where: dict[str, str] = {}
    includes: list[str] = []
    for name in names:
        path = directory / name
        if name in changed:
            candidate = _candidate(path)
            _write_new(candidate, changed[name])
            where[str(candidate.resolve())] = name
            includes.append(f'include "{OWN_DIR}/{candidate.name}"')
        else:
            includes.append(f'include "{OWN_DIR}/{name}"')
    root = main.parent / f".{main.name}.candidate.beancount"
    _write_new(root, main_text.replace(INCLUDE_LINE, "\n".join(includes)))
    try:
        errors = bean_check(root)
    finally:
        root.unlink(missing_ok=True)
    return errors, where


def commit(main: Path, changed: Mapping[str, str], order: list[str]) -> None:
    """Move the checked candidates into place, in `order` (files gaining entries first)."""
    directory = own_dir(main)
    for name in order:
        if name in changed:
            os.replace(_candidate(directory / name), directory / name)


def discard(main: Path, changed: Mapping[str, str]) -> None:
    directory = own_dir(main)
    for name in changed:
        _candidate(directory / name).unlink(missing_ok=True)


def write_checked_main(main: Path, text: str) -> list[CheckError]:
    """Replace the main file itself (only when linking: a new ledger, or adding spendsync's
    include line), after bean-check accepts the new text."""
    candidate = main.parent / f".{main.name}.candidate.beancount"
    own_dir(main).mkdir(exist_ok=True)
    reference = own_dir(main) / REFERENCE_FILE
    if not reference.exists():
        _write_new(reference, "; Accounts and contacts spendsync created.\n")
    _write_new(candidate, text)
    errors = bean_check(candidate)
    if errors:
        candidate.unlink(missing_ok=True)
        return errors
    if main.exists():
        os.chmod(candidate, main.stat().st_mode & 0o777)
    os.replace(candidate, main)
    return []
