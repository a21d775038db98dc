"""ivr: offers (agent legs ringing for a waiting caller or a call-back)

Revision ID: ivr_0001
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "ivr_0001"
down_revision = "0001"
branch_labels = ("ivr",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ivr_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("queue_entry_id", sa.Integer(), nullable=True),
        sa.Column("callback_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("agent_call_sid", sa.String(length=64), nullable=True),
        sa.Column("caller_call_sid", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("handoff_tries", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("bridged_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_ivr_offers_agent_id_users")),
        sa.ForeignKeyConstraint(["callback_id"], ["callback_requests.id"],
                                name=op.f("fk_ivr_offers_callback_id_callback_requests")),
        sa.ForeignKeyConstraint(["queue_entry_id"], ["queue_entries.id"],
                                name=op.f("fk_ivr_offers_queue_entry_id_queue_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ivr_offers")),
    )
    op.create_index(op.f("ix_ivr_offers_agent_call_sid"), "ivr_offers", ["agent_call_sid"])
    op.create_index(op.f("ix_ivr_offers_agent_id"), "ivr_offers", ["agent_id"])
    op.create_index(op.f("ix_ivr_offers_callback_id"), "ivr_offers", ["callback_id"])
    op.create_index(op.f("ix_ivr_offers_caller_call_sid"), "ivr_offers", ["caller_call_sid"])
    op.create_index(op.f("ix_ivr_offers_queue_entry_id"), "ivr_offers", ["queue_entry_id"])
    op.create_index("ix_ivr_offers_status", "ivr_offers", ["status"])


def downgrade() -> None:
    op.drop_table("ivr_offers")
