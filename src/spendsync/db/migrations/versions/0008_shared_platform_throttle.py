"""shared platform throttle

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 10:06:52.644475
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platform_call_budgets",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_platform_call_budgets")),
    )
    op.create_table(
        "platform_call_slots",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", "slot", name=op.f("pk_platform_call_slots")),
    )
    op.create_table(
        "platform_calls",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_calls")),
    )
    with op.batch_alter_table("platform_calls", schema=None) as batch_op:
        batch_op.create_index("ix_platform_calls_key_at", ["key", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("platform_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_platform_calls_key_at")

    op.drop_table("platform_calls")
    op.drop_table("platform_call_slots")
    op.drop_table("platform_call_budgets")
