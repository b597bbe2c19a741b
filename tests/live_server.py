"""Real servers on free loopback ports: a `spendsync serve` process, or an ASGI app (a platform
sandbox) served by uvicorn in a thread of the test process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving_in_thread(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn in a daemon thread until the block ends; its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "sandbox did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive()


@contextmanager
def running_server(
    database_url: str,
    data_dir: Path,
    *,
    jobs_database_url: str | None = None,
    worker: bool = True,
    timeout: float = 30.0,
    port: int | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[str]:
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SPENDSYNC_DATABASE_URL": database_url,
        "SPENDSYNC_DATA_DIR": str(data_dir),
        "SPENDSYNC_PUBLIC_URL": base_url,
        "SPENDSYNC_LOG_LEVEL": "WARNING",
    }
    if jobs_database_url:
        env["SPENDSYNC_JOBS_DATABASE_URL"] = jobs_database_url
    env.update(extra_env or {})
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spendsync",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--worker" if worker else "--no-worker",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    "spendsync serve exited: " + (data_dir / "server.log").read_text()
                )
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("spendsync serve did not start in time")
            time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
