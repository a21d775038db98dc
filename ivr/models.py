"""Models the caller's path owns: an ``Offer`` is one attempt to connect a waiting caller (or
a call-back) to one agent — the agent's leg ringing, answered, bridged or failed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow
from core.models import CallbackRequest, QueueEntry, User


class OfferStatus(StrEnum):
    DIALING_CUSTOMER = "dialing_customer"  # call-back: the customer's phone rings first
    RINGING = "ringing"  # the agent's leg rings
    ANSWERED = "answered"  # the agent answered; the caller is being handed over
    BRIDGED = "bridged"
    DONE = "done"  # the bridge ended
    FAILED = "failed"  # agent did not answer / busy / failed
    CANCELLED = "cancelled"  # the caller hung up or went elsewhere first


ACTIVE_OFFER_STATUSES = (OfferStatus.DIALING_CUSTOMER, OfferStatus.RINGING, OfferStatus.ANSWERED,
                         OfferStatus.BRIDGED)


class Offer(Base):
    __tablename__ = "ivr_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="queue")  # queue | callback
    queue_entry_id: Mapped[int | None] = mapped_column(ForeignKey("queue_entries.id"), index=True)
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callback_requests.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    agent_call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    caller_call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20), default=OfferStatus.RINGING)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    bridged_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(String(40))  # why it failed / was cancelled

    agent: Mapped[User] = relationship()
    queue_entry: Mapped[QueueEntry | None] = relationship()
    callback: Mapped[CallbackRequest | None] = relationship()

    __table_args__ = (Index("ix_ivr_offers_status", "status"),)

    @property
    def queue_name(self) -> str:
        """The per-offer hand-off queue (Twilio queue names are <= 64 characters)."""
        return f"offer-{self.id}"
