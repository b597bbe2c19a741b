"""Processes for the tests that run spendsync as it is deployed: `spendsync worker` processes
(settings handed to a child process as environment variables, workers that share one log, and
that the tests kill), and `spendsync sandbox` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from spendsync.config import Settings
from tests.live_server import free_port


def as_env(values: Mapping[str, Any]) -> dict[str, str]:
    """Settings by field name → the `SPENDSYNC_…` variables that set them in another process."""
    return {
        f"SPENDSYNC_{name.upper()}": str(
            value.get_secret_value() if isinstance(value, SecretStr) else value
        )
        for name, value in values.items()
    }


def worker_env(settings: Settings, **overrides: Any) -> dict[str, str]:
    """This process's environment with `settings`' databases, data directory, secret key and
    public URL, a worker that polls every 50 ms, and `overrides` (settings by field name)."""
    return {
        **os.environ,
        **as_env(
            {
                "database_url": settings.resolved_database_url(),
                "jobs_database_url": settings.resolved_jobs_database_url(),
                "data_dir": settings.data_dir,
                "secret_key": settings.secret_key or "",
                "public_url": settings.public_url,
                "queue_polling_interval_seconds": 0.05,
                "background_polling_interval_seconds": 0.05,
                "log_level": "WARNING",
                **overrides,
            }
        ),
    }


class Workers:
    """`spendsync worker` processes of one test, all writing to one log."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.env = env
        self.log = log
        self.args = args  # e.g. "--concurrency", "6"
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as handle:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(
                [sys.executable, "-m", "spendsync", "worker", *self.args],
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL: the worker gets no chance to finish or hand back what it was running."""
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def terminate(self, process: subprocess.Popen[bytes], timeout: float = 60) -> float:
        """SIGTERM, as a deployment stops a worker; the seconds it took to exit."""
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=timeout)
        return time.monotonic() - started

    def by_pid(self, pid: int) -> subprocess.Popen[bytes]:
        return next(process for process in self.processes if process.pid == pid)

    def stop(self) -> None:
        """Terminate every worker still running and wait for each to exit."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            process.wait(timeout=30)

    def output(self) -> str:
        return self.log.read_text()


@contextmanager
def workers(settings: Settings, log: Path, **overrides: Any) -> Iterator[Workers]:
    """Workers for `settings` (see worker_env); those still running at the end are stopped."""
    started = Workers(worker_env(settings, **overrides), log)
    try:
        yield started
    finally:
        started.stop()


@contextmanager
def sandbox_process(platform: str, log: Path, *, timeout: float = 30.0) -> Iterator[str]:
    """`spendsync sandbox <platform> --auto-consent` in its own process; its base URL once its
    control plane answers. Where a test measures limits under load, the sandbox must not share
    an interpreter with the test's own load: a sandbox thread waiting for the test's threads
    stamps arrivals late, bunched together, and counts violations no platform would see."""
    port = free_port()
    command = ["sandbox", platform, "--port", str(port), "--auto-consent"]
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "spendsync", *command],
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the {platform} sandbox exited: {log.read_text()}")
            try:
                httpx.get(f"{url}/_control/counters", timeout=2).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
