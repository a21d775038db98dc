"""Manager request (H11): never a dead end — the pieces every transfer to the lead uses.

The transfer itself happens on the call's conference (``transfer_flow``, ``transfer_legs``):
the agent's one click (``transfer_api.request_manager``) is a cold transfer to the available
lead. When no lead is free, the lead does not answer or dialing fails, ``manager_callback``
opens a ``manager_callback`` case and a ``CallbackRequest(reason="manager")`` instead; the
caller hears ``fallback_twiml`` when the agent is no longer there. Every step is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from agent_console.desk import caller_title
from core.cases import open_case
from core.config import Settings
from core.db import utcnow
from core.events import CallQueued, publish
from core.models import (
    AuditLog,
    Call,
    CallbackRequest,
    CallbackStatus,
    CallEvent,
    Case,
    CaseKind,
    Presence,
    Role,
    User,
)
from core.twiml import say
from ivr import prompts
from scripts_library.service import get_matcher


class TransferError(ValueError):
    """Nothing to transfer (no call on the desk)."""


@dataclass
class Outcome:
    outcome: str  # "transfer" | "callback"
    lead: str | None = None
    case_ref: str | None = None
    say: str | None = None  # what the agent tells the caller now (S7)

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "lead": self.lead, "case_ref": self.case_ref, "say": self.say}


def s7_line(locale: str, transfer: bool) -> str | None:
    """The approved S7 reply to read: «…转给管理人员…» or «…管理人员稍后回复您…»."""
    try:
        entries = get_matcher().library.of(locale, "approved", "S7")
    except Exception:  # noqa: BLE001 - a library problem must not block the transfer
        return None
    wanted = ("不要挂断", "hang up") if transfer else ("回复", "call you back", "get back")
    for entry in entries:
        if any(w in entry.text for w in wanted):
            return entry.text
    return entries[0].text if entries else None


def available_lead(s: Session, exclude: int | None = None) -> User | None:
    """The lead available longest (presence available, role lead, an endpoint to ring)."""
    return s.scalar(select(User).where(User.role == Role.LEAD, User.presence == Presence.AVAILABLE,
                                       User.active.is_(True), User.endpoint.is_not(None),
                                       User.id != (exclude or 0))
                    .order_by(User.presence_since, User.id).limit(1))


def manager_callback(s: Session, settings: Settings, call: Call, agent_id: int | None, why: str) -> Case:
    """H11: take the number for a manager's call-back (a case, and a call-back request)."""
    caller = call.caller
    phone = caller.phone if caller else None
    case = open_case(s, settings, kind=CaseKind.MANAGER_CALLBACK, source="call", call_id=call.id,
                     caller_id=caller.id if caller else None, contact_number=phone,
                     caller_name=lookups_title(call), district=caller.district if caller else None,
                     created_by_id=agent_id, urgent=True,
                     description=f"来电人要求管理人员回电(H11)。Caller asked for a manager: {why}.")
    if phone:
        s.add(CallbackRequest(phone=phone, caller_id=caller.id if caller else None, reason="manager",
                              status=CallbackStatus.PENDING, skill="manager", locale=call.locale,
                              case_id=case.id, original_joined_at=call.started_at, requested_at=utcnow(),
                              agent_id=None, note=f"H11 manager call-back for {case.ref}"))
        publish(s, CallQueued(call_sid=None, callback=True))
    s.add(CallEvent(call=call, kind="manager_callback", detail={"case": case.ref, "why": why}))
    s.add(AuditLog(user_id=agent_id, action="manager_callback", target=call.call_sid,
                   detail={"case": case.ref, "why": why}))
    return case


def lookups_title(call: Call) -> str | None:
    return caller_title(call.caller, call.locale or "zh-CN")


def fallback_twiml(settings: Settings, locale: str) -> VoiceResponse:
    response = VoiceResponse()
    say(response, prompts.text(settings, "manager_unavailable", locale), settings, locale)
    response.hangup()
    return response
