"""The team lead's alerts: forbidden phrases heard on calls, calls over
``calls.max_s`` (H7), callers waiting past ``answer.threshold_s`` (H2). One alert per thing
(``dedupe_key``), so several processes sweeping at once never double them.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.alerts import Alert, AlertKind, alert_dict, create_alert
from core.config import Settings
from core.db import in_app_context, session_scope, utcnow
from core.events import AlertRaised, publish
from core.models import Call, QueueEntry, QueueStatus, User

log = logging.getLogger(__name__)
FINAL = ("completed", "busy", "failed", "no-answer", "canceled")


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


@in_app_context
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
