"""sync runner: the workflow that writes each sync

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("syncs") as batch:
        batch.add_column(sa.Column("runner_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("syncs") as batch:
        batch.drop_column("runner_id")
