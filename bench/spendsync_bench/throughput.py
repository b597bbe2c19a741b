"""Benchmarks 1 and 2: one company's throughput against the platform's per-tenant limit, and
against a hand-written one-transaction-per-call integration on the official SDK, alternating
in one run on the same sandbox (each on its own organisation / app, so neither eats the other's
budget; a platform minute of rest between rounds so each starts with an empty window)."""

from __future__ import annotations

import itertools
import statistics
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spendsync_bench.handwritten import HandRun, QboHandWritten, XeroHandWritten
from spendsync_bench.infra import (
    HAND_CLIENT,
    QBO_CLIENT,
    XERO_CLIENT,
    SandboxSpec,
    SyncTimes,
    link_company,
    platform_env,
    postgres_database,
    running_sandbox,
    running_spendsync,
)
from spendsync_bench.push import PushRun, push_and_wait

QBO_US_REALM = "9341453000000001"


@dataclass(frozen=True)
class Platform:
    key: str  # "xero" | "qbo"
    name: str
    calls_per_minute: int
    concurrent: int
    items_per_call: int
    latency: float  # sandbox seconds per call
    jitter: float

    @property
    def theoretical_per_minute(self) -> int:
        return self.calls_per_minute * self.items_per_call


XERO = Platform("xero", "Xero", 60, 5, 50, latency=0.5, jitter=0.3)
QBO = Platform("qbo", "QuickBooks Online", 500, 10, 30, latency=0.3, jitter=0.2)


@dataclass(frozen=True)
class ThroughputResult:
    platform: Platform
    scale: float
    transactions: int
    spendsync: list[PushRun]
    hand: list[HandRun]
    hand_transactions: int
    # "embedded": `spendsync serve` with its worker on SQLite (the default); "distributed":
    # one API process and one worker process on PostgreSQL.
    deployment: str = "embedded"

    def per_platform_minute(self, run: PushRun | HandRun) -> float:
        """Transactions per *platform* minute (the sandbox's clock runs `scale` times faster)."""
        return run.transactions / run.seconds * 60 / self.scale

    def sync_profile(self) -> dict[str, float]:
        """How the company's writers went. A writer is the workflow that wrote a set of syncs
        (they share its runner id): it takes in the syncs that arrive while it writes, round
        after round, until none is left. Its run is its first sync's start → its last sync's
        completion; the gap is from one writer's end to the next one's start."""
        sizes: list[int] = []
        busy: list[float] = []
        gaps: list[float] = []
        for run in self.spendsync:
            writers: dict[str | None, list[SyncTimes]] = {}
            for t in run.syncs:
                if t.started and t.completed:
                    writers.setdefault(t.runner_id, []).append(t)
            spans = sorted(
                (
                    min(t.started for t in members if t.started),
                    max(t.completed for t in members if t.completed),
                    len(members),
                )
                for members in writers.values()
            )
            for (_, done, _), (start, _, _) in itertools.pairwise(spans):
                gaps.append((start - done).total_seconds())
            busy += [(done - start).total_seconds() for start, done, _ in spans]
            sizes += [count for _, _, count in spans]
        return {
            "writers": len(sizes) / max(1, len(self.spendsync)),
            "syncs_per_writer_median": statistics.median(sizes) if sizes else float("nan"),
            "writer_run_median_s": statistics.median(busy) if busy else float("nan"),
            "between_writers_median_s": statistics.median(gaps) if gaps else float("nan"),
        }

    def closest(self) -> dict[str, float]:
        """The closest approach to each limit over the runs (see PushRun.closest)."""
        found: dict[str, float] = {}
        for run in self.spendsync:
            for limit, windows in (run.closest or {}).items():
                found[limit] = min(windows, found.get(limit, windows))
        return found

    def as_dict(self) -> dict[str, Any]:
        best = [self.per_platform_minute(r) for r in self.spendsync]
        hand = [self.per_platform_minute(r) for r in self.hand]
        return {
            "platform": self.platform.name,
            "deployment": self.deployment,
            "scale": self.scale,
            "transactions": self.transactions,
            "spendsync_tx_per_min": best,
            "spendsync_seconds": [r.seconds for r in self.spendsync],
            "calls": [r.calls for r in self.spendsync],
            "violations": sum(r.violations for r in self.spendsync),
            "violated": [r.violated for r in self.spendsync],
            "too_many": sum(r.too_many for r in self.spendsync),
            "closest": self.closest(),
            "theoretical": self.platform.theoretical_per_minute,
            "hand_transactions": self.hand_transactions,
            "hand_tx_per_min": hand,
            "hand_retries": [r.retries for r in self.hand],
            **self.sync_profile(),
        }


def _spec(platform: Platform, scale: float) -> SandboxSpec:
    # Xero's daily cap (5,000 calls) is left out: a hand-written run alone would exhaust it.
    limits: dict[str, Any] = {"per_day": None} if platform.key == "xero" else {}
    return SandboxSpec(platform.key, scale, platform.latency, platform.jitter, limits)


def run_throughput(
    platform: Platform,
    scale: float,
    sizes: list[int],
    hand_size: int,
    rounds: int,
    workdir: Path,
    log: Any = print,
    deployment_kind: str = "embedded",
) -> list[ThroughputResult]:
    """For each size: `rounds` alternations of spendsync then the hand-written integration
    (the hand-written pushes `hand_size`, or nothing when 0)."""
    spec = _spec(platform, scale)
    results: list[ThroughputResult] = []
    with running_sandbox(spec, workdir) as sandbox, ExitStack() as stack:
        env = platform_env(sandbox)  # every spendsync setting at its default
        where = workdir / f"spendsync-{platform.key}"
        if deployment_kind == "embedded":
            deployment = stack.enter_context(running_spendsync(where, env))
        else:
            url = stack.enter_context(postgres_database("benchtp"))
            deployment = stack.enter_context(
                running_spendsync(where, env, database_url=url, apis=1, workers=1)
            )
        callback = "xero" if platform.key == "xero" else "quickbooksonline"
        sandbox.register_app(
            XERO_CLIENT if platform.key == "xero" else QBO_CLIENT,
            f"{deployment.api}/link/callback/{callback}",
        )
        sandbox.register_app(HAND_CLIENT, "http://127.0.0.1/callback")
        hand: XeroHandWritten | QboHandWritten
        if platform.key == "xero":
            orgs = sandbox.control(
                "POST", "/xero/organisations", {"names": ["Bench spendsync", "Bench hand"]}
            )
            company = link_company(deployment, sandbox, "Bench", orgs[0]["tenantId"])
            hand = XeroHandWritten(sandbox, orgs[1]["tenantId"])
        else:
            company = link_company(deployment, sandbox, "Bench", QBO_US_REALM)
            hand = QboHandWritten(sandbox, QBO_US_REALM)
        rest = spec.minute_seconds * 1.05
        for size in sizes:
            ours: list[PushRun] = []
            theirs: list[HandRun] = []
            for n in range(rounds):
                time.sleep(rest)
                # Requests of 50 (Codat's most per request); the writer batches them
                # to the platform's size across syncs.
                run = push_and_wait(deployment, sandbox, company, size, 50)
                ours.append(run)
                log(
                    f"  {platform.name} spendsync {size}: {run.seconds:.1f}s, "
                    f"{run.calls} calls, {run.violations} violations "
                    f"{run.violated or ''}, closest approach {run.closest} (round {n + 1})"
                )
                if hand_size:
                    time.sleep(rest)
                    done = hand.push(hand_size)
                    theirs.append(done)
                    log(
                        f"  {platform.name} hand-written {hand_size}: {done.seconds:.1f}s, "
                        f"{done.retries} 429s (round {n + 1})"
                    )
            results.append(
                ThroughputResult(platform, scale, size, ours, theirs, hand_size, deployment_kind)
            )
            hand_size = 0  # the comparison is made once, at the first size
    return results
