"""Settings, read from the environment (prefix ``SPENDSYNC_``) and an optional ``.env`` file.

Every setting has an embedded default: with nothing configured, spendsync keeps its state in a
SQLite file under ``./.spendsync/`` and runs the API and the worker in one process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SPENDSYNC_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(
        default=Path(".spendsync"),
        description="Directory for the embedded database, attachments and local ledgers.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Default: sqlite:///<data_dir>/spendsync.db. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/dbname.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL at which users reach this server; used in linkUrl and redirect.",
    )
    host: str = Field(default="127.0.0.1", description="Interface `spendsync serve` binds to.")
    port: int = Field(default=8000, description="Port `spendsync serve` listens on.")
    max_body_bytes: int = Field(
        default=5 * 1024 * 1024,
        description="Largest request body accepted (JSON); larger bodies get 413.",
    )
    max_attachment_bytes: int = Field(
        default=100 * 1024 * 1024,
        description="Largest attachment upload accepted (each platform may take less).",
    )
    idempotency_ttl_seconds: int = Field(
        default=24 * 3600,
        description="How long a stored Idempotency-Key response is replayed.",
    )
    db_pool_size: int = Field(default=10, description="Connection pool size (PostgreSQL).")
    jobs_db_pool_size: int = Field(
        default=20,
        ge=2,
        description="Connection pool size of the job engine's system database (PostgreSQL; "
        "DBOS's default).",
    )
    jobs_database_url: str | None = Field(
        default=None,
        description="The job engine's system database. Default: <data_dir>/jobs.sqlite with "
        "SQLite, else the main database (DBOS keeps its tables in schema 'dbos').",
    )
    worker_concurrency: int = Field(
        default=8, ge=1, description="Syncs one worker process runs at once (one per company)."
    )
    worker_id: str | None = Field(
        default=None,
        description="This worker's id in the job engine. Default: `local` on SQLite (one "
        "process; restarted, it resumes its own work at once), a unique id per process on "
        "PostgreSQL (a dead worker's work moves to the survivors).",
    )
    worker_heartbeat_seconds: float = Field(
        default=5, gt=0, description="How often a worker records that it is alive."
    )
    worker_dead_after_seconds: float = Field(
        default=30,
        gt=0,
        description="A worker silent this long is dead: its unfinished syncs are resumed by "
        "another worker (their writes carry idempotency keys, so nothing is written twice).",
    )
    worker_stop_seconds: float = Field(
        default=25,
        ge=0,
        description="On a clean stop (SIGTERM, Ctrl-C), how long a worker waits for what it "
        "is writing: it takes no new work, finishes the round of syncs under way, and only "
        "then records its stop. Work still running after this resumes on another worker.",
    )
    queue_polling_interval_seconds: float = Field(
        default=0.1,
        gt=0,
        description="How often a worker looks for queued syncs (the wait before a sync starts "
        "on an idle worker is at most this).",
    )
    background_polling_interval_seconds: float = Field(
        default=0.2,
        gt=0,
        description="How often a worker looks for queued reference-data reads and webhook "
        "deliveries. Each look starts at most as many as the worker has room for, so a longer "
        "interval caps how many a worker starts a second (an idle worker's CPU is mostly these "
        "looks).",
    )
    log_level: str = Field(default="INFO", description="Python logging level.")
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="`text` for people; `json`: one JSON object per line (timestamp, level, "
        "logger, message, correlation_id, and sync_id/company_id where a sync logs).",
    )
    metrics_port: int | None = Field(
        default=None,
        description="Port on which `spendsync worker` serves Prometheus metrics at /metrics "
        "(API processes serve /metrics on their own port).",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Fernet key that encrypts stored secrets. Default: generated once into "
        "<data_dir>/secret.key. Required to be the same on every process when distributed.",
    )
    webhook_retry_schedule_seconds: list[float] = Field(
        default=[5, 300, 1800, 7200, 18000, 36000],
        description="Waits between webhook delivery attempts (after the first).",
    )
    webhook_timeout_seconds: float = Field(
        default=15, gt=0, description="How long one webhook delivery attempt may take."
    )
    throttle_scope: Literal["auto", "process", "database"] = Field(
        default="auto",
        description="Where per-tenant platform limits are counted: in this process, or in the "
        "database so that every API and worker process shares one budget per tenant. `auto` "
        "is `database` on PostgreSQL (distributed) and `process` on SQLite (embedded).",
    )
    ledger_settings_cache_seconds: float = Field(
        default=300,
        ge=0,
        description="How long a worker keeps a ledger's base currency, preferences, tracking "
        "options and account codes between batches (0: read them for every batch).",
    )
    reference_cache_records: int = Field(
        default=100_000,
        ge=0,
        description="How many reference-data records (accounts, tax rates, tracking "
        "categories, contacts) an API process keeps decoded, over every connection, to check "
        "requests without reading them (about 0.5 KB each; the least recently used "
        "connection's go first; 0 reads them for every request).",
    )
    platform_timeout_seconds: float = Field(
        default=60,
        gt=0,
        description="How long one call to an accounting platform may take before it counts "
        "as failed and is retried (writes carry idempotency keys, so a retry never duplicates).",
    )

    attachment_storage: Literal["local", "s3"] = Field(
        default="local",
        description="Where attachment bytes are kept: a directory (`attachment_dir`), or an "
        "S3-compatible object store (`s3_*`).",
    )
    attachment_dir: Path | None = Field(
        default=None,
        description="Directory of the local attachment storage. Default: <data_dir>/attachments. "
        "When distributed, a directory every process mounts (NFS, EFS, ...).",
    )
    s3_bucket: str | None = Field(default=None, description="Bucket that holds attachments.")
    s3_endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint (MinIO, R2, ...). Default: AWS's."
    )
    s3_region: str | None = Field(default=None, description="The bucket's region.")
    s3_access_key_id: SecretStr | None = Field(
        default=None,
        description="Access key; default: the standard AWS credential chain (AWS_* variables, "
        "shared credentials file, instance or task role).",
    )
    s3_secret_access_key: SecretStr | None = Field(
        default=None, description="Secret of `s3_access_key_id`."
    )

    beancount_ledgers_dir: Path | None = Field(
        default=None,
        description="Directory that holds the Beancount ledgers, one folder per company; a "
        "connection may only use a ledger under its company's folder. Default: <data_dir>/ledgers.",
    )
    beancount_currency: str = Field(
        default="GBP", description="Operating currency of the Beancount ledgers spendsync creates."
    )
    beancount_lock_timeout_seconds: float = Field(
        default=30,
        gt=0,
        description="How long a write waits for another writer's lock on a Beancount ledger "
        "before it is retried later.",
    )

    xero_client_id: str | None = Field(
        default=None, description="Your Xero app's client id (developer.xero.com)."
    )
    xero_client_secret: SecretStr | None = Field(default=None, description="Its client secret.")
    xero_authorize_url: str = Field(
        default="https://login.xero.com/identity/connect/authorize",
        description="Xero's OAuth authorize endpoint (the sandbox's when developing).",
    )
    xero_token_url: str = Field(
        default="https://identity.xero.com/connect/token", description="Xero's token endpoint."
    )
    xero_connections_url: str = Field(
        default="https://api.xero.com/connections",
        description="Xero's endpoint listing the tenants a token may access.",
    )
    xero_revocation_url: str = Field(
        default="https://identity.xero.com/connect/revocation",
        description="Xero's token revocation endpoint (called when a connection is unlinked).",
    )
    xero_api_url: str = Field(
        default="https://api.xero.com/api.xro/2.0", description="Xero's Accounting API."
    )

    xero_calls_per_minute: int = Field(
        default=60, ge=1, description="Calls per tenant per minute (Xero's limit: 60)."
    )
    xero_minute_seconds: float = Field(
        default=60, gt=0, description="Length of a rate-limit 'minute' (benchmarks scale it)."
    )
    xero_calls_per_day: int = Field(default=5000, ge=1, description="Calls per tenant per day.")
    xero_max_concurrent_calls: int = Field(
        default=5, ge=1, description="Calls in flight per tenant (Xero's limit: 5)."
    )

    qbo_client_id: str | None = Field(
        default=None,
        description="Your QuickBooks Online app's client id (developer.intuit.com).",
    )
    qbo_client_secret: SecretStr | None = Field(default=None, description="Its client secret.")
    qbo_authorize_url: str = Field(
        default="https://appcenter.intuit.com/connect/oauth2",
        description="Intuit's OAuth authorize endpoint (the sandbox's when developing).",
    )
    qbo_token_url: str = Field(
        default="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
        description="Intuit's token endpoint.",
    )
    qbo_revocation_url: str = Field(
        default="https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
        description="Intuit's token revocation endpoint (called when a connection is unlinked).",
    )
    qbo_api_url: str = Field(
        default="https://quickbooks.api.intuit.com/v3",
        description="QuickBooks Online's Accounting API (Intuit's development companies: "
        "https://sandbox-quickbooks.api.intuit.com/v3).",
    )
    qbo_minor_version: int = Field(
        default=75, ge=75, description="`minorversion` sent on every call (QBO ignores < 75)."
    )
    qbo_calls_per_minute: int = Field(
        default=500, ge=1, description="Calls per company (realm) per minute (QBO's limit: 500)."
    )
    qbo_calls_per_second: int = Field(
        default=10, ge=1, description="Calls per company per second (QBO's limit: 10)."
    )
    qbo_minute_seconds: float = Field(
        default=60, gt=0, description="Length of a rate-limit 'minute' (benchmarks scale it)."
    )
    qbo_max_concurrent_calls: int = Field(
        default=10, ge=1, description="Calls in flight per company (QBO's limit: 10)."
    )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'spendsync.db').resolve()}"

    @property
    def attachments_dir(self) -> Path:
        return self.attachment_dir or self.data_dir / "attachments"

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> Settings:
        if self.attachment_storage == "s3" and not self.s3_bucket:
            raise ValueError("SPENDSYNC_ATTACHMENT_STORAGE=s3 needs SPENDSYNC_S3_BUCKET.")
        return self

    @property
    def ledgers_dir(self) -> Path:
        return self.beancount_ledgers_dir or self.data_dir / "ledgers"

    def resolved_jobs_database_url(self) -> str:
        if self.jobs_database_url:
            return self.jobs_database_url
        if self.is_sqlite:
            return f"sqlite:///{(self.data_dir / 'jobs.sqlite').resolve()}"
        return self.resolved_database_url()

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url().startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
