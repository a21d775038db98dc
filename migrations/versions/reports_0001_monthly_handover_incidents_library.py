"""reports: monthly reports (H23), handover logs and items (H24), major incidents (H26), library edits

Revision ID: reports_0001
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "reports_0001"
down_revision = "0001"
branch_labels = ("reports",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reports_monthly",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("analysis", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("signed_off_by_id", sa.Integer(), nullable=True),
        sa.Column("signed_off_at", sa.DateTime(), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_reports_monthly_updated_by_id_users")),
        sa.ForeignKeyConstraint(["signed_off_by_id"], ["users.id"],
                                name=op.f("fk_reports_monthly_signed_off_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports_monthly")),
        sa.UniqueConstraint("month", name=op.f("uq_reports_monthly_month")),
    )
    op.create_table(
        "reports_handover_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_key", sa.String(length=60), nullable=False),
        sa.Column("shift_name", sa.String(length=40), nullable=False),
        sa.Column("shift_day", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("outgoing_user_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("incoming_user_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledge_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["outgoing_user_id"], ["users.id"],
                                name=op.f("fk_reports_handover_logs_outgoing_user_id_users")),
        sa.ForeignKeyConstraint(["incoming_user_id"], ["users.id"],
                                name=op.f("fk_reports_handover_logs_incoming_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports_handover_logs")),
        sa.UniqueConstraint("shift_key", name=op.f("uq_reports_handover_logs_shift_key")),
    )
    op.create_table(
        "reports_handover_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("carried_over", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["log_id"], ["reports_handover_logs.id"], ondelete="CASCADE",
                                name=op.f("fk_reports_handover_items_log_id_reports_handover_logs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports_handover_items")),
        sa.UniqueConstraint("log_id", "kind", "ref_id", name=op.f("uq_reports_handover_items_log_id")),
    )
    op.create_index(op.f("ix_reports_handover_items_log_id"), "reports_handover_items", ["log_id"])
    op.create_table(
        "reports_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("notified", sa.JSON(), nullable=False),
        sa.Column("report_due_at", sa.DateTime(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("report_filed_at", sa.DateTime(), nullable=True),
        sa.Column("report_filed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"],
                                name=op.f("fk_reports_incidents_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["report_filed_by_id"], ["users.id"],
                                name=op.f("fk_reports_incidents_report_filed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports_incidents")),
    )
    op.create_index(op.f("ix_reports_incidents_report_filed_at"), "reports_incidents", ["report_filed_at"])
    op.create_table(
        "reports_library_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("entry_id", sa.String(length=80), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_reports_library_edits_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports_library_edits")),
    )
    op.create_index(op.f("ix_reports_library_edits_at"), "reports_library_edits", ["at"])
    op.create_index(op.f("ix_reports_library_edits_entry_id"), "reports_library_edits", ["entry_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_reports_library_edits_entry_id"), table_name="reports_library_edits")
    op.drop_index(op.f("ix_reports_library_edits_at"), table_name="reports_library_edits")
    op.drop_table("reports_library_edits")
    op.drop_index(op.f("ix_reports_incidents_report_filed_at"), table_name="reports_incidents")
    op.drop_table("reports_incidents")
    op.drop_index(op.f("ix_reports_handover_items_log_id"), table_name="reports_handover_items")
    op.drop_table("reports_handover_items")
    op.drop_table("reports_handover_logs")
    op.drop_table("reports_monthly")
