"""The caller's path in the API: ``GET /api/queue``, ``POST /api/agents/me/presence``,
``GET /api/calls/<call_sid>`` (bearer tokens, JSON errors, OpenAPI fragments)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from core.api import ApiError, api_auth, current_user, json_body
from core.db import session, utcnow
from core.disclosure import phone_for
from core.models import Call, Presence, QueueEntry, User
from core.presence import PresenceError, announce, set_presence
from ivr import queue
from ivr.calls import find_call

bp = Blueprint("ivr_api", __name__, url_prefix="/api")

#: states an agent may set by hand (offline is the console's sign-out)
SETTABLE = (Presence.AVAILABLE, Presence.BUSY, Presence.WRAP_UP, Presence.AWAY)


def _iso(value: Any) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def presence_json(user: User) -> dict[str, Any]:
    return {"name": user.name, "agent_code": user.agent_code, "state": user.presence,
            "since": _iso(user.presence_since), "calls_handled": user.calls_handled or 0}


@bp.get("/queue")
@api_auth()
def get_queue():
    """Everyone waiting, in service order (priority, then join time); pending call-backs too."""
    s = session()
    now = utcnow()
    rows = []
    entries = {e.id: e for e in queue.in_line_entries(s)}
    callbacks = {c.id: c for c in queue.pending_callbacks(s, now)}
    for position, item in enumerate(queue.service_order(s, now), start=1):
        row: dict[str, Any] = {"position": position, "priority": item.priority,
                               "wait_s": round(max(0.0, (now - item.joined_at).total_seconds()), 1),
                               "menu_option": item.skill, "locale": item.locale,
                               "joined_at": _iso(item.joined_at)}
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
    return jsonify(queue=rows, size=len(rows))


@bp.post("/agents/me/presence")
@api_auth()
def post_presence():
    """Set the signed-in agent's presence; routing is told (dispatch) at once."""
    data = json_body(required=["state"])
    state = data.get("state")
    if not isinstance(state, str) or state not in SETTABLE:
        raise ApiError(f"state: must be one of {', '.join(SETTABLE)}")
    s = session()
    user = s.get(User, current_user().id)
    if user is None:
        raise ApiError("user not found", 404)
    try:
        changed = set_presence(s, user, state)
    except PresenceError as exc:
        raise ApiError(str(exc)) from None
    s.commit()
    if changed:
        announce(current_app._get_current_object(), user.id, state)  # type: ignore[attr-defined]
        s.refresh(user)
    return jsonify(presence_json(user))


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
        "timeline": [{"at": _iso(e.at), "kind": e.kind, **(e.detail or {})} for e in call.events],
    }


@bp.get("/calls/<call_sid>")
@api_auth()
def get_call(call_sid: str):
    """The call and its timeline: what was said, pressed, waited, to whom connected."""
    call = find_call(session(), call_sid[:64])
    if call is None:
        raise ApiError(f"no call {call_sid[:64]!r}", 404)
    return jsonify(call_json(call, current_user()))


_ERR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}

OPENAPI_PATHS = {
    "/api/queue": {"get": {
        "summary": "Waiting callers (and pending call-backs) in service order",
        "responses": {"200": {"description": "The queue", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"size": {"type": "integer"}, "queue": {"type": "array", "items": {
                "type": "object", "required": ["call_sid", "position", "wait_s", "priority"],
                "properties": {"call_sid": {"type": ["string", "null"]}, "position": {"type": "integer"},
                               "wait_s": {"type": "number"}, "priority": {"type": "integer"},
                               "menu_option": {"type": ["string", "null"]},
                               "locale": {"type": ["string", "null"]}, "status": {"type": "string"},
                               "callback": {"type": "boolean"}}}}}}}}},
                      "401": {"description": "No or bad token", **_ERR}}}},
    "/api/agents/me/presence": {"post": {
        "summary": "Set the signed-in agent's presence (routing reacts at once)",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["state"],
            "properties": {"state": {"type": "string", "enum": [str(p) for p in SETTABLE]}}}}}},
        "responses": {"200": {"description": "The presence", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"name": {"type": "string"}, "state": {"type": "string"},
                                             "since": {"type": "string"}}}}}},
                      "400": {"description": "Bad state", **_ERR}, "401": {"description": "No or bad token", **_ERR}}}},
    "/api/calls/{call_sid}": {"get": {
        "summary": "A call and its timeline (said, pressed, waited, connected to)",
        "parameters": [{"name": "call_sid", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The call", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"call_sid": {"type": "string"}, "status": {"type": "string"},
                                             "timeline": {"type": "array", "items": {"type": "object"}}}}}}},
                      "404": {"description": "Unknown call", **_ERR}, "401": {"description": "No or bad token", **_ERR}}}},
}
