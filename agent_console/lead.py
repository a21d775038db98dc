"""The team lead's live view: the queue, agents and their states, alerts;
the lead sets an agent's state. Pushed as ``queue`` / ``agents`` / ``alert`` to leads, and a
small ``queue_summary`` (size, longest wait) to everyone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_console import lookups, supervise
from agent_console.desk import iso
from core.config import Settings
from core.db import session_scope, utcnow
from core.models import AuditLog, CallbackRequest, Presence, QueueEntry, QueueStatus, User
from core.phone import mask
from core.presence import PresenceError, set_presence
from ivr import queue as ivr_queue

SETTABLE = (Presence.AVAILABLE, Presence.BUSY, Presence.WRAP_UP, Presence.AWAY)
IN_LINE = (QueueStatus.WAITING, QueueStatus.OFFERED)


def _service_order(s: Session, now: datetime) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for item in ivr_queue.service_order(s, now):
        row = s.get(QueueEntry if item.kind == "entry" else CallbackRequest, item.id)
        if row is not None:
            out.append((item.kind, row))
    return out


def queue_snapshot(s: Session, settings: Settings) -> dict[str, Any]:
    now = utcnow()
    rows = []
    for position, (kind, row) in enumerate(_service_order(s, now), start=1):
        if kind == "entry":
            call = row.call
            joined, phone = row.joined_at, call.caller.phone if call and call.caller else None
            rows.append({"position": position, "kind": "caller", "call_sid": call.call_sid if call else None,
                         "call_id": row.call_id, "status": row.status, "priority": row.priority,
                         "menu_option": row.skill, "district": row.district, "locale": row.locale,
                         "caller": mask(phone), "joined_at": iso(joined),
                         "wait_s": round((now - joined).total_seconds())})
        else:
            joined = row.original_joined_at
            rows.append({"position": position, "kind": "callback", "call_sid": None, "call_id": None,
                         "status": row.status, "priority": row.priority, "menu_option": row.skill,
                         "district": None, "locale": row.locale, "caller": mask(row.phone),
                         "joined_at": iso(joined), "reason": row.reason,
                         "wait_s": round((now - joined).total_seconds())})
    for row in rows:
        row["over_sla"] = row["kind"] == "caller" and row["wait_s"] > settings.answer.threshold_s  # H2
    longest = max((r["wait_s"] for r in rows if r["kind"] == "caller"), default=0)
    return {"now": iso(now), "rows": rows, "size": len(rows), "longest_wait_s": longest,
            "threshold_s": settings.answer.threshold_s}


def agents_snapshot(s: Session, settings: Settings) -> dict[str, Any]:
    now = utcnow()
    out = []
    users = s.scalars(select(User).where(User.active.is_(True)).order_by(User.role, User.name))
    for user in users:
        leg, call, ringing = lookups.current_conversation(s, user)
        live = call is not None and call.ended_at is None and call.status not in lookups.FINAL
        current = None
        if live and call is not None:
            answered = lookups.answered_at(s, call, leg)
            talk = (now - answered).total_seconds() if answered else None
            current = {"call_id": call.id, "call_sid": call.call_sid, "ringing": ringing,
                       "caller": mask(call.caller.phone if call.caller else None),
                       "answered_at": iso(answered), "talk_s": round(talk) if talk is not None else None,
                       "over_target": bool(talk and talk >= settings.calls.target_s),
                       "over_max": bool(talk and talk >= settings.calls.max_s),
                       "supervision": supervise.state_of(call)}
        out.append({"id": user.id, "name": user.name, "display_name": user.display_name or user.name,
                    "agent_code": user.agent_code, "role": user.role, "presence": user.presence,
                    "since": iso(user.presence_since), "calls_handled": user.calls_handled or 0,
                    "call": current})
    return {"now": iso(now), "agents": out}


def set_agent_state(s: Session, lead: User, target: User, state: str) -> bool:
    """A lead sets ``target``'s presence (audited). Returns True when it changed."""
    if state not in SETTABLE:
        raise PresenceError(f"state: must be one of {', '.join(SETTABLE)}")
    changed = set_presence(s, target, state)
    if changed:
        s.add(AuditLog(user_id=lead.id, action="set_presence", target=target.name, detail={"state": state}))
    return changed


def queue_of(app: Flask) -> dict[str, Any]:
    """The ``queue`` page message (leads; ``queue_summary`` for everyone is its size and longest wait)."""
    with session_scope(app) as s:
        return queue_snapshot(s, app.config["HOTLINE"])


def agents_of(app: Flask) -> dict[str, Any]:
    """The ``agents`` page message (leads)."""
    with session_scope(app) as s:
        return agents_snapshot(s, app.config["HOTLINE"])
