"""A team lead supervises a live call from the live view: listen, whisper, barge, leave.

The call's room is a conference (``ivr.bridge``). The lead's phone (``User.endpoint``, as the
manager transfer rings it) is dialed into it as one more participant labelled ``lead``
(Twilio's Participants resource): never ending the conference when it leaves, no beep.

- **listen**: ``muted`` — the lead hears caller and agent, nobody hears the lead;
- **whisper**: ``coaching`` with ``callSidToCoach`` = the agent's leg — only the agent hears;
- **barge**: unmuted, not coaching — everyone hears;
- **leave**: the participant is removed (its leg hangs up); the call goes on.

Switching mode updates the participant already in the room; only the first click dials. Each
click is checked (a lead or admin; the agent still on the call; one lead at a time), audited
and noted on the call's timeline in one transaction; the Twilio request runs after the commit
(``core.ops.defer``). What the page shows comes from the room's participant events the
conference status callback records (``ivr.bridge.conference_event``), so a reload shows it.
The caller hanging up ends the room and with it the lead's leg.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from agent_console import simphone
from core.api import ApiError
from core.config import Settings
from core.db import session_scope
from core.events import ParticipantChanged, publish
from core.models import Call, CallEvent, Presence, User
from core.presence import set_presence
from core.telephony.gateway import GatewayError, get_gateway
from core.twiml import absolute_url
from core.web.auth import LEAD_ROLES, audit
from ivr.bridge import SUPERVISOR_LABEL
from ivr.calls import FINAL_STATUSES, add_event, find_call

MODES = ("listen", "whisper", "barge", "leave")
STATUS_PATH = "/ivr/supervise/status"
UNANSWERED = frozenset({"no-answer", "busy", "failed", "canceled"})
REQUEST, LEG, FAILED = "supervise", "supervise_leg", "supervise_failed"


class SuperviseRefused(ApiError):
    """A supervision the call or the user does not allow (``message`` names the field, ``status``)."""


@dataclass(frozen=True)
class Supervision:
    """What to ask Twilio once the audit is committed."""

    call_sid: str
    conference_sid: str
    mode: str
    action: str  # add | update | remove | hang_up
    endpoint: str | None = None
    agent_leg: str | None = None
    lead_leg: str | None = None
    status_url: str | None = None  # the lead's leg's status callback (an unanswered phone)


# -- the room, read from the call's participant events ----------------------------------------

def _conference_events(call: Call) -> list[tuple[int, int, dict[str, Any]]]:
    return sorted(((int((e.detail or {}).get("sequence") or 0), e.id or 0, e.detail or {})
                   for e in call.events if e.kind == "conference"), key=lambda item: item[:2])


def in_room(call: Call) -> dict[str, dict[str, Any]]:
    """The participants in the call's room now (CallSid → its latest event), from the events."""
    people: dict[str, dict[str, Any]] = {}
    for _seq, _id, detail in _conference_events(call):
        event, sid = detail.get("event"), detail.get("call_sid")
        if event == "conference-end":
            people.clear()
        elif sid and event == "participant-leave":
            people.pop(sid, None)
        elif sid and str(event).startswith("participant-"):
            people[sid] = detail
    return people


def mode_of(detail: dict[str, Any]) -> str:
    """The mode a lead's participant is in, from its state in an event."""
    if detail.get("coaching"):
        return "whisper"
    return "listen" if detail.get("muted") else "barge"


def _labelled(people: dict[str, dict[str, Any]], label: str) -> tuple[str, dict[str, Any]] | None:
    return next(((sid, d) for sid, d in people.items() if d.get("label") == label), None)


def state_of(call: Call) -> dict[str, Any] | None:
    """The call's supervision as the pages show it: ``mode`` (listen/whisper/barge, from the
    participant events; None while the lead's phone rings or after leaving), ``connecting``,
    who (``lead``, ``lead_id``) and the last ``error``; None when no lead ever supervised."""
    requests = [e for e in call.events if e.kind in (REQUEST, LEG, FAILED)]
    if not requests:
        return None
    lead = _labelled(in_room(call), SUPERVISOR_LABEL)
    asked = next((e for e in reversed(requests) if e.kind == REQUEST), None)
    last = requests[-1]
    detail = (asked.detail or {}) if asked is not None else {}
    joined_or_left = any(e.kind == "conference" and (e.detail or {}).get("label") == SUPERVISOR_LABEL
                         and asked is not None and e.id > asked.id for e in call.events)
    connecting = (lead is None and asked is not None and detail.get("mode") != "leave"
                  and last.kind != FAILED and not joined_or_left)
    return {"mode": mode_of(lead[1]) if lead else None, "connecting": connecting,
            "requested": detail.get("mode"), "lead": detail.get("by"), "lead_id": detail.get("lead_id"),
            "lead_leg": lead[0] if lead else _lead_leg(call),
            "error": (last.detail or {}).get("error") if last.kind == FAILED else None}


def _lead_leg(call: Call) -> str | None:
    legs = [e for e in call.events if e.kind == LEG]
    return (legs[-1].detail or {}).get("call_sid") if legs else None


def agent_sees(state: dict[str, Any] | None) -> str | None:
    """What the agent's card shows: ``whisper`` (being coached) or ``barge`` (the lead joined
    the call). Silent listening is not shown, as in Flex and Amazon Connect."""
    mode = state.get("mode") if state else None
    return mode if mode in ("whisper", "barge") else None


# -- the lead's click -------------------------------------------------------------------------

def _live_call(s: Session, call_sid: str) -> tuple[Call, str]:
    call = find_call(s, call_sid)
    if call is None:
        raise SuperviseRefused(f"call_sid: no call {call_sid!r}", 404)
    agent = _labelled(in_room(call), "agent")
    if call.status in FINAL_STATUSES or call.ended_at is not None or not call.conference_sid or agent is None:
        raise SuperviseRefused("call_sid: the agent is no longer on this call", 409)
    return call, agent[0]


def plan(s: Session, settings: Settings, lead: User, call_sid: str, mode: str) -> Supervision:
    """Check and note ``mode`` on ``call_sid`` for ``lead`` (commit, then ``apply``)."""
    if mode not in MODES:
        raise SuperviseRefused(f"mode: one of {', '.join(MODES)}", 422)
    if lead.role not in LEAD_ROLES:
        raise SuperviseRefused("mode: only a team lead or an admin supervises calls", 403)
    call, agent_leg = _live_call(s, call_sid)
    state = state_of(call) or {}
    if not state and _labelled(in_room(call), SUPERVISOR_LABEL) is not None:  # e.g. a lead taking a transfer
        raise SuperviseRefused("call_sid: a lead is already in this call", 409)
    busy = bool(state.get("mode") or state.get("connecting"))
    if busy and state.get("lead_id") != lead.id:
        raise SuperviseRefused(f"call_sid: {state.get('lead')} is supervising this call", 409)
    conference_sid = call.conference_sid or ""
    if mode == "leave":
        if not busy:
            raise SuperviseRefused("call_sid: you are not in this call", 409)
        action = "remove" if state.get("mode") else "hang_up"
    elif state.get("mode"):
        action = "update"
    elif state.get("connecting"):
        raise SuperviseRefused("call_sid: your phone is still ringing; answer it or leave", 409)
    elif not lead.endpoint:
        raise SuperviseRefused("call_sid: you have no phone to listen on (set your endpoint)", 409)
    else:
        action = "add"
    if mode == "whisper" and in_room(call)[agent_leg].get("hold"):
        raise SuperviseRefused("call_sid: the agent is on hold; coaching needs them in the call", 409)
    audit(s, lead.id, "call_supervise", target=call.call_sid, mode=mode, conference_sid=conference_sid)
    # a lead whose phone joins a call is not offered callers meanwhile; available again once it hangs up
    back = action == "add" and lead.presence == Presence.AVAILABLE and set_presence(s, lead, Presence.BUSY)
    add_event(s, call, REQUEST, mode=mode, by=lead.display_name or lead.name, lead_id=lead.id,
              **({"back_to": str(Presence.AVAILABLE)} if back else {}))
    publish(s, ParticipantChanged(call_sid=call.call_sid, agent_id=call.agent_id))
    return Supervision(call.call_sid, conference_sid, mode, action, endpoint=lead.endpoint, agent_leg=agent_leg,
                       lead_leg=state.get("lead_leg"),
                       status_url=absolute_url(settings, STATUS_PATH, call=call.call_sid))


def options(mode: str, agent_leg: str | None) -> dict[str, Any]:
    """The participant's ``muted``/``coaching`` for ``mode`` (Twilio's Participants resource)."""
    if mode == "whisper":
        return {"muted": False, "coaching": True, "call_sid_to_coach": agent_leg}
    return {"muted": mode == "listen", "coaching": False}


def apply(app: Flask, supervision: Supervision) -> None:
    """The Participants request; a failure is noted on the call's timeline (the page shows it)
    and the call goes on as it was."""
    gateway, sup = get_gateway(app), supervision
    try:
        if sup.action == "add":
            with simphone.answering(app, sup.endpoint or ""):  # simulator: the click answers
                leg = gateway.add_participant(sup.conference_sid, sup.endpoint or "", label=SUPERVISOR_LABEL,
                                              status_callback=sup.status_url, status_events=("completed",),
                                              beep=False, end_conference_on_exit=False,
                                              **options(sup.mode, sup.agent_leg))
            _note(app, sup.call_sid, LEG, call_sid=leg)
        elif sup.action == "update":
            gateway.update_participant(sup.conference_sid, SUPERVISOR_LABEL, **options(sup.mode, sup.agent_leg))
        elif sup.action == "remove":
            gateway.remove_participant(sup.conference_sid, SUPERVISOR_LABEL)
        elif sup.lead_leg:  # still ringing: hang the lead's leg up
            gateway.end_call(sup.lead_leg)
    except GatewayError as exc:
        app.logger.warning("call %s: supervise %s failed: %s", sup.call_sid, sup.mode, exc)
        _note(app, sup.call_sid, FAILED, lead_back=sup.action == "add", mode=sup.mode, error=str(exc)[:200],
              code=exc.code)


def leg_status(s: Session, caller_sid: str, leg_sid: str, status: str) -> bool:
    """Status callback of a lead's leg once it is over: the lead made busy by joining is available
    again, and a phone that never answered (no-answer, busy, failed, canceled) ends "connecting"
    with the reason on the page. True when something was noted."""
    if status not in UNANSWERED and status != "completed":
        return False
    call = find_call(s, caller_sid)
    if call is None or not any(e.kind == LEG and (e.detail or {}).get("call_sid") == leg_sid for e in call.events):
        return False
    _lead_back(s, call)
    if status == "completed":
        return True
    s.add(CallEvent(call=call, kind=FAILED, detail={"error": f"your phone: {status}", "call_sid": leg_sid}))
    publish(s, ParticipantChanged(call_sid=call.call_sid, agent_id=call.agent_id))
    return True


def _note(app: Flask, caller_sid: str, kind: str, lead_back: bool = False, **detail: Any) -> None:
    with session_scope(app) as s:
        call = find_call(s, caller_sid)
        if call is None:
            return
        if lead_back:  # the lead's phone never joined: not busy with this call
            _lead_back(s, call)
        s.add(CallEvent(call=call, kind=kind, detail=detail))
        publish(s, ParticipantChanged(call_sid=call.call_sid, agent_id=call.agent_id))


def _lead_back(s: Session, call: Call) -> None:
    """The lead who was made busy by joining this call is available again (if still busy)."""
    joined = [e.detail or {} for e in call.events if e.kind == REQUEST and (e.detail or {}).get("back_to")]
    lead = s.get(User, joined[-1].get("lead_id")) if joined else None
    if lead is not None and lead.presence == Presence.BUSY:
        set_presence(s, lead, joined[-1]["back_to"])
