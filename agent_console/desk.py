"""The agent's desk: presence, the leg ringing for them, and the live call card.
``desk_state`` builds plain data (numbers always masked, H25); ``desk_of`` builds it for
the agent's page (topic ``desk``, pushed by ``agent_console.notifier``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_console import lookups, supervise, transfer_view
from core.config import Settings
from core.db import session_scope, utcnow
from core.models import Call, Caller, Case, CaseStatus, Presence, QueueEntry, QueueStatus, User
from core.phone import mask
from ivr import wrapup

FINAL = {"completed", "busy", "failed", "no-answer", "canceled"}
OPEN_CASE = (CaseStatus.OPEN, CaseStatus.DISPATCHED)
IN_LINE = (QueueStatus.WAITING, QueueStatus.OFFERED)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def caller_title(caller: Caller | None, locale: str) -> str | None:
    """H6: 王先生 / Mr Wang — what the approved replies put for «X先生/小姐» ({title})."""
    if caller is None or not (caller.surname or caller.title):
        return None
    surname, title = (caller.surname or "").strip(), (caller.title or "").strip()
    if locale == "en":
        return " ".join(p for p in (title, surname) if p) or None
    return f"{surname}{title}" or None


def caller_card(s: Session, caller: Caller | None, exclude_call_id: int | None,
                settings: Settings | None = None) -> dict[str, Any]:
    if caller is None:
        return {"id": None, "phone": mask(None), "surname": None, "title": None, "district": None,
                "previous_calls": [], "open_cases": []}
    previous = s.scalars(select(Call).where(Call.caller_id == caller.id, Call.id != (exclude_call_id or 0),
                                            Call.purpose.in_(("caller", "callback")))
                         .order_by(Call.started_at.desc()).limit(5))
    cases = s.scalars(select(Case).where(Case.caller_id == caller.id, Case.status.in_(OPEN_CASE))
                      .order_by(Case.created_at.desc()).limit(5))
    now = utcnow()
    return {
        "id": caller.id, "phone": mask(caller.phone), "has_phone": bool(caller.phone),
        "surname": caller.surname, "title": caller.title, "district": caller.district,
        "locale": caller.locale,
        "previous_calls": [{"id": c.id, "started_at": iso(c.started_at), "menu_option": c.menu_option,
                            "menu_label": {lang: lookups.option_label(settings, c.menu_option, lang)
                                           for lang in ("zh-CN", "en")} if settings else {},
                            "wait_s": c.wait_s, "duration_s": c.duration_s, "status": c.status,
                            "agent": c.agent.display_name if c.agent else None,
                            "disposition": {lang: wrapup.label(settings, c.disposition, lang)
                                            for lang in ("zh-CN", "en")} if settings and c.disposition else None}
                           for c in previous],
        "open_cases": [{"id": k.id, "ref": k.ref, "kind": k.kind, "status": k.status,
                        "description": (k.description or "")[:120], "department": k.department,
                        "reply_due_at": iso(k.reply_due_at),
                        "overdue": bool(k.reply_due_at and k.reply_due_at < now)} for k in cases],
    }


def _left(leg: Call | None, call: Call) -> bool:
    """The user's own leg ended while the caller's call goes on (handed over by a transfer)."""
    return leg is not None and leg.call_sid != call.call_sid and leg.status in FINAL


def call_card(s: Session, settings: Settings, user: User, leg: Call | None, call: Call,
              ringing: bool) -> dict[str, Any]:
    """The live call card for ``call`` (the caller's call), seen by ``user``."""
    locale = call.locale or (call.caller.locale if call.caller else None) or settings.company.default_locale
    wait_s = call.wait_s if call.wait_s is not None else lookups.waited_s(s, call)
    over = wait_s is not None and wait_s > settings.answer.threshold_s  # H2: three rings
    card = {
        "call_id": call.id, "call_sid": call.call_sid, "leg_sid": leg.call_sid if leg else None,
        "ringing": ringing, "status": call.status, "ended": call.status in FINAL or call.ended_at is not None or _left(leg, call),
        "purpose": call.purpose, "locale": locale, "menu_option": call.menu_option,
        "menu_label": {lang: lookups.option_label(settings, call.menu_option, lang) for lang in ("zh-CN", "en")},
        "priority": call.priority, "wait_s": round(wait_s) if wait_s is not None else None,
        "over_threshold": bool(over),
        "apology": lookups.prompt("apology_opener", locale) if over else None,
        "started_at": iso(call.started_at), "answered_at": iso(lookups.answered_at(s, call, leg)),
        "ended_at": iso(call.ended_at), "caller": caller_card(s, call.caller, call.id, settings),
        "title_text": caller_title(call.caller, locale),
        # wrap-up: the codes offered for this call, the one given (or None), whether one is required
        "dispositions": [{"code": d.code, "label": {"zh-CN": d.zh_CN, "en": d.en}}
                         for d in wrapup.offered(settings, call)],
        "disposition": wrapup.disposition_json(settings, call),
        "disposition_required": settings.wrapup.require_disposition,
        # whisper: the lead coaches this agent; barge: the lead joined the call (listening is silent)
        "supervised": None if leg is not None and leg.purpose == "transfer" else supervise.agent_sees(
            supervise.state_of(call)),
    }
    card["caller"]["title_text"] = card["title_text"]
    if not card["ended"] and not ringing:
        card["transfer"] = transfer_view.card(s, settings, user, call)
    return card


def desk_state(s: Session, settings: Settings, user: User) -> dict[str, Any]:
    """Everything the agent's page shows, as data."""
    leg, call, ringing = lookups.current_conversation(s, user)
    if call is None:  # a call still waiting for its required disposition stays on the desk
        call = wrapup.awaiting_disposition(s, settings, user)
    wrap_ends = None
    if user.presence == Presence.WRAP_UP:
        wrap_ends = iso(user.presence_since + timedelta(seconds=settings.routing.wrap_up_s))
    return {
        "now": iso(utcnow()),
        "user": {"id": user.id, "name": user.name, "display_name": user.display_name,
                 "agent_code": user.agent_code, "role": user.role},
        "presence": {"state": user.presence, "since": iso(user.presence_since), "wrap_up_ends_at": wrap_ends},
        # Answerable once the leg really rings (its status callback said so).
        "ringing_leg": leg.call_sid if (leg is not None and ringing and leg.status == "ringing") else None,
        "call": call_card(s, settings, user, leg, call, ringing) if call is not None else None,
        "queue": queue_summary(s),
    }


def queue_summary(s: Session) -> dict[str, Any]:
    """How many callers wait and the longest wait (what the agent's side panel shows)."""
    waiting = list(s.scalars(select(QueueEntry.joined_at).where(QueueEntry.status.in_(IN_LINE))))
    now = utcnow()
    longest = max(((now - j).total_seconds() for j in waiting), default=0.0)
    return {"size": len(waiting), "longest_wait_s": round(longest)}


def desk_of(app: Flask, user_id: int) -> dict[str, Any] | None:
    """The ``desk`` page message for ``user_id`` (None for an unknown user)."""
    settings: Settings = app.config["HOTLINE"]
    with session_scope(app) as s:
        user = s.get(User, user_id)
        return desk_state(s, settings, user) if user is not None else None


def agents_of_call(app: Flask, call_sid: str) -> list[int]:
    """Users whose desk shows this call (its agent, the agent its caller is offered to)."""
    with session_scope(app) as s:
        return lookups.agents_of_call(s, call_sid)
