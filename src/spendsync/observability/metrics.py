"""Prometheus metrics of spendsync's own work. Each process counts what it did (a worker its
syncs and platform calls, an API process its requests' uploads); the queue gauges are read from
the database at scrape time, so they are global: any one process reports the same numbers.

The platform call metrics (latency, 429s) live with the connectors: `spendsync.connectors.metrics`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from prometheus_client import REGISTRY, CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from spendsync.reference.models import PullOperation, PullStatus
from spendsync.syncs.models import Sync

SYNCS_COMPLETED = Counter(
    "spendsync_syncs_completed",
    "Syncs this process finished, by Codat's syncStatusCode and status.",
    ["sync_status_code", "status"],
)
TRANSACTIONS_PUSHED = Counter(
    "spendsync_transactions_pushed",
    "Transactions this process wrote (or failed to write) to a platform, by platform key and "
    "outcome (Completed, PushError).",
    ["platform", "outcome"],
)

_OPEN_PULLS = (PullStatus.QUEUED, PullStatus.FETCHING)


def _age_seconds(oldest: datetime | None, now: datetime) -> float:
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # SQLite hands back naive UTC timestamps
        oldest = oldest.replace(tzinfo=UTC)
    return max(0.0, (now - oldest).total_seconds())


class QueueCollector(Collector):
    """Work accepted but not finished: syncs not yet completed and reference-data pulls queued
    or fetching, with the age of the oldest of each."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "spendsync_queue_depth",
            "Syncs not yet completed, and reference-data pulls queued or fetching (all "
            "processes; read from the database).",
            labels=["queue"],
        )
        age = GaugeMetricFamily(
            "spendsync_queue_oldest_age_seconds",
            "Age of the oldest unfinished item of the queue (0 when it is empty).",
            labels=["queue"],
        )
        now = datetime.now(UTC)
        with self.session_factory() as session:
            syncs = session.execute(
                select(func.count(), func.min(Sync.created)).where(Sync.completed.is_(None))
            ).one()
            pulls = session.execute(
                select(func.count(), func.min(PullOperation.requested)).where(
                    PullOperation.status.in_(_OPEN_PULLS)
                )
            ).one()
        for queue, (count, oldest) in (("syncs", syncs), ("pulls", pulls)):
            depth.add_metric([queue], float(count))
            age.add_metric([queue], _age_seconds(oldest, now))
        yield depth
        yield age


class _ProcessMetrics(Collector):
    """This process's counters and histograms (the default registry), for a registry of its own."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def api_registry(session_factory: sessionmaker[Session]) -> CollectorRegistry:
    """What an API process serves at /metrics: its own metrics and the queue gauges."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessMetrics())
    registry.register(QueueCollector(session_factory))
    return registry
