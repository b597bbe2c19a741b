"""sync transactions: the request each pending item went out in, so that a resumed writer
sends it again in the same request (the same members under the same idempotency key)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_transactions") as batch:
        batch.add_column(sa.Column("request_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_transactions") as batch:
        batch.drop_column("request_id")
