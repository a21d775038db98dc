"""Models the console owns: transcript utterances (the team lead's alerts are ``core.alerts``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class Utterance(Base):
    """One transcription result of a call leg (Twilio real-time transcription, Twilio's documentation)."""

    __tablename__ = "console_utterances"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    # The caller's call this conversation belongs to (the agent's leg and the caller's share it).
    conversation_call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    track: Mapped[str] = mapped_column(String(20))  # inbound_track | outbound_track
    speaker: Mapped[str] = mapped_column(String(10))  # agent | caller
    text: Mapped[str] = mapped_column(Text)
    final: Mapped[bool] = mapped_column(Boolean, default=True)
    sequence: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str | None] = mapped_column(String(16))
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("call_id", "track", "sequence"),)
