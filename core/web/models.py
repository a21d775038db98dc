"""The web shell's table: one row per signed-in browser (server-side console sessions)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class ConsoleSession(Base):
    """One signed-in browser: the session cookie names it, sign-out deletes it (server-side
    sessions: a cookie copied before sign-out is worthless after it). Only a hash is stored."""

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's key
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
