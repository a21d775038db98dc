"""ivr: the conference a call is bridged in (calls.conference_sid)

Revision ID: ivr_0002
Revises: ivr_0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "ivr_0002"
down_revision = "ivr_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("conference_sid", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("conference_sid")
