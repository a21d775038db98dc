"""Models of workforce planning: the roster (who works which shift on which day, and when
their break is) and the what-if replays a lead ran (scenario and result, kept for comparison).

Times are naive UTC (``core.db.utcnow``); ``day`` is the local date the shift starts on.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow
from core.models import User


class RosterShift(Base):
    """One agent on one shift (a template from ``shifts``, H24) on one local day."""

    __tablename__ = "planning_roster_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    shift_name: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    break_at: Mapped[datetime | None] = mapped_column(DateTime)
    break_min: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (UniqueConstraint("day", "user_id", "shift_name"),
                      Index("ix_planning_roster_shifts_span", "starts_at", "ends_at"))


class ReplayRun(Base):
    """A what-if replay started from the lead's page: queued → running → done | failed."""

    __tablename__ = "planning_replay_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(12))  # recorded | forecast
    scenario: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seed: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12), default="running")
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
