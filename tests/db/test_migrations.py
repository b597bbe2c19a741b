from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from spendsync.db import migrate
from spendsync.db.base import Base


def test_migrations_match_the_models(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_database_is_at_head(database_url: str, migrated_engine: Engine) -> None:
    assert migrate.current_heads(database_url) == migrate.head_revisions()


# A platform tenant's call budget is the platform's (per app and organisation), whichever of
# our clients makes the calls: those tables are not client data.
NOT_CLIENT_DATA = {
    "alembic_version",
    "clients",
    "platform_call_budgets",
    "platform_calls",
    "platform_call_slots",
    "worker_heartbeats",  # the job workers of this deployment
}


def test_every_tenant_table_carries_the_client_id(migrated_engine: Engine) -> None:
    tables = set(inspect(migrated_engine).get_table_names()) - NOT_CLIENT_DATA
    for table in tables:
        columns = {c["name"] for c in inspect(migrated_engine).get_columns(table)}
        assert "client_id" in columns, table


def test_sqlite_runs_in_wal_mode_with_foreign_keys(migrated_engine: Engine) -> None:
    if migrated_engine.dialect.name != "sqlite":
        return
    with migrated_engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
