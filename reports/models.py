"""Models the reports part owns: monthly reports (H23), shift handover logs and their items (H24),
major incidents (H26) and the history of script-library edits made in the console.

Times are naive UTC (``core.db.utcnow``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow


class MonthlyReport(Base):
    """H23: one month's written analysis and the lead's sign-off (figures frozen at sign-off)."""

    __tablename__ = "reports_monthly"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)  # YYYY-MM
    analysis: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_off_at: Mapped[datetime | None] = mapped_column(DateTime)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the summary at sign-off


class HandoverLog(Base):
    """H24: one shift's written handover (shift ``name`` starting on local date ``shift_day``)."""

    __tablename__ = "reports_handover_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_key: Mapped[str] = mapped_column(String(60), unique=True)  # YYYY-MM-DD:name
    shift_name: Mapped[str] = mapped_column(String(40))
    shift_day: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    notes: Mapped[str] = mapped_column(Text, default="")
    outgoing_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    incoming_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    acknowledge_note: Mapped[str] = mapped_column(Text, default="")

    items: Mapped[list[HandoverItem]] = relationship(back_populates="log", order_by="HandoverItem.id",
                                                     cascade="all, delete-orphan")


class HandoverItem(Base):
    """An open item listed in a handover: a case, a pending call-back, an unresolved alert or a
    major incident's written report still due."""

    __tablename__ = "reports_handover_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    log_id: Mapped[int] = mapped_column(ForeignKey("reports_handover_logs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # case | callback | alert | incident
    ref_id: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(300))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    carried_over: Mapped[bool] = mapped_column(Boolean, default=False)  # listed in the previous log too
    note: Mapped[str] = mapped_column(Text, default="")

    log: Mapped[HandoverLog] = relationship(back_populates="items")

    __table_args__ = (UniqueConstraint("log_id", "kind", "ref_id"),)


class MajorIncident(Base):
    """H26: reported to the managers at once, and in writing the next day."""

    __tablename__ = "reports_incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    notified: Mapped[list[int]] = mapped_column(JSON, default=list)  # user ids told at once
    report_due_at: Mapped[datetime] = mapped_column(DateTime)  # end of the next local day
    report: Mapped[str] = mapped_column(Text, default="")
    report_filed_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    report_filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class LibraryEdit(Base):
    """One script-library edit made in the console (add / edit / retire / restore), with both
    locale twins before and after, and the lint result it was saved with."""

    __tablename__ = "reports_library_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(10))
    entry_id: Mapped[str] = mapped_column(String(80), index=True)
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # locale → entry fields
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    files: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")


class ReportDelivery(Base):
    """One scheduled e-mail of a report (``kind`` daily | monthly, ``period`` YYYY-MM-DD | YYYY-MM):
    the unique pair makes each report go out once, whichever process's scheduler runs it."""

    __tablename__ = "reports_deliveries"
    __table_args__ = (UniqueConstraint("kind", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    period: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="sending")  # sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
