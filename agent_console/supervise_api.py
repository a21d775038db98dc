"""``POST /api/calls/<call_sid>/supervise``: a lead listens, whispers, barges in or leaves
(bearer tokens, typed models, JSON errors; ``agent_console.supervise``)."""

from __future__ import annotations

from functools import partial

from flask import current_app
from pydantic import Field

from agent_console import supervise
from core.api import (
    Body,
    Reply,
    api_auth,
    api_blueprint,
    current_user,
    reply,
    responses,
)
from core.db import session
from core.ops import defer
from core.web.auth import LEAD_ROLES
from ivr.api import CallPath

bp = api_blueprint("console_api_supervise", __name__)


class SuperviseIn(Body):
    """``listen`` (muted), ``whisper`` (coaching: only the agent hears), ``barge`` (everyone
    hears) or ``leave``; another word is a 422."""

    mode: str = Field(min_length=1, max_length=20, examples=list(supervise.MODES))


class SuperviseReply(Reply):
    """``action``: what Twilio is asked right after this answer — ``add`` (dial the lead in),
    ``update`` (change the lead's participant), ``remove`` or ``hang_up`` (a leg still ringing)."""

    call_sid: str
    mode: str
    action: str
    conference_sid: str


@bp.post("/calls/<call_sid>/supervise", responses=responses({200: SuperviseReply}, 403, 404, 409, 422))
@api_auth(roles=LEAD_ROLES)
def post_call_supervise(path: CallPath, body: SuperviseIn):
    """A lead or admin supervises the agent's live call: the lead's phone is dialed into the
    call's conference (listen: muted; whisper: coaching the agent; barge: heard by all) or its
    mode changed, or the lead leaves (the call goes on). Audited; 409 when the agent is no longer
    on the call, another lead supervises it, or the lead is not in it (leave)."""
    s = session()
    # a SuperviseRefused answers its status with the error
    plan = supervise.plan(s, current_app.config["HOTLINE"], current_user(), path.call_sid, body.mode)
    s.commit()
    defer(current_app._get_current_object(), partial(supervise.apply, supervision=plan))  # type: ignore[attr-defined]
    return reply(SuperviseReply, {"call_sid": plan.call_sid, "mode": plan.mode, "action": plan.action,
                                  "conference_sid": plan.conference_sid})
