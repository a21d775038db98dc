"""The caller's path in the API: ``GET /api/queue``, ``POST /api/agents/me/presence``,
``GET /api/calls/<call_sid>``, its controls and its wrap-up disposition (bearer tokens, typed
models, JSON errors)."""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

from flask import current_app
from pydantic import Field

from core.api import (
    ApiError,
    Body,
    PathParams,
    Reply,
    api_auth,
    api_blueprint,
    current_user,
    reply,
    responses,
)
from core.db import session, utcnow
from core.disclosure import phone_for
from core.models import Call, Presence, QueueEntry, User
from core.ops import defer
from core.presence import PresenceError, announce, set_presence
from ivr import queue
from ivr.bridge_control import apply_control, plan_control
from ivr.calls import find_call
from ivr.wrapup import awaiting_disposition, disposition_json, set_disposition

bp = api_blueprint("ivr_api", __name__)

#: states an agent may set by hand (offline is the console's sign-out)
SETTABLE = (Presence.AVAILABLE, Presence.BUSY, Presence.WRAP_UP, Presence.AWAY)


class QueueRow(Reply):
    """One waiting caller or pending call-back; ``position`` is the place the caller is told."""

    call_sid: str | None
    position: int
    wait_s: float
    priority: int
    menu_option: str | None = None
    locale: str | None = None
    joined_at: str | None = None
    status: str
    callback: bool


class QueueReply(Reply):
    queue: list[QueueRow]
    size: int


class PresenceIn(Body):
    state: Literal["available", "busy", "wrap_up", "away"]


class PresenceReply(Reply):
    name: str
    agent_code: str | None = None
    state: str
    since: str | None = None
    calls_handled: int


class CallPath(PathParams):
    call_sid: str = Field(min_length=1, max_length=64)


class CallAgent(Reply):
    name: str
    agent_code: str | None = None


class ParticipantEvent(Reply):
    """One event of the call's room (a conference): ``participant-join``, ``-leave``, ``-hold``…"""

    at: str | None = None
    event: str
    label: str | None = None
    call_sid: str | None = None
    muted: bool | None = None
    hold: bool | None = None
    sequence: int | None = None
    reason: str | None = None


class DispositionReply(Reply):
    """The agent's wrap-up code (``label`` per language), note, who gave it and when."""

    code: str
    label: dict[str, str | None]
    note: str | None = None
    by: str | None = None
    at: str | None = None


class DispositionIn(Body):
    code: str = Field(min_length=1, max_length=40, description="a code of wrapup.dispositions offered for the call")
    note: str | None = Field(default=None, description="at most 200 characters")


class CallReply(Reply):
    """A call and its timeline (each event: ``at``, ``kind`` and what it carries); a bridged
    call's room: ``conference_sid`` and its ``participants`` events in order; the agent's
    wrap-up ``disposition`` (or null)."""

    call_sid: str
    direction: str | None = None
    purpose: str | None = None
    from_: str | None = Field(default=None, alias="from")
    status: str | None = None
    agent: CallAgent | None = None
    conference_sid: str | None = None
    participants: list[ParticipantEvent] = []
    disposition: DispositionReply | None = None
    timeline: list[dict[str, Any]]


class ControlIn(Body):
    """``hold``/``resume`` the caller, ``mute``/``unmute`` the agent, ``hangup`` (ends the call),
    ``digits``: keypad tones played down the caller's leg (``digits``: 1–32 of 0-9 * # w; 422 else)."""

    action: Literal["hold", "resume", "mute", "unmute", "hangup", "digits"]
    digits: str | None = Field(default=None, description="with action digits: 0-9 * # and w (a half-second "
                                                         "pause), at most 32")


class ControlReply(Reply):
    call_sid: str
    action: str
    conference_sid: str


def _iso(value: Any) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def presence_json(user: User) -> dict[str, Any]:
    return {"name": user.name, "agent_code": user.agent_code, "state": user.presence,
            "since": _iso(user.presence_since), "calls_handled": user.calls_handled or 0}


@bp.get("/queue", responses=responses({200: QueueReply}))
@api_auth()
def get_queue():
    """Waiting callers (and pending call-backs) in service order: priority, then join time."""
    s = session()
    now = utcnow()
    rows = []
    entries = {e.id: e for e in queue.in_line_entries(s)}
    callbacks = {c.id: c for c in queue.pending_callbacks(s, now)}
    for position, item in enumerate(queue.service_order(s, now), start=1):
        row: dict[str, Any] = {"position": position, "priority": item.priority,
                               "wait_s": round(max(0.0, (now - item.place_at).total_seconds()), 1),
                               "menu_option": item.skill, "locale": item.locale,
                               "joined_at": _iso(item.place_at)}
        if item.kind == "entry":
            entry = entries[item.id]
            row.update(call_sid=entry.call.call_sid, status=entry.status, callback=False,
                       reassurances=entry.reassurances)
        else:
            request = callbacks[item.id]
            original = None
            if request.queue_entry_id is not None:
                original_entry = s.get(QueueEntry, request.queue_entry_id)
                original = original_entry.call.call_sid if original_entry else None
            row.update(call_sid=original, status="callback", callback=True, callback_id=request.id,
                       phone=phone_for(current_user(), request.phone), reason=request.reason)
        rows.append(row)
    return reply(QueueReply, {"queue": rows, "size": len(rows)})


@bp.post("/agents/me/presence", responses=responses({200: PresenceReply}, 404, 409, 413))
@api_auth()
def post_presence(body: PresenceIn):
    """Set the signed-in agent's presence (routing reacts at once)."""
    s = session()
    user = s.get(User, current_user().id)
    if user is None:
        raise ApiError("user not found", 404)
    waiting = awaiting_disposition(s, current_app.config["HOTLINE"], user) if body.state == "available" else None
    if waiting is not None:
        raise ApiError(f"state: give call {waiting.call_sid} a disposition first (wrapup.require_disposition)", 409)
    try:
        changed = set_presence(s, user, body.state)
    except PresenceError as exc:
        raise ApiError(str(exc)) from None
    s.commit()
    if changed:
        announce(current_app._get_current_object(), user.id, body.state)  # type: ignore[attr-defined]
        s.refresh(user)
    return reply(PresenceReply, presence_json(user))


def call_json(call: Call, viewer: User | None = None) -> dict[str, Any]:
    agent = call.agent
    return {
        "call_sid": call.call_sid, "direction": call.direction, "purpose": call.purpose,
        "from": phone_for(viewer, call.from_number),
        "status": call.status, "locale": call.locale, "menu_option": call.menu_option,
        "priority": call.priority, "started_at": _iso(call.started_at), "answered_at": _iso(call.answered_at),
        "ended_at": _iso(call.ended_at), "duration_s": call.duration_s, "wait_s": call.wait_s,
        "queue_result": call.queue_result,
        "agent": {"name": agent.name, "agent_code": agent.agent_code} if agent else None,
        "conference_sid": call.conference_sid,
        "participants": [{"at": _iso(e.at), **(e.detail or {})} for e in call.events if e.kind == "conference"],
        "disposition": disposition_json(current_app.config["HOTLINE"], call),
        "timeline": [{"at": _iso(e.at), "kind": e.kind, **(e.detail or {})} for e in call.events],
    }


@bp.get("/calls/<call_sid>", responses=responses({200: CallReply}, 404))
@api_auth()
def get_call(path: CallPath):
    """A call and its timeline: what was said, pressed, waited, to whom connected."""
    call = find_call(session(), path.call_sid)
    if call is None:
        raise ApiError(f"no call {path.call_sid!r}", 404)
    return reply(CallReply, call_json(call, current_user()))


@bp.post("/calls/<call_sid>/control", responses=responses({200: ControlReply}, 403, 404, 409))
@api_auth()
def post_call_control(path: CallPath, body: ControlIn):
    """Hold / resume the caller, mute / unmute the agent, send keypad digits to the caller's leg,
    or hang up a call connected to an agent — the agent on the call or a lead; audited. Twilio is
    asked right after this answer."""
    s = session()
    control = plan_control(s, current_app.config["HOTLINE"], current_user(), path.call_sid, body.action,
                           body.digits)  # a ControlRefused answers its status with the error
    s.commit()
    defer(current_app._get_current_object(), partial(apply_control, control=control))  # type: ignore[attr-defined]
    return reply(ControlReply, {"call_sid": control.call_sid, "action": control.action,
                                "conference_sid": control.conference_sid})



@bp.post("/calls/<call_sid>/disposition", responses=responses({200: DispositionReply}, 403, 404, 409))
@api_auth()
def post_call_disposition(path: CallPath, body: DispositionIn):
    """The agent's wrap-up of a finished call: a code of ``wrapup.dispositions`` offered for it
    (campaign calls: the codes for campaigns) and an optional note — the agent who took the call
    or a lead; giving it again replaces it. 422: a code not offered, naming ``code``; 409: the
    call is still live or never reached an agent."""
    s = session()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # a DispositionRefused answers its status with the error
    call = set_disposition(s, app.config["HOTLINE"], current_user(), path.call_sid, body.code, body.note, app)
    s.commit()
    return reply(DispositionReply, disposition_json(app.config["HOTLINE"], call))
