"""The wallboard's numbers (issue 8 item 1): the queue now, agents by state, and today's KPIs
(local day in ``hours.timezone``). Definitions are in ``reports.kpis``."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Presence, QueueEntry, QueueStatus, Role, User
from reports import data, incidents, kpis
from reports.periods import local_today, period
from reports.planning.roster import rostered_user_ids

STATES = (Presence.AVAILABLE, Presence.BUSY, Presence.WRAP_UP, Presence.AWAY, Presence.OFFLINE)


def queue_now(s: Session, settings: Settings, now: datetime) -> dict[str, Any]:
    joined = list(s.scalars(select(QueueEntry.joined_at).where(
        QueueEntry.status.in_((QueueStatus.WAITING, QueueStatus.OFFERED)))))
    waits = [max(0.0, (now - j).total_seconds()) for j in joined]
    return {"waiting": len(waits), "longest_wait_s": max(waits, default=0.0),
            "over_threshold": sum(1 for w in waits if w > settings.answer.threshold_s)}


def agents_now(s: Session, now: datetime) -> dict[str, Any]:
    """Agents (and anyone else who takes calls: a user with an endpoint) by presence."""
    users = list(s.scalars(select(User).where(User.active.is_(True), or_(User.role == Role.AGENT,
                                                                           User.endpoint.is_not(None)))
                           .order_by(User.name)))
    counts = Counter(u.presence for u in users)
    rostered = rostered_user_ids(s, now)  # on_shift | on_break | absent (None)
    return {"by_state": {state.value: counts.get(state, 0) for state in STATES},
            "rostered": {"on_shift": sum(1 for v in rostered.values() if v == "on_shift"),
                         "on_break": sum(1 for v in rostered.values() if v == "on_break"),
                         "on_shift_offline": sum(1 for u in users if rostered.get(u.id) == "on_shift"
                                                 and u.presence == Presence.OFFLINE)},
            "agents": [{"name": u.display_name or u.name, "agent_code": u.agent_code, "presence": u.presence,
                        "since_s": max(0.0, (now - u.presence_since).total_seconds()) if u.presence_since else None,
                        "rostered": rostered.get(u.id)}
                       for u in users]}


def snapshot(s: Session, settings: Settings, now: datetime) -> dict[str, Any]:
    today = local_today(settings, now)
    p = period(settings, today, today)
    rows = data.call_rows(s, p.start, p.end)
    calls = kpis.call_kpis(rows, threshold_s=settings.answer.threshold_s,
                           short_abandon_s=settings.queue.short_abandon_s, max_s=settings.calls.max_s,
                           target_s=settings.calls.target_s)
    reassured = data.reassurance_data(s, settings, p.start, p.end)
    abandons = kpis.reassurance_abandons(reassured.reassurances, reassured.abandons, settings.queue.reassure_every_s)
    for row in abandons:
        row["wording_id"], row["wording"] = row["wording"], reassured.texts.get(row["wording"], row["wording"])
    return {
        "now": now.isoformat() + "Z", "today": today.isoformat(), "timezone": settings.hours.timezone,
        "threshold_s": settings.answer.threshold_s, "max_talk_s": settings.calls.max_s,
        "reassure_window_s": settings.queue.reassure_every_s,
        "queue": queue_now(s, settings, now),
        "agents": agents_now(s, now),
        "calls": calls,
        "forbidden_alerts": len(data.forbidden_alerts(s, p.start, p.end)),
        "wait_accuracy": kpis.wait_accuracy(data.wait_samples(s, p.start, p.end)),
        "reassurance_abandons": abandons,
        "incidents_due": [incidents.as_dict(settings, i, now) for i in incidents.awaiting_report(s)],
    }
