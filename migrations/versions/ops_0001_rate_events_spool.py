"""ops: sign-in rate-limit events and the fault spool's replay ledger

Revision ID: ops_0001
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "ops_0001"
down_revision = "0001"
branch_labels = ("ops",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ops_rate_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_rate_events")),
    )
    op.create_index("ix_ops_rate_events_key_at", "ops_rate_events", ["key", "at"])
    op.create_table(
        "ops_spool_replays",
        sa.Column("spool_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("replayed_at", sa.DateTime(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("spool_id", name=op.f("pk_ops_spool_replays")),
    )


def downgrade() -> None:
    op.drop_table("ops_spool_replays")
    op.drop_index("ix_ops_rate_events_key_at", table_name="ops_rate_events")
    op.drop_table("ops_rate_events")
