"""recording: call recordings (RecordingSid, status, length, channels, media URL, deletion)

Revision ID: recording_0001
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "recording_0001"
down_revision = "0001"
branch_labels = ("recording",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_sid", sa.String(length=64), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("channels", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=True),
        sa.Column("media_url", sa.String(length=500), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_recordings")),
        sa.UniqueConstraint("recording_sid", name=op.f("uq_call_recordings_recording_sid")),
    )
    op.create_index(op.f("ix_call_recordings_call_sid"), "call_recordings", ["call_sid"])
    op.create_index(op.f("ix_call_recordings_created_at"), "call_recordings", ["created_at"])
    op.create_index(op.f("ix_call_recordings_deleted_at"), "call_recordings", ["deleted_at"])


def downgrade() -> None:
    op.drop_table("call_recordings")
