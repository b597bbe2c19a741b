"""`python -m spendsync_bench [--quick] [--only …]` (what bench/run calls)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spendsync_bench import report
from spendsync_bench.apicost import run_api_cost, run_memory
from spendsync_bench.latency import run_latency
from spendsync_bench.scale import run_scale
from spendsync_bench.throughput import QBO, XERO, run_throughput

BENCHMARKS = ("throughput", "latency", "api", "memory", "scale")


@dataclass(frozen=True)
class Sizes:
    throughput: list[int]
    hand: int
    rounds: int
    scale_clock: float
    latency_runs: int
    api_seconds: float
    api_threads: int
    memory_total: int
    memory_companies: int
    scale_companies: list[int]
    scale_workers: list[int]


QUICK = Sizes(
    throughput=[1_000],
    hand=200,
    rounds=2,
    scale_clock=10.0,
    latency_runs=200,
    api_seconds=10.0,
    api_threads=8,
    memory_total=10_000,
    memory_companies=4,
    scale_companies=[1, 10, 30],
    scale_workers=[1, 2],
)
FULL = Sizes(
    throughput=[1_000, 10_000],
    hand=1_000,
    rounds=2,
    scale_clock=10.0,
    latency_runs=300,
    api_seconds=30.0,
    api_threads=8,
    memory_total=100_000,
    memory_companies=10,
    scale_companies=[1, 10, 100, 1_000],
    scale_workers=[1, 2, 4],
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="sizes that finish in minutes")
    parser.add_argument(
        "--only", default=",".join(BENCHMARKS), help=f"comma-separated: {', '.join(BENCHMARKS)}"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "results")
    parser.add_argument(
        "--merge", action="store_true", help="keep the other benchmarks' results in --out"
    )
    parser.add_argument(
        "--scale-companies", default=None, help="override part 5's company counts, e.g. 1,10,100"
    )
    parser.add_argument(
        "--scale-workers", default=None, help="override part 5's worker counts, e.g. 1,2"
    )
    parser.add_argument(
        "--clock", type=float, default=None, help="parts 1-2: sandbox clock scale (default 10)"
    )
    parser.add_argument(
        "--sizes", default=None, help="parts 1-2: transactions per run, e.g. 1000,10000"
    )
    parser.add_argument(
        "--hand", type=int, default=None, help="part 2: hand-written transactions (0: skip)"
    )
    parser.add_argument(
        "--render", action="store_true", help="only rewrite results.md/scale.png from results.json"
    )
    parser.add_argument(
        "--memory-transactions", type=int, default=None, help="part 4b's run (100,000)"
    )
    parser.add_argument("--scale-budget", type=float, default=None, help="seconds for part 5")
    parser.add_argument("--platforms", default="all", help="parts 1-2: all, or some of xero,qbo")
    parser.add_argument(
        "--deployment",
        choices=["embedded", "distributed"],
        default="embedded",
        help="parts 1-2: `serve` with its worker on SQLite (default), or one API and one worker "
        "process on PostgreSQL",
    )
    parser.add_argument(
        "--note", default="", help="what else ran on the machine, printed under the results"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.scale_companies:
        counts = [int(c) for c in args.scale_companies.split(",")]
        sizes = dataclasses.replace(sizes, scale_companies=counts)
    if args.scale_workers:
        workers = [int(w) for w in args.scale_workers.split(",")]
        sizes = dataclasses.replace(sizes, scale_workers=workers)
    if args.clock:
        sizes = dataclasses.replace(sizes, scale_clock=args.clock)
    if args.sizes:
        sizes = dataclasses.replace(sizes, throughput=[int(n) for n in args.sizes.split(",")])
    if args.memory_transactions:
        sizes = dataclasses.replace(sizes, memory_total=args.memory_transactions)
    if args.hand is not None:
        sizes = dataclasses.replace(sizes, hand=args.hand)
    chosen = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    results: dict[str, Any] = {}
    previous = args.out / "results.json"
    if args.render:
        report.write(json.loads(previous.read_text()), args.out)
        return 0
    if args.merge and previous.exists():
        results = json.loads(previous.read_text())
    results["machine"] = report.machine() | {"note": args.note}
    results["mode"] = "quick" if args.quick else "full"
    workdir = Path(tempfile.mkdtemp(prefix="spendsync-bench-"))
    log(f"working directory (logs): {workdir}")

    def save() -> None:
        report.write(results, args.out)

    if "throughput" in chosen:
        platforms = [XERO, QBO] if args.platforms == "all" else []
        platforms += [p for p in (XERO, QBO) if p.key in args.platforms.split(",")]
        found = []
        for platform in platforms:
            log(f"throughput: {platform.name}, sizes {sizes.throughput}")
            found += run_throughput(
                platform,
                sizes.scale_clock,
                sizes.throughput,
                sizes.hand,
                sizes.rounds,
                workdir / f"throughput-{platform.key}",
                log,
                args.deployment,
            )
        # With --merge, the results of the other platforms, deployments and sizes stay.
        ran = {
            (platform.name, args.deployment, size)
            for platform in platforms
            for size in sizes.throughput
        }
        kept = [
            r
            for r in results.get("throughput", [])
            if (r["platform"], r.get("deployment", "embedded"), r["transactions"]) not in ran
        ]
        results["throughput"] = kept + [r.as_dict() for r in found]
        save()
    if "latency" in chosen:
        log(f"latency: {sizes.latency_runs} runs")
        results["latency"] = run_latency(sizes.latency_runs, workdir / "latency", log)
        save()
    if "api" in chosen:
        results["api_cost"] = [
            run_api_cost(db, sizes.api_seconds, sizes.api_threads, workdir / f"api-{db}", log)
            for db in ("sqlite", "postgresql")
        ]
        save()
    if "memory" in chosen:
        log(f"memory: {sizes.memory_total} transactions")
        results["memory"] = run_memory(
            sizes.memory_total, sizes.memory_companies, workdir / "memory", log
        )
        save()
    if "scale" in chosen:
        log(f"scale: companies {sizes.scale_companies} x workers {sizes.scale_workers}")
        results["scale"] = run_scale(
            sizes.scale_companies,
            sizes.scale_workers,
            workdir / "scale",
            log,
            budget_seconds=args.scale_budget,
        )
        save()
    save()
    log(f"results in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
