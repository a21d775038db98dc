"""Call recordings in the console: play one through an authenticated, audited proxy, and
pause / resume the recording of a call in progress (call card and API).

``GET /console/recordings/<RecordingSid>.wav`` streams the media fetched server-side with the
account credentials (``core.telephony.recordings.open_media``): the browser never sees
Twilio's URL or credentials. H25: leads and admins may play any recording, an agent only those
of calls they took (403 otherwise), signed-out 401, unknown or deleted 404; every play is
audited (``recording_played``).

``POST /console/api/recording`` (the signed-in agent's current call, session + CSRF) and
``POST /api/calls/<call_sid>/recording`` (bearer token) with ``{"action": "pause"|"resume"}``:
409 when nothing is being recorded; the agent on the call, or a lead/admin.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import Response, current_app, jsonify, request, stream_with_context, url_for
from pydantic import Field
from sqlalchemy import select

from agent_console import lookups
from agent_console.blueprint import bp
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
from core.db import session
from core.models import Call, User
from core.telephony.gateway import GatewayError
from core.telephony.recordings import open_media
from core.web.auth import LEAD_ROLES, audit, current_console_user, login_required
from core.web.i18n import t
from ivr.calls import find_call
from ivr.recording import NoLiveRecording, set_paused
from ivr.recording_models import Recording

api_bp = api_blueprint("recording_api", __name__)


def may_play(user: User, call: Call | None) -> bool:
    """H25: leads and admins, or the agent who took the call."""
    return user.role in LEAD_ROLES or (call is not None and call.agent_id == user.id)


def _may_steer(user: User, call: Call) -> bool:
    return user.role in LEAD_ROLES or call.agent_id == user.id


@bp.get("/recordings/<recording_sid>.wav")
def play_recording(recording_sid: str):
    user = current_console_user()
    if user is None:
        return jsonify(error="sign in first"), 401
    s = session()
    rec = s.scalar(select(Recording).where(Recording.recording_sid == recording_sid[:64]))
    if rec is None or rec.deleted_at is not None or not rec.media_url:
        return jsonify(error=f"no recording {recording_sid[:64]!r}"), 404
    call = find_call(s, rec.call_sid)
    if not may_play(user, call):
        return jsonify(error="only leads, admins and the agent who took the call may play it"), 403
    media = open_media(current_app._get_current_object(), rec.media_url)  # type: ignore[attr-defined]
    if media.status != 200:
        return jsonify(error=f"the recording is not available (Twilio answered {media.status})"), 502
    audit(s, user.id, "recording_played", rec.recording_sid, call_sid=rec.call_sid)
    s.commit()
    return Response(stream_with_context(media.chunks), mimetype="audio/wav",
                    headers={"Cache-Control": "private, no-store"})


def _steer(call: Call | None, user: User, action: str) -> dict[str, Any]:
    """Pause or resume ``call``'s recording for ``user``; raises ApiError with the status."""
    if call is None:
        raise ApiError("call_sid: no such call", 404)
    if not _may_steer(user, call):
        raise ApiError("call_sid: only the agent on the call or a lead may do this", 403)
    s = session()
    try:
        rec = set_paused(s, current_app._get_current_object(), call, user, action == "pause")  # type: ignore[attr-defined]
    except NoLiveRecording:
        raise ApiError("action: no recording is in progress on this call", 409) from None
    except GatewayError as exc:
        raise ApiError(f"action: Twilio refused it ({exc})", 409) from None
    s.commit()
    return {"call_sid": call.call_sid, "recording_sid": rec.recording_sid, "status": rec.status}


@bp.post("/api/recording")
@login_required()
def api_recording():
    """The call card's pause/resume button (the signed-in agent's current call)."""
    data = request.get_json(silent=True)
    action = data.get("action") if isinstance(data, dict) else None
    if action not in ("pause", "resume"):
        return jsonify(error=t("操作:应为 pause 或 resume", "action: must be pause or resume")), 400
    user = current_console_user()
    assert user is not None
    _leg, call, _ringing = lookups.current_conversation(session(), user)
    try:
        return jsonify(_steer(call, user, action))
    except ApiError as exc:
        return jsonify(error=exc.message), exc.status


class RecordingPath(PathParams):
    call_sid: str = Field(min_length=1, max_length=64)


class RecordingAction(Body):
    action: Literal["pause", "resume"]


class RecordingReply(Reply):
    call_sid: str
    recording_sid: str
    status: str


@api_bp.post("/calls/<call_sid>/recording", responses=responses({200: RecordingReply}, 403, 404, 409))
@api_auth()
def post_recording(path: RecordingPath, body: RecordingAction):
    """Pause or resume the recording of a call in progress (e.g. while the caller reads out card
    details); audited. 409 when nothing is being recorded."""
    s = session()
    user = s.get(User, current_user().id)
    if user is None:
        raise ApiError("user not found", 404)
    return reply(RecordingReply, _steer(find_call(s, path.call_sid), user, body.action))


def playable_for(s: Any, call_id: int | None, user: User | None) -> list[dict[str, Any]]:
    """The recordings of the call ``call_id`` that ``user`` may play (for a call or case page):
    the proxy's address, length and channels — never Twilio's URL."""
    call = s.get(Call, call_id) if call_id else None
    if call is None or user is None or not may_play(user, call):
        return []
    rows = s.scalars(select(Recording).where(Recording.call_sid == call.call_sid, Recording.deleted_at.is_(None),
                                             Recording.status == "completed").order_by(Recording.id))
    return [{"sid": r.recording_sid, "url": url_for("console.play_recording", recording_sid=r.recording_sid),
             "duration_s": r.duration_s, "channels": r.channels,
             "started_at": r.started_at.isoformat() + "Z" if r.started_at else None,
             "offset_s": _offset_s(r.started_at, call.answered_at or call.started_at)} for r in rows]


def _offset_s(recording_start: datetime | None, call_start: datetime | None) -> float:
    """Seconds from the call's answer (what transcript times count from) to the recording's start."""
    if recording_start is None or call_start is None:
        return 0.0
    return round((recording_start - call_start).total_seconds(), 1)
