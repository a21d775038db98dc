"""The team lead's alerts, raised by several parts: forbidden phrases heard on calls and calls
over ``calls.max_s`` (H7) or callers waiting past ``answer.threshold_s`` (H2) by the console,
follow-up rules (H15–H20) by the scheduler. One alert per thing (``dedupe_key``), so several
processes raising it at once never double it. The console's live view shows and acknowledges them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, utcnow
from core.models import Call, User
from core.phone import mask


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


def create_alert(s: Session, kind: str, dedupe_key: str, *, call_id: int | None = None,
                 agent_id: int | None = None, text: str = "", **detail: Any) -> Alert | None:
    """A new alert, or None when this one exists already."""
    if s.scalar(select(Alert.id).where(Alert.dedupe_key == dedupe_key)) is not None:
        return None
    alert = Alert(kind=kind, dedupe_key=dedupe_key, call_id=call_id, agent_id=agent_id, text=text[:2000],
                  detail=detail, created_at=utcnow())
    try:
        with s.begin_nested():
            s.add(alert)
    except IntegrityError:  # another process raised it first
        return None
    return alert


def alert_dict(s: Session, alert: Alert) -> dict[str, Any]:
    agent = s.get(User, alert.agent_id) if alert.agent_id else None
    call = s.get(Call, alert.call_id) if alert.call_id else None
    return {"id": alert.id, "kind": alert.kind, "text": alert.text, "detail": alert.detail,
            "created_at": alert.created_at.isoformat() + "Z", "acknowledged": alert.acknowledged,
            "agent": (agent.display_name or agent.name) if agent else None,
            "agent_code": agent.agent_code if agent else None,
            "call_id": alert.call_id, "call_sid": call.call_sid if call else None,
            "caller": mask(call.caller.phone) if call is not None and call.caller else None}
