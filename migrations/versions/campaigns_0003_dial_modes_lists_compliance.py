"""scheduler: dialing modes, caller ID, holidays, list recycling and answering-machine retry per
campaign; recycling passes per contact; do-not-call entries with source, scope and expiry

Revision ID: campaigns_0003
Revises: campaigns_0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "campaigns_0003"
down_revision = "campaigns_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scheduler_campaigns") as batch:
        batch.add_column(sa.Column("dial_mode", sa.String(length=16), nullable=False, server_default="fixed_rate"))
        batch.add_column(sa.Column("caller_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("holidays", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("recycle_passes", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("recycle_after_s", sa.Float(), nullable=False, server_default="14400"))
        batch.add_column(sa.Column("recycle_window", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("machine_retry", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("optout_key", sa.Boolean(), nullable=False, server_default=sa.true()))
    # Existing agent-assisted campaigns dial one call per free agent from now on.
    op.execute("UPDATE scheduler_campaigns SET dial_mode = 'progressive' WHERE mode = 'agent_assisted'")
    with op.batch_alter_table("scheduler_contacts") as batch:
        batch.add_column(sa.Column("recycle_pass", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("scheduler_dnc") as batch:
        batch.add_column(sa.Column("source", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch.create_foreign_key(op.f("fk_scheduler_dnc_campaign_id_scheduler_campaigns"), "scheduler_campaigns",
                                 ["campaign_id"], ["id"], ondelete="CASCADE")


def downgrade() -> None:
    with op.batch_alter_table("scheduler_dnc") as batch:
        batch.drop_constraint(op.f("fk_scheduler_dnc_campaign_id_scheduler_campaigns"), type_="foreignkey")
        batch.drop_column("expires_at")
        batch.drop_column("campaign_id")
        batch.drop_column("source")
    with op.batch_alter_table("scheduler_contacts") as batch:
        batch.drop_column("recycle_pass")
    with op.batch_alter_table("scheduler_campaigns") as batch:
        for column in ("optout_key", "machine_retry", "recycle_window", "recycle_after_s", "recycle_passes",
                       "holidays", "caller_id", "dial_mode"):
            batch.drop_column(column)
