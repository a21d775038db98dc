"""Tables of the operations part (migration branch ``ops``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class RateEvent(Base):
    """One counted event (a failed sign-in) under a hashed key, for sliding-window limits."""

    __tablename__ = "ops_rate_events"
    __table_args__ = (Index("ix_ops_rate_events_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SpoolReplay(Base):
    """A fault-spool record already stored: replaying it again changes nothing (exactly once)."""

    __tablename__ = "ops_spool_replays"

    spool_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    call_sid: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    replayed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    case_id: Mapped[int | None] = mapped_column(Integer)
