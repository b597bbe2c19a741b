"""expense syncs and configuration

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 07:26:14.004022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "company_configurations",
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("bank_account_id", sa.String(length=255), nullable=True),
        sa.Column("supplier_id", sa.String(length=255), nullable=True),
        sa.Column("customer_id", sa.String(length=255), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_company_configurations_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_company_configurations_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_company_configurations")),
    )
    with op.batch_alter_table("company_configurations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_company_configurations_client_id"), ["client_id"], unique=False
        )

    op.create_table(
        "posted_transactions",
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "Payment",
                "Refund",
                "Reward",
                "Chargeback",
                "Transfer",
                "Reimbursable",
                "Adjustment",
                name="transactionkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("platform_key", sa.String(length=16), nullable=False),
        sa.Column("platform_record_type", sa.String(length=64), nullable=False),
        sa.Column("platform_record_id", sa.String(length=128), nullable=False),
        sa.Column("platform_version", sa.String(length=128), nullable=True),
        sa.Column("last_sync_id", sa.String(length=36), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_posted_transactions_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_posted_transactions_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "company_id", "transaction_id", name=op.f("pk_posted_transactions")
        ),
    )
    with op.batch_alter_table("posted_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_posted_transactions_client_id"), ["client_id"], unique=False
        )

    op.create_table(
        "syncs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("connection_id", sa.String(length=36), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("data_pushed", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_syncs_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_syncs_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_syncs_connection_id_connections"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_syncs")),
    )
    with op.batch_alter_table("syncs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_syncs_client_id"), ["client_id"], unique=False)
        batch_op.create_index("ix_syncs_company_created", ["company_id", "created"], unique=False)

    op.create_table(
        "sync_transactions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("sync_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "Payment",
                "Refund",
                "Reward",
                "Chargeback",
                "Transfer",
                "Reimbursable",
                "Adjustment",
                name="transactionkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "operation",
            sa.Enum("Create", "Update", name="operation", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "Unknown",
                "Pending",
                "ValidationError",
                "Completed",
                "PushError",
                name="transactionstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("platform_record_type", sa.String(length=64), nullable=True),
        sa.Column("platform_record_id", sa.String(length=128), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_sync_transactions_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_sync_transactions_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sync_id"],
            ["syncs.id"],
            name=op.f("fk_sync_transactions_sync_id_syncs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_transactions")),
        sa.UniqueConstraint("sync_id", "transaction_id", name=op.f("uq_sync_transactions_sync_id")),
    )
    with op.batch_alter_table("sync_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_transactions_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            "ix_sync_transactions_company_transaction",
            ["company_id", "transaction_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_sync_transactions_sync_id"), ["sync_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sync_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_transactions_sync_id"))
        batch_op.drop_index("ix_sync_transactions_company_transaction")
        batch_op.drop_index(batch_op.f("ix_sync_transactions_client_id"))

    op.drop_table("sync_transactions")
    with op.batch_alter_table("syncs", schema=None) as batch_op:
        batch_op.drop_index("ix_syncs_company_created")
        batch_op.drop_index(batch_op.f("ix_syncs_client_id"))

    op.drop_table("syncs")
    with op.batch_alter_table("posted_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posted_transactions_client_id"))

    op.drop_table("posted_transactions")
    with op.batch_alter_table("company_configurations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_company_configurations_client_id"))

    op.drop_table("company_configurations")
