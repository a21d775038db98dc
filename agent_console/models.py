"""Models the console owns: transcript utterances and the team lead's alerts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
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


class AlertKind(StrEnum):
    FORBIDDEN_PHRASE = "forbidden_phrase"  # S1-S9 forbidden phrasing heard on a call
    LONG_CALL = "long_call"  # H7: over calls.max_s
    SLA_BREACH = "sla_breach"  # H2: a caller waited past answer.threshold_s


class Alert(Base):
    """Something the team lead should look at now; acknowledged from the live view."""

    __tablename__ = "console_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # One alert per thing: "long_call:<call id>", "sla_breach:<queue entry id>", "forbidden:<utterance id>".
    dedupe_key: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)


class ConsoleSession(Base):
    """One signed-in browser: the session cookie names it, sign-out deletes it (server-side
    sessions: a cookie copied before sign-out is worthless after it). Only a hash is stored."""

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's key
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
