"""Per-agent figures: the wallboard's live table and the reports' per-agent table.

Who counts as an agent: users with the agent role, plus a lead or admin while they take calls
(available, busy or in wrap-up). A lead who is signed in but away or offline is not an agent
on the wallboard, although leads get a phone endpoint.

Per agent, over the customer calls of ``reports.data.call_rows``: **calls** = calls they
answered; **AHT** = mean talk time of those calls that ended (as ``reports.kpis``); **talk** =
total talk time; **over 5 min** = ended calls with talk time over ``calls.max_s`` (H7).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Call, Presence, Role, User
from reports import kpis

TAKING_CALLS = (Presence.AVAILABLE, Presence.BUSY, Presence.WRAP_UP)


def counts_as_agent(user: User) -> bool:
    return user.role == Role.AGENT or (user.endpoint is not None and user.presence in TAKING_CALLS)


def call_figures(rows: Iterable[kpis.CallRow], max_s: float) -> dict[int, dict[str, Any]]:
    """``{agent_id: {calls, aht_s, talk_s, over_5_min}}`` from answered calls."""
    talks: dict[int, list[float]] = {}
    answered: dict[int, int] = {}
    for row in rows:
        if row.outcome != kpis.ANSWERED or row.agent_id is None:
            continue
        answered[row.agent_id] = answered.get(row.agent_id, 0) + 1
        if row.talk_s is not None:
            talks.setdefault(row.agent_id, []).append(row.talk_s)
    return {agent: {"calls": n, "aht_s": kpis.mean(talks.get(agent, [])), "talk_s": sum(talks.get(agent, [])),
                    "over_5_min": sum(1 for t in talks.get(agent, []) if t > max_s)}
            for agent, n in answered.items()}


def _current_calls(s: Session, user_ids: Sequence[int]) -> dict[int, datetime]:
    """When each agent's call in progress was connected."""
    rows = s.execute(select(Call.agent_id, Call.answered_at).where(
        Call.agent_id.in_(user_ids), Call.answered_at.is_not(None), Call.ended_at.is_(None),
        Call.purpose.in_(("caller", "callback"))))
    return {agent: answered for agent, answered in rows}


def live_table(s: Session, rows: Sequence[kpis.CallRow], now: datetime, max_s: float) -> list[dict[str, Any]]:
    """One row per agent: state, seconds in it, calls today, AHT today, current call seconds."""
    users = [u for u in s.scalars(select(User).where(User.active.is_(True)).order_by(User.name)) if counts_as_agent(u)]
    figures = call_figures(rows, max_s)
    current = _current_calls(s, [u.id for u in users])
    out = []
    for u in users:
        mine = figures.get(u.id, {})
        connected = current.get(u.id)
        out.append({
            "id": u.id, "name": u.name, "display_name": u.display_name or u.name, "agent_code": u.agent_code,
            "presence": u.presence,
            "since_s": max(0.0, (now - u.presence_since).total_seconds()) if u.presence_since else None,
            "calls_today": mine.get("calls", 0), "aht_s": mine.get("aht_s"),
            "call_s": max(0.0, (now - connected).total_seconds()) if connected else None,
        })
    return out


def range_table(s: Session, rows: Sequence[kpis.CallRow], max_s: float) -> list[dict[str, Any]]:
    """The reports' per-agent table for a date range: every agent who answered a call in it."""
    figures = call_figures(rows, max_s)
    if not figures:
        return []
    users = {u.id: u for u in s.scalars(select(User).where(User.id.in_(list(figures))))}
    table = [{"agent_id": agent, "name": users[agent].display_name or users[agent].name if agent in users else str(agent),
              "agent_code": users[agent].agent_code if agent in users else None, **fig}
             for agent, fig in figures.items()]
    return sorted(table, key=lambda r: (-r["calls"], r["name"]))
