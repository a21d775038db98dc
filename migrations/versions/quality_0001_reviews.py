"""quality: automatic call reviews (scorecard items) and the lead's spot-checks

Revision ID: quality_0001
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "quality_0001"
down_revision = "0001"
branch_labels = ("quality",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qa_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("scored_at", sa.DateTime(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("complaint", sa.Boolean(), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_qa_reviews_call_id_calls"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_qa_reviews_agent_id_users")),
        sa.ForeignKeyConstraint(["checked_by_id"], ["users.id"], name=op.f("fk_qa_reviews_checked_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_reviews")),
        sa.UniqueConstraint("call_id", name=op.f("uq_qa_reviews_call_id")),
    )
    op.create_index("ix_qa_reviews_day_agent", "qa_reviews", ["day", "agent_id"], unique=False)
    op.create_table(
        "qa_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("result", sa.String(length=4), nullable=False),
        sa.Column("note", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("lead_result", sa.String(length=4), nullable=True),
        sa.Column("lead_comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["review_id"], ["qa_reviews.id"], name=op.f("fk_qa_items_review_id_qa_reviews"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_items")),
        sa.UniqueConstraint("review_id", "code", name=op.f("uq_qa_items_review_id")),
    )
    op.create_index(op.f("ix_qa_items_review_id"), "qa_items", ["review_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_qa_items_review_id"), table_name="qa_items")
    op.drop_table("qa_items")
    op.drop_index("ix_qa_reviews_day_agent", table_name="qa_reviews")
    op.drop_table("qa_reviews")
