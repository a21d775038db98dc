"""ivr: drop ivr_offers.handoff_tries (no setting or code has read it since hand-off retries went)

Revision ID: ivr_0005_offer_handoff
Revises: ivr_0004_disposition
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "ivr_0005_offer_handoff"
down_revision = "ivr_0004_disposition"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ivr_offers") as batch:
        batch.drop_column("handoff_tries")


def downgrade() -> None:
    # Existing offers get 0 (the model's old default); the server default is dropped again so the
    # column is as ivr_0001 made it.
    with op.batch_alter_table("ivr_offers") as batch:
        batch.add_column(sa.Column("handoff_tries", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("ivr_offers") as batch:
        batch.alter_column("handoff_tries", existing_type=sa.Integer(), server_default=None)
