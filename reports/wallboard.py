"""The wallboard's numbers: the queue now, agents by state, and today's KPIs
(local day in ``hours.timezone``). Definitions are in ``reports.kpis``."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Presence, QueueEntry, QueueStatus, User
from reports import agents, data, incidents, kpis
from reports.periods import local_today, period, to_local
from reports.planning.roster import rostered_user_ids

STATES = (Presence.AVAILABLE, Presence.BUSY, Presence.WRAP_UP, Presence.AWAY, Presence.OFFLINE)


def queue_now(s: Session, settings: Settings, now: datetime) -> dict[str, Any]:
    joined = list(s.scalars(select(QueueEntry.joined_at).where(
        QueueEntry.status.in_((QueueStatus.WAITING, QueueStatus.OFFERED)))))
    waits = [max(0.0, (now - j).total_seconds()) for j in joined]
    return {"waiting": len(waits), "longest_wait_s": max(waits, default=0.0),
            "over_threshold": sum(1 for w in waits if w > settings.answer.threshold_s)}


def agents_now(s: Session, now: datetime) -> dict[str, Any]:
    """Agents by presence (who counts: ``reports.agents.counts_as_agent``)."""
    users = [u for u in s.scalars(select(User).where(User.active.is_(True)).order_by(User.name))
             if agents.counts_as_agent(u)]
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


def service_level_colour(value: float | None, settings: Settings) -> str:
    """green at or above ``wallboard.service_level_target``, amber at or above the warning, else red."""
    board = settings.wallboard
    if value is None:
        return "none"
    if value >= board.service_level_target:
        return "green"
    return "amber" if value >= board.service_level_warning else "red"


def hourly_calls(rows: list[kpis.CallRow], zone: ZoneInfo, until_hour: int | None = None) -> list[int]:
    """Inbound calls per local hour 0–23 (or 0..``until_hour``)."""
    hours = [0] * 24
    for row in rows:
        if row.inbound:
            hours[to_local(row.started_at, zone).hour] += 1
    return hours if until_hour is None else hours[: until_hour + 1]


def trend(s: Session, settings: Settings, now: datetime, today_rows: list[kpis.CallRow]) -> dict[str, Any]:
    """Calls per hour today against the same weekday last week, up to this hour."""
    zone = ZoneInfo(settings.hours.timezone)
    today = local_today(settings, now)
    hour = to_local(now, zone).hour
    week_ago = period(settings, today - timedelta(days=7), today - timedelta(days=7))
    last_rows = data.call_rows(s, week_ago.start, week_ago.end)
    last = hourly_calls(last_rows, zone)
    return {"today": hourly_calls(today_rows, zone, hour), "last_week": last[: hour + 1],
            "last_week_day": (today - timedelta(days=7)).isoformat(),
            "today_total": sum(hourly_calls(today_rows, zone, hour)), "last_week_total": sum(last[: hour + 1])}


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
        "agent_table": agents.live_table(s, rows, now, settings.calls.max_s),
        "calls": calls,
        "service_level": {"value": calls["service_level"], "colour": service_level_colour(calls["service_level"], settings),
                          "target": settings.wallboard.service_level_target,
                          "warning": settings.wallboard.service_level_warning},
        "trend": trend(s, settings, now, rows),
        "forbidden_alerts": len(data.forbidden_alerts(s, p.start, p.end)),
        "wait_accuracy": kpis.wait_accuracy(data.wait_samples(s, p.start, p.end)),
        "reassurance_abandons": abandons,
        "incidents_due": [incidents.as_dict(settings, i, now) for i in incidents.awaiting_report(s)],
    }
