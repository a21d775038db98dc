"""Transfer endpoints: ``POST /api/calls/<call_sid>/transfer`` (bearer token), the call card's
``POST /console/api/transfer`` (the signed-in agent's current call) and the one-click manager
request ``request_manager`` (H11).

The body is ``{"mode": "warm"|"cold", "to": "lead"|"agent:<id>"|"skill:<name>"}`` to start, then
``{"action": "join"|"complete"|"cancel"}`` for a warm transfer's next steps. Only the agent on the
call or a lead may transfer (403); a target that cannot be is 422; a call not connected to an
agent, a transfer already in progress or an agent who is not free is 409. Each step is
committed (audit, timeline) before Twilio is asked (``core.ops.defer``).
"""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

from flask import Flask, current_app, jsonify, request
from pydantic import Field

from agent_console import lookups, transfer_flow, transfer_legs
from agent_console.blueprint import bp
from agent_console.transfer import Outcome, TransferError, manager_callback, s7_line
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
from core.models import User
from core.ops import defer
from core.web.auth import current_console_user, login_required
from core.web.i18n import t
from ivr.api import CallPath

api_bp = api_blueprint("transfer_api", __name__)


class TransferIn(Body):
    """Start (``mode`` and ``to``), or ``join`` / ``complete`` / ``cancel`` a warm transfer."""

    action: Literal["start", "join", "complete", "cancel"] = "start"
    mode: Literal["warm", "cold"] | None = None
    to: str | None = Field(None, min_length=1, max_length=40)


class TransferReply(Reply):
    call_sid: str
    state: str  # dialing | consult | three_way | done | cancelled | failed
    outcome: str  # transfer | callback (H11: the lead could not take it; a manager call-back case)
    target: str | None = None
    case_ref: str | None = None


def run(app: Flask, user: User, call_sid: str, data: dict[str, Any]) -> transfer_flow.Plan:
    """Check, note and commit one transfer request; Twilio is asked after the answer."""
    action = data.get("action") or "start"
    s, settings = session(), app.config["HOTLINE"]
    me = s.get(User, user.id)
    assert me is not None
    try:
        if action == "start":
            mode, to = data.get("mode"), data.get("to")
            if not isinstance(mode, str) or not isinstance(to, str) or not to:
                raise transfer_flow.TransferRefused("to: give mode (warm|cold) and to", 422)
            plan = transfer_flow.start(s, settings, me, call_sid, mode, to.strip()[:40])
        else:
            plan = transfer_flow.step(s, settings, me, call_sid, str(action)[:10])
    except transfer_flow.TransferRefused:
        s.rollback()  # nothing half-written
        raise
    s.commit()
    defer(app, partial(transfer_legs.apply, plan=plan))
    return plan


@api_bp.post("/calls/<call_sid>/transfer", responses=responses({200: TransferReply}, 403, 404, 409, 422))
@api_auth()
def post_transfer(path: CallPath, body: TransferIn):
    """Transfer a call connected to an agent: warm (consult, three-way, hand over) or cold, to
    another agent, the lead (H11: never a dead end) or a queue (back in line at the front)."""
    # a TransferRefused (rolled back by ``run``) answers its status with the error
    plan = run(current_app._get_current_object(), current_user(), path.call_sid,  # type: ignore[attr-defined]
               body.model_dump())
    return reply(TransferReply, plan.as_dict())


@bp.post("/api/transfer")
@login_required()
def api_transfer():
    """The call card's Transfer button (the signed-in agent's current call)."""
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}
    if data.get("action", "start") not in transfer_flow.ACTIONS:
        return jsonify(error="action: one of start, join, complete, cancel"), 400
    user = current_console_user()
    assert user is not None
    _leg, call, _ringing = lookups.current_conversation(session(), user)
    if call is None:
        return jsonify(error=t("通话:没有进行中的电话", "call: you are not on a call")), 409
    try:
        plan = run(current_app._get_current_object(), user, call.call_sid, data)  # type: ignore[attr-defined]
    except transfer_flow.TransferRefused as exc:
        return jsonify(error=exc.message), exc.status
    return jsonify(plan.as_dict())


def request_manager(app: Flask, user_id: int) -> Outcome:
    """The agent's one click (H11): a cold transfer to the available lead; no lead free, or the
    call already over → a manager call-back case. Never a dead end."""
    settings, s = app.config["HOTLINE"], session()
    user = s.get(User, user_id)
    assert user is not None
    _leg, call, ringing = lookups.current_conversation(s, user)
    if call is None:
        raise TransferError("call: there is no call on your desk")
    locale = call.locale or settings.company.default_locale
    call_sid = call.call_sid
    if call.ended_at is not None or call.status in lookups.FINAL or ringing or not call.conference_sid:
        case = manager_callback(s, settings, call, user.id, "after the call")
        s.commit()
        return Outcome("callback", case_ref=case.ref, say=s7_line(locale, transfer=False))
    try:
        plan = run(app, user, call_sid, {"mode": "cold", "to": "lead"})
    except transfer_flow.TransferRefused as exc:
        raise TransferError(exc.message) from None
    if plan.outcome == "callback":
        return Outcome("callback", case_ref=plan.case_ref, say=s7_line(locale, transfer=False))
    return Outcome("transfer", lead=plan.target, say=s7_line(locale, transfer=True))
