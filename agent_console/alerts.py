"""The team lead's alerts: forbidden phrases heard on calls, calls over
``calls.max_s`` (H7), callers waiting past ``answer.threshold_s`` (H2). One alert per thing
(``dedupe_key``), so several processes sweeping at once never double them.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent_console.models import Alert, AlertKind
from core.config import Settings
from core.db import session_scope, utcnow
from core.events import AlertRaised, publish
from core.models import Call, QueueEntry, QueueStatus, User
from core.phone import mask

log = logging.getLogger(__name__)
FINAL = ("completed", "busy", "failed", "no-answer", "canceled")


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


def open_alerts(s: Session, limit: int = 50) -> list[Alert]:
    return list(s.scalars(select(Alert).where(Alert.acknowledged.is_(False))
                          .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)))


def acknowledge(s: Session, alert: Alert, user: User) -> None:
    if not alert.acknowledged:
        alert.acknowledged = True
        alert.acknowledged_by_id = user.id
        alert.acknowledged_at = utcnow()


def find_new(s: Session, settings: Settings) -> list[Alert]:
    """Raise long-call (H7) and service-level (H2) alerts that are due."""
    now = utcnow()
    made: list[Alert] = []
    long_before = now - timedelta(seconds=settings.calls.max_s)
    for call in s.scalars(select(Call).where(Call.answered_at.is_not(None), Call.answered_at <= long_before,
                                             Call.ended_at.is_(None), Call.status.not_in(FINAL),
                                             Call.purpose.in_(("caller", "callback", "transfer")))):
        minutes = round((now - call.answered_at).total_seconds() / 60) if call.answered_at else 0
        alert = create_alert(s, AlertKind.LONG_CALL, f"long_call:{call.id}", call_id=call.id,
                             agent_id=call.agent_id, text=f"> {settings.calls.max_s:.0f}s", minutes=minutes)
        if alert:
            made.append(alert)
    sla_before = now - timedelta(seconds=settings.answer.threshold_s)
    for entry in s.scalars(select(QueueEntry).where(
            QueueEntry.status.in_((QueueStatus.WAITING, QueueStatus.OFFERED)), QueueEntry.joined_at <= sla_before)):
        waited = round((now - entry.joined_at).total_seconds())
        alert = create_alert(s, AlertKind.SLA_BREACH, f"sla_breach:{entry.id}", call_id=entry.call_id,
                             text=f"> {settings.answer.threshold_s:.0f}s", waited_s=waited)
        if alert:
            made.append(alert)
    return made


def sweep(app: Flask) -> int:
    """Find due alerts and push them to the leads' pages. Returns how many were raised."""
    settings: Settings = app.config["HOTLINE"]
    with session_scope(app) as s:
        made = find_new(s, settings)
        s.flush()
        publish(s, *(AlertRaised(payload=alert_dict(s, a)) for a in made))
    return len(made)


_sweeper_lock = threading.Lock()


def ensure_sweeper(app: Flask, every_s: float = 5.0) -> None:
    """Sweep in this process from now on (idempotent). Started by ``python app.py`` and by the
    first lead's live stream in a web worker, so alerts are raised wherever a lead watches."""
    with _sweeper_lock:
        if "console_sweeper" not in app.extensions:
            app.extensions["console_sweeper"] = start_sweeper(app, every_s)


def start_sweeper(app: Flask, every_s: float = 5.0) -> threading.Event:
    """A daemon thread sweeping every ``every_s`` seconds."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every_s):
            try:
                sweep(app)
            except Exception:  # keep sweeping after a database hiccup
                log.exception("alert sweep failed")

    threading.Thread(target=run, name="hotline-console-alerts", daemon=True).start()
    app.extensions.setdefault("hotline_stoppers", []).append(stop.set)
    return stop
