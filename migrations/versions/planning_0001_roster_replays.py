"""planning: the roster (shifts per agent and day, breaks) and the what-if replays run

Revision ID: planning_0001
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "planning_0001"
down_revision = "0001"
branch_labels = ("planning",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "planning_roster_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("shift_name", sa.String(length=40), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("break_at", sa.DateTime(), nullable=True),
        sa.Column("break_min", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_planning_roster_shifts_user_id_users")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_planning_roster_shifts_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planning_roster_shifts")),
        sa.UniqueConstraint("day", "user_id", "shift_name", name=op.f("uq_planning_roster_shifts_day")),
    )
    op.create_index("ix_planning_roster_shifts_span", "planning_roster_shifts", ["starts_at", "ends_at"])
    op.create_table(
        "planning_replay_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("scenario", sa.JSON(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_planning_replay_runs_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planning_replay_runs")),
    )


def downgrade() -> None:
    op.drop_table("planning_replay_runs")
    op.drop_index("ix_planning_roster_shifts_span", table_name="planning_roster_shifts")
    op.drop_table("planning_roster_shifts")
