"""Major incidents (H26): reported to the managers at once, and in writing the next day.

``record`` stores the incident and returns it with the ids of the managers (leads and admins) it
notifies; the view publishes a ``core.events.Notice`` (topic ``incident``) to them after the commit.
The written report is due at the end of the next local day; until it is filed the incident shows on
the wallboard, the reports page and every shift handover (H24).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.events import Notice, emit
from core.models import AuditLog, Role, User
from reports.models import MajorIncident
from reports.periods import to_local, to_utc

MANAGER_ROLES = (Role.LEAD.value, Role.ADMIN.value)
MAX_TITLE = 200
MAX_TEXT = 20_000


class IncidentError(ValueError):
    """Bad incident input; the message names the field."""


def report_due(settings: Settings, recorded_at: datetime) -> datetime:
    """End of the local day after ``recorded_at`` (H26: in writing the next day)."""
    zone = settings.hours.zone
    day = to_local(recorded_at, zone).date() + timedelta(days=2)
    return to_utc(datetime.combine(day, time(0, 0)), zone)


def parse_local(settings: Settings, value: str | None, now: datetime) -> datetime:
    """``YYYY-MM-DDTHH:MM`` (a datetime-local field) in the configured zone → UTC; empty → now."""
    if not value or not value.strip():
        return now
    try:
        local = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise IncidentError("occurred_at: expected a date and time such as 2026-11-24T14:30") from exc
    if local.tzinfo is not None:
        raise IncidentError("occurred_at: give the local time without a zone")
    moment = to_utc(local, settings.hours.zone)
    if moment > now + timedelta(minutes=5):
        raise IncidentError("occurred_at: cannot be in the future")
    return moment


def managers(s: Session) -> list[User]:
    return list(s.scalars(select(User).where(User.active.is_(True), User.role.in_(MANAGER_ROLES)).order_by(User.id)))


def record(s: Session, settings: Settings, user: User, title: str, description: str,
           occurred_at: str | None, now: datetime) -> MajorIncident:
    title = (title or "").strip()
    description = (description or "").strip()
    if not title:
        raise IncidentError("title: required")
    if len(title) > MAX_TITLE:
        raise IncidentError(f"title: at most {MAX_TITLE} characters")
    if len(description) > MAX_TEXT:
        raise IncidentError(f"description: at most {MAX_TEXT} characters")
    incident = MajorIncident(title=title, description=description, occurred_at=parse_local(settings, occurred_at, now),
                             recorded_at=now, recorded_by_id=user.id, notified=[m.id for m in managers(s)],
                             report_due_at=report_due(settings, now), report="")
    s.add(incident)
    s.flush()
    s.add(AuditLog(at=now, user_id=user.id, action="incident_recorded", target=f"incident:{incident.id}",
                   detail={"title": title, "notified": incident.notified}))
    return incident


def notify(app: Flask, settings: Settings, incident: MajorIncident, now: datetime) -> None:
    """Tell the managers now (after the commit): the console pushes it to their open pages."""
    emit(app, Notice(topic="incident", payload=as_dict(settings, incident, now),
                     users=tuple(incident.notified or ()), roles=tuple(MANAGER_ROLES)))


def file_report(s: Session, incident: MajorIncident, user: User, text: str, now: datetime) -> None:
    text = (text or "").strip()
    if not text:
        raise IncidentError("report: required")
    if len(text) > MAX_TEXT:
        raise IncidentError(f"report: at most {MAX_TEXT} characters")
    first = incident.report_filed_at is None
    incident.report = text
    incident.report_filed_at = incident.report_filed_at or now
    incident.report_filed_by_id = incident.report_filed_by_id or user.id
    s.add(AuditLog(at=now, user_id=user.id, action="incident_report" if first else "incident_report_edit",
                   target=f"incident:{incident.id}", detail={"chars": len(text)}))


def awaiting_report(s: Session) -> list[MajorIncident]:
    return list(s.scalars(select(MajorIncident).where(MajorIncident.report_filed_at.is_(None))
                          .order_by(MajorIncident.report_due_at, MajorIncident.id)))


def recent(s: Session, limit: int = 100) -> list[MajorIncident]:
    return list(s.scalars(select(MajorIncident).order_by(MajorIncident.recorded_at.desc(),
                                                         MajorIncident.id.desc()).limit(limit)))


def as_dict(settings: Settings, incident: MajorIncident, now: datetime) -> dict[str, Any]:
    zone = settings.hours.zone

    def local(value: datetime | None) -> str | None:
        return to_local(value, zone).strftime("%Y-%m-%d %H:%M") if value else None

    return {"id": incident.id, "title": incident.title, "occurred_at": local(incident.occurred_at),
            "recorded_at": local(incident.recorded_at), "report_due_at": local(incident.report_due_at),
            "report_filed_at": local(incident.report_filed_at),
            "report_overdue": incident.report_filed_at is None and incident.report_due_at < now}
