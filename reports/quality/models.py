"""The stored quality reviews: one ``QaReview`` per answered call (scored automatically after the
call ended) with one ``QaItem`` per scorecard item; a team lead's spot-check confirms or
overrides items with a comment and completes the review.

Times are naive UTC (``core.db.utcnow``); ``day`` is the call's local date (``hours.timezone``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow


class QaReview(Base):
    __tablename__ = "qa_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date] = mapped_column(Date)
    locale: Mapped[str] = mapped_column(String(10))
    scored_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    score: Mapped[float | None] = mapped_column(Float)  # share of the applicable items passed (final results)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # forbidden phrasing (S1–S9)
    complaint: Mapped[bool] = mapped_column(Boolean, default=False)  # a complaint case or menu choice
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime)
    comment: Mapped[str | None] = mapped_column(Text)

    items: Mapped[list[QaItem]] = relationship(back_populates="review", order_by="QaItem.position",
                                               cascade="all, delete-orphan")

    __table_args__ = (Index("ix_qa_reviews_day_agent", "day", "agent_id"),)


class QaItem(Base):
    __tablename__ = "qa_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("qa_reviews.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str] = mapped_column(String(8))  # H1 H2 H6 H8 H7 S H10 H12
    result: Mapped[str] = mapped_column(String(4))  # the automatic result: pass | fail | na
    note: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # {"zh-CN": …, "en": …}
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    lead_result: Mapped[str | None] = mapped_column(String(4))  # the lead's confirmation or override
    lead_comment: Mapped[str | None] = mapped_column(Text)

    review: Mapped[QaReview] = relationship(back_populates="items")

    __table_args__ = (UniqueConstraint("review_id", "code"),)

    @property
    def final(self) -> str:
        return self.lead_result or self.result
