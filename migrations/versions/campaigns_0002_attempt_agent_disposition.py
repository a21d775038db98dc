"""scheduler: each attempt records the agent who took it and the disposition of their wrap-up

Revision ID: campaigns_0002
Revises: scheduler_0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "campaigns_0002"
down_revision = "scheduler_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scheduler_attempts") as batch:
        batch.add_column(sa.Column("agent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("disposition", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("disposition_note", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("disposed_at", sa.DateTime(), nullable=True))
        batch.create_foreign_key(op.f("fk_scheduler_attempts_agent_id_users"), "users", ["agent_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("scheduler_attempts") as batch:
        batch.drop_constraint(op.f("fk_scheduler_attempts_agent_id_users"), type_="foreignkey")
        batch.drop_column("disposed_at")
        batch.drop_column("disposition_note")
        batch.drop_column("disposition")
        batch.drop_column("agent_id")
