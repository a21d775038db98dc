"""Manager request (H11): never a dead end.

One click on the call card: when a team lead is available the caller's call is redirected
(gateway REST) to ``/ivr/transfer/manager``: «请您稍等并不要挂断电话» and a ``<Dial>`` to the
lead's endpoint; the lead's console rings with the call card and the live transcript (the
agent's notes travel with the call). If the lead does not answer — or no lead is available,
or the redirect fails — a ``manager_callback`` case and a ``CallbackRequest(reason="manager")``
are opened instead. Every step is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Dial, Start, VoiceResponse

from agent_console import lookups
from agent_console.desk import caller_title
from core.cases import open_case
from core.config import Settings
from core.db import session_scope, utcnow
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
from core.presence import announce, set_presence
from core.telephony.gateway import GatewayError, get_gateway
from core.twiml import absolute_url, say
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


def request_manager(app: Flask, user_id: int) -> Outcome:
    """The agent's one click: transfer to an available lead now, else a manager call-back."""
    settings: Settings = app.config["HOTLINE"]
    with session_scope(app) as s:
        user = s.get(User, user_id)
        assert user is not None
        leg, call, ringing = lookups.current_conversation(s, user)
        if call is None:
            raise TransferError("call: there is no call on your desk")
        locale = call.locale or settings.company.default_locale
        live = call.ended_at is None and call.status not in lookups.FINAL and not ringing
        lead = available_lead(s, exclude=user.id) if live else None
        if lead is None:
            case = manager_callback(s, settings, call, user.id, "no lead available" if live else "after the call")
            return Outcome("callback", case_ref=case.ref, say=s7_line(locale, transfer=False))
        set_presence(s, lead, Presence.BUSY)  # reserved: routing offers them nothing else meanwhile
        s.add(CallEvent(call=call, kind="manager_transfer", detail={"lead": lead.name, "agent": user.name}))
        s.add(AuditLog(user_id=user.id, action="manager_transfer", target=call.call_sid,
                       detail={"lead": lead.name}))
        call_sid, lead_id, lead_name = call.call_sid, lead.id, lead.display_name or lead.name
    announce(app, lead_id, Presence.BUSY)
    try:
        get_gateway(app).redirect_call(call_sid, absolute_url(settings, "/ivr/transfer/manager", lead=lead_id,
                                                              agent=user_id))
    except GatewayError as exc:
        with session_scope(app) as s:
            lead = s.get(User, lead_id)
            if lead is not None and lead.presence == Presence.BUSY:
                set_presence(s, lead, Presence.AVAILABLE)
            call = lookups.call_by_sid(s, call_sid)
            assert call is not None
            case = manager_callback(s, settings, call, user_id, f"transfer failed: {exc}"[:80])
            ref = case.ref
        announce(app, lead_id, Presence.AVAILABLE)
        return Outcome("callback", case_ref=ref, say=s7_line(locale, transfer=False))
    return Outcome("transfer", lead=lead_name, say=s7_line(locale, transfer=True))


# -- the caller's call during the transfer (TwiML, pure) ----------------------------------------

def transfer_twiml(settings: Settings, locale: str, endpoint: str, *, action: str, status: str,
                   transcription: str, timeout_s: int) -> VoiceResponse:
    """«请您稍等并不要挂断电话», the live transcript for the lead, then ring the lead."""
    response = VoiceResponse()
    say(response, prompts.text(settings, "manager_hold", locale), settings, locale)
    start = Start()
    start.transcription(status_callback_url=transcription, track="both_tracks",
                        language_code=settings.voices[locale].gather_language)
    response.append(start)
    dial = Dial(action=action, method="POST", timeout=timeout_s)
    events = "initiated ringing answered completed"
    if endpoint.startswith("client:"):
        dial.client(endpoint.removeprefix("client:"), status_callback=status, status_callback_method="POST",
                    status_callback_event=events)
    else:
        dial.number(endpoint, status_callback=status, status_callback_method="POST",
                    status_callback_event=events)
    response.append(dial)
    return response


def fallback_twiml(settings: Settings, locale: str) -> VoiceResponse:
    response = VoiceResponse()
    say(response, prompts.text(settings, "manager_unavailable", locale), settings, locale)
    response.hangup()
    return response
