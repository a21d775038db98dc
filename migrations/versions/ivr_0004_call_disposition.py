"""ivr: the agent's wrap-up disposition on the call (code, note, who, when)

Revision ID: ivr_0004_disposition
Revises: ivr_0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "ivr_0004_disposition"
down_revision = "ivr_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("disposition", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("disposition_note", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("disposition_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("disposition_at", sa.DateTime(), nullable=True))
        batch.create_foreign_key("fk_calls_disposition_by_id_users", "users", ["disposition_by_id"], ["id"])
        batch.create_index("ix_calls_disposition", ["disposition"])


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_index("ix_calls_disposition")
        batch.drop_constraint("fk_calls_disposition_by_id_users", type_="foreignkey")
        batch.drop_column("disposition_at")
        batch.drop_column("disposition_by_id")
        batch.drop_column("disposition_note")
        batch.drop_column("disposition")
