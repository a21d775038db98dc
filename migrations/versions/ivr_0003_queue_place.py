"""ivr: a caller's place in line (queue_entries.place_at) apart from when their wait started

The service order and the position told to callers follow ``place_at`` (when the caller took
their place: the menu choice, or the original join time of a call-back keeping its place);
``joined_at`` is when Twilio enqueued them (what waits are counted from).

Revision ID: ivr_0003
Revises: ivr_0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "ivr_0003"
down_revision = "ivr_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queue_entries") as batch:
        batch.add_column(sa.Column("place_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE queue_entries SET place_at = joined_at")
    with op.batch_alter_table("queue_entries") as batch:
        batch.alter_column("place_at", existing_type=sa.DateTime(), nullable=False)
        batch.drop_index("ix_queue_entries_waiting")
        batch.create_index("ix_queue_entries_waiting", ["status", "priority", "place_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("queue_entries") as batch:
        batch.drop_index("ix_queue_entries_waiting")
        batch.create_index("ix_queue_entries_waiting", ["status", "priority", "joined_at"], unique=False)
        batch.drop_column("place_at")
