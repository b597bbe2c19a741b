"""reference data and pull operations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 07:32:34.045487
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pull_operations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("connection_id", sa.String(length=36), nullable=False),
        sa.Column("data_type", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "Queued",
                "Fetching",
                "Complete",
                "FetchError",
                "AuthError",
                "NotSupported",
                "RateLimitError",
                name="pullstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("requested", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("records_read", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_pull_operations_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_pull_operations_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_pull_operations_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pull_operations")),
    )
    with op.batch_alter_table("pull_operations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pull_operations_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            "ix_pull_operations_company_requested", ["company_id", "requested"], unique=False
        )

    op.create_table(
        "reference_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("connection_id", sa.String(length=36), nullable=False),
        sa.Column("data_type", sa.String(length=64), nullable=False),
        sa.Column("platform_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("source_modified", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_reference_records_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_reference_records_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_reference_records_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_records")),
        sa.UniqueConstraint(
            "connection_id",
            "data_type",
            "platform_id",
            name=op.f("uq_reference_records_connection_id"),
        ),
    )
    with op.batch_alter_table("reference_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reference_records_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            "ix_reference_records_company_type", ["company_id", "data_type"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reference_records", schema=None) as batch_op:
        batch_op.drop_index("ix_reference_records_company_type")
        batch_op.drop_index(batch_op.f("ix_reference_records_client_id"))

    op.drop_table("reference_records")
    with op.batch_alter_table("pull_operations", schema=None) as batch_op:
        batch_op.drop_index("ix_pull_operations_company_requested")
        batch_op.drop_index(batch_op.f("ix_pull_operations_client_id"))

    op.drop_table("pull_operations")
