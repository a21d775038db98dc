"""The library's review loop: candidate examples raised from the console (HANDBOOK S1–S9).

An agent or a lead marks a flag «wrong» (the sentence is clean) or a lead marks a sentence
«should have been flagged» as a situation; the lead accepts (the sentence joins the tuning
examples, the learned layer retrains) or dismisses each candidate on the library page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow

#: candidate kinds: a flag said to be wrong, a sentence said to be a missed fault
WRONG_FLAG = "wrong_flag"
MISSED = "missed"
KINDS = (WRONG_FLAG, MISSED)
STATUSES = ("open", "accepted", "dismissed")


class LibraryCandidate(Base):
    """One sentence proposed as a tuning example: ``label`` is ``none`` (a wrong flag) or the
    situation S1–S9 it should have been flagged as."""

    __tablename__ = "library_candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(12))
    locale: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(4))
    flagged_as: Mapped[str | None] = mapped_column(String(4))
    utterance_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
