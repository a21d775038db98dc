"""A call recording as Hotline keeps it: Twilio's RecordingSid, status, length and channels,
and the media URL — kept on the server, never sent to a browser (the console plays it through
``/console/recordings/<RecordingSid>.wav``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class Recording(Base):
    __tablename__ = "call_recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)  # the caller's call
    status: Mapped[str] = mapped_column(String(20), default="in-progress")  # Twilio's, or paused
    duration_s: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(40))
    media_url: Mapped[str | None] = mapped_column(String(500))  # server side only
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
