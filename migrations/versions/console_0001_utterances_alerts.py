"""console: transcript utterances and lead alerts

Revision ID: console_0001
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "console_0001"
down_revision = "0001"
branch_labels = ("console",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_utterances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("conversation_call_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("track", sa.String(length=20), nullable=False),
        sa.Column("speaker", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_console_utterances_call_id_calls"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["conversation_call_id"], ["calls.id"],
                                name=op.f("fk_console_utterances_conversation_call_id_calls")),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_console_utterances_agent_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_utterances")),
        sa.UniqueConstraint("call_id", "track", "sequence", name=op.f("uq_console_utterances_call_id")),
    )
    op.create_index(op.f("ix_console_utterances_call_id"), "console_utterances", ["call_id"])
    op.create_index(op.f("ix_console_utterances_conversation_call_id"), "console_utterances",
                    ["conversation_call_id"])
    op.create_table(
        "console_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged", sa.Boolean(), nullable=False),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_console_alerts_call_id_calls")),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_console_alerts_agent_id_users")),
        sa.ForeignKeyConstraint(["acknowledged_by_id"], ["users.id"],
                                name=op.f("fk_console_alerts_acknowledged_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_alerts")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_console_alerts_dedupe_key")),
    )
    op.create_index(op.f("ix_console_alerts_call_id"), "console_alerts", ["call_id"])
    op.create_index(op.f("ix_console_alerts_created_at"), "console_alerts", ["created_at"])
    op.create_index(op.f("ix_console_alerts_acknowledged"), "console_alerts", ["acknowledged"])


def downgrade() -> None:
    op.drop_table("console_alerts")
    op.drop_table("console_utterances")
