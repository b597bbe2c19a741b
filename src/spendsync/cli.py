"""The `spendsync` command."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from spendsync.config import Settings, get_settings
from spendsync.db import migrate
from spendsync.db.engine import make_engine, make_session_factory
from spendsync.observability.logs import configure_logging

app = typer.Typer(
    help="spendsync: Codat-compatible engine that syncs card spend into accounting software.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys of clients.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(apikey_app, name="apikey")

console = Console()
err_console = Console(stderr=True)


def _ensure_schema(settings: Settings) -> None:
    """On the embedded default, migrate automatically; elsewhere insist on `db upgrade`."""
    from spendsync.jobs.engine import migrate_jobs_database

    url = settings.resolved_database_url()
    if settings.is_sqlite:
        migrate.upgrade(url)
        migrate_jobs_database(settings)
        return
    heads = migrate.current_heads(url)
    expected = migrate.head_revisions()
    if heads != expected:
        err_console.print(
            f"[red]The database schema is at {sorted(heads) or 'nothing'}, "
            f"this version needs {sorted(expected)}. Run `spendsync db upgrade` first.[/red]"
        )
        raise typer.Exit(code=1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Also run the sync worker in-process.")
    ] = True,
) -> None:
    """Run the HTTP API (Codat Sync for Expenses compatible) and, by default, the sync worker."""
    import uvicorn

    from spendsync.app import create_app
    from spendsync.jobs.engine import launch_worker, shutdown_worker

    settings = get_settings()
    configure_logging(settings)
    _ensure_schema(settings)
    api = create_app(settings)
    if worker:
        launch_worker(settings, api.state.session_factory)
    try:
        uvicorn.run(
            api,
            host=host or settings.host,
            port=port or settings.port,
            log_level=settings.log_level.lower(),
            log_config=None,  # uvicorn's loggers go through ours (text or JSON)
        )
    finally:
        if worker:
            shutdown_worker()


@app.command("worker")
def run_worker(
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Syncs this process runs at once (default: SPENDSYNC_WORKER_CONCURRENCY).",
        ),
    ] = None,
) -> None:
    """Run only the sync worker (as many as you like, against one PostgreSQL database)."""
    import signal
    import threading

    from spendsync.jobs.engine import launch_worker, shutdown_worker

    settings = get_settings()
    if concurrency is not None:
        settings = settings.model_copy(update={"worker_concurrency": concurrency})
    configure_logging(settings)
    _ensure_schema(settings)
    engine = make_engine(settings.resolved_database_url(), pool_size=settings.db_pool_size)
    if settings.metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, addr=settings.host)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    launch_worker(settings, make_session_factory(engine))
    console.print("spendsync worker running; Ctrl-C to stop.")
    try:
        stop.wait()
    finally:
        shutdown_worker()
        engine.dispose()


class SandboxPlatform(StrEnum):
    XERO = "xero"
    QUICKBOOKS_ONLINE = "quickbooksonline"


@app.command("sandbox")
def sandbox(
    platform: Annotated[SandboxPlatform, typer.Argument(help="Which platform to emulate.")],
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
    auto_consent: Annotated[
        bool, typer.Option(help="Skip the consent page in the OAuth flow.")
    ] = False,
) -> None:
    """Run a local emulator of a platform's API (its OAuth endpoints, validation rules, error
    bodies, rate limits and idempotency), with a control plane under /_control."""
    if platform is SandboxPlatform.QUICKBOOKS_ONLINE:
        from spendsync.sandboxes.qbo.app import QboSandboxConfig
        from spendsync.sandboxes.qbo.app import serve as serve_qbo

        console.print(
            f"QuickBooks Online sandbox on http://{host}:{port} — API under "
            f"http://{host}:{port}/v3/company/<realmId>, OAuth at /connect/oauth2, "
            "/oauth2/v1/tokens/bearer and /v2/oauth2/tokens/revoke; control plane at /_control."
        )
        serve_qbo(host, port, QboSandboxConfig(auto_consent=auto_consent))
        return
    from spendsync.sandboxes.xero.app import XeroSandboxConfig, serve

    console.print(
        f"Xero sandbox on http://{host}:{port} — point spendsync at it with "
        f"SPENDSYNC_XERO_API_URL=http://{host}:{port}/api.xro/2.0 (see README)."
    )
    serve(host, port, XeroSandboxConfig(auto_consent=auto_consent))


class DemoPlatform(StrEnum):
    BEANCOUNT = "beancount"
    XERO = "xero"
    QUICKBOOKS_ONLINE = "quickbooksonline"


@app.command("demo")
def demo(
    data_dir: Annotated[
        Path | None, typer.Option(help="Where to keep the demo's data (default: a new temp dir).")
    ] = None,
    platform: Annotated[
        DemoPlatform,
        typer.Option(help="Books to push into: a local Beancount ledger or a sandbox."),
    ] = DemoPlatform.BEANCOUNT,
    fava: Annotated[
        bool, typer.Option(help="Afterwards, open the books in Fava on a loopback port.")
    ] = False,
) -> None:
    """Push a month of a small business's card activity through the API into real books."""
    import tempfile

    from spendsync.demo.run import DemoFailed, run_demo, serve_fava

    directory = data_dir or Path(tempfile.mkdtemp(prefix="spendsync-demo-"))
    try:
        result = run_demo(directory, platform.value, console=console)
    except DemoFailed as exc:
        err_console.print(f"[red]The demo failed: {exc}[/red]")
        raise typer.Exit(code=1) from exc
    if fava and result.ledger is not None:
        serve_fava(result.ledger, console)


@app.command("integrations")
def integrations() -> None:
    """Print the integrations matrix (Markdown) from the connectors' declared capabilities."""
    from spendsync.integrations.matrix import render_markdown

    print(render_markdown())


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply the database migrations."""
    from spendsync.jobs.engine import migrate_jobs_database

    settings = get_settings()
    migrate.upgrade(settings.resolved_database_url(), revision)
    migrate_jobs_database(settings)
    console.print(
        f"Database at {', '.join(sorted(migrate.current_heads(settings.resolved_database_url())))}."
    )


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Option(help="Name of the key (and of a new client).")],
    client: Annotated[
        str | None, typer.Option(help="Add the key to this existing client id.")
    ] = None,
) -> None:
    """Create an API key. The key is printed once and stored only as a hash."""
    from spendsync.clients.service import issue_key

    settings = get_settings()
    _ensure_schema(settings)
    engine = make_engine(settings.resolved_database_url())
    try:
        with make_session_factory(engine)() as session:
            issued = issue_key(session, name=name, client_id=client)
            session.commit()
    finally:
        engine.dispose()
    console.print(f"client id: {issued.client_id}")
    console.print(f"API key (shown once, keep it secret): [bold]{issued.key}[/bold]")


@apikey_app.command("list")
def apikey_list() -> None:
    """List API keys (their prefixes only)."""
    from spendsync.clients.models import ApiKey

    settings = get_settings()
    _ensure_schema(settings)
    engine = make_engine(settings.resolved_database_url())
    table = Table("client id", "key id", "name", "prefix", "created", "revoked")
    try:
        with make_session_factory(engine)() as session:
            for key in session.scalars(select(ApiKey).order_by(ApiKey.created)):
                table.add_row(
                    key.client_id,
                    key.id,
                    key.name,
                    key.key_prefix + "…",
                    key.created.isoformat(),
                    key.revoked.isoformat() if key.revoked else "",
                )
    finally:
        engine.dispose()
    console.print(table)


@apikey_app.command("revoke")
def apikey_revoke(key_id: Annotated[str, typer.Argument(help="The key id to revoke.")]) -> None:
    """Revoke an API key: requests with it get 401 from now on."""
    from spendsync.clients.models import ApiKey
    from spendsync.db.base import utcnow

    settings = get_settings()
    _ensure_schema(settings)
    engine = make_engine(settings.resolved_database_url())
    try:
        with make_session_factory(engine)() as session:
            key = session.get(ApiKey, key_id)
            if key is None:
                err_console.print(f"[red]No API key with id {key_id}.[/red]")
                raise typer.Exit(code=1)
            key.revoked = key.revoked or utcnow()
            session.commit()
    finally:
        engine.dispose()
    console.print(f"Revoked {key_id}.")
