"""library: candidate examples of the review loop (wrong flags, missed faults)

Revision ID: library_0001
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "library_0001"
down_revision = "0001"
branch_labels = ("library",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "library_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=4), nullable=False),
        sa.Column("flagged_as", sa.String(length=4), nullable=True),
        sa.Column("utterance_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["proposed_by_id"], ["users.id"],
                                name=op.f("fk_library_candidates_proposed_by_id_users")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"],
                                name=op.f("fk_library_candidates_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_candidates")),
    )
    op.create_index(op.f("ix_library_candidates_at"), "library_candidates", ["at"])
    op.create_index(op.f("ix_library_candidates_status"), "library_candidates", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_library_candidates_status"), table_name="library_candidates")
    op.drop_index(op.f("ix_library_candidates_at"), table_name="library_candidates")
    op.drop_table("library_candidates")
