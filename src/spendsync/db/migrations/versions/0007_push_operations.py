"""push operations

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 08:21:12.639564
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "push_operations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("connection_id", sa.String(length=36), nullable=False),
        sa.Column("data_type", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "Pending",
                "Failed",
                "Success",
                "TimedOut",
                name="pushstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("requested", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_push_operations_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_push_operations_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_push_operations_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_operations")),
    )
    with op.batch_alter_table("push_operations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_push_operations_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            "ix_push_operations_company_requested", ["company_id", "requested"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("push_operations", schema=None) as batch_op:
        batch_op.drop_index("ix_push_operations_company_requested")
        batch_op.drop_index(batch_op.f("ix_push_operations_client_id"))

    op.drop_table("push_operations")
