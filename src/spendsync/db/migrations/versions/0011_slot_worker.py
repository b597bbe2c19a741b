"""platform call slots: the job worker holding each, freed once that worker is dead

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("platform_call_slots") as batch:
        batch.add_column(sa.Column("worker", sa.String(length=160), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("platform_call_slots") as batch:
        batch.drop_column("worker")
