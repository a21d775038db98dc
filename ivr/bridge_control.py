"""The agent's controls on a bridged call: hold / resume the caller, mute / unmute the agent,
hang up. Each is checked (only the agent on the call or a lead/admin; the call must be live in
its room), audited and noted on the call's timeline in the caller's transaction; the Twilio
REST request (the Participants resource, or ending the room) runs after the commit
(``core.ops.defer``).

Hold: the caller's participant gets ``hold`` with ``holdUrl`` = ``/ivr/conference/hold``,
whose TwiML (``hold_twiml``) says the library's hold line and plays hold audio sized so the
line comes again within ``queue.reassure_every_s`` (H3 keeps its promise while on hold).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from core.config import Settings
from core.models import Call, Role, User
from core.telephony.gateway import GatewayError, get_gateway
from core.twiml import absolute_url
from core.web.auth import audit
from ivr import prompts, queue, twiml
from ivr.bridge import room_name
from ivr.calls import FINAL_STATUSES, add_event, find_call

ACTIONS = ("hold", "resume", "mute", "unmute", "hangup")
HOLD_PATH = "/ivr/conference/hold"
#: the library lines a caller on hold may hear (``?line=`` of the hold URL): the hold line, and
#: "please hold, I am putting you through…" while a transfer's target is dialed
HOLD_LINES = ("manager_hold", "manager_transfer")


class ControlRefused(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class Control:
    """What to ask Twilio once the audit is committed."""

    call_sid: str
    conference_sid: str
    action: str
    hold_url: str
    agent: str = "agent"  # the participant muted / unmuted (a label or CallSid)


def plan_control(s: Session, settings: Settings, user: User, call_sid: str, action: str) -> Control:
    """Check and note ``action`` on ``call_sid`` (commit, then ``apply_control``)."""
    if action not in ACTIONS:
        raise ControlRefused(f"action: one of {', '.join(ACTIONS)}", 400)
    call = find_call(s, call_sid)
    if call is None:
        raise ControlRefused(f"call_sid: no call {call_sid!r}", 404)
    if user.role not in (Role.LEAD, Role.ADMIN) and call.agent_id != user.id:
        raise ControlRefused("call_sid: only the agent on the call or a lead may control it", 403)
    if call.status in FINAL_STATUSES or not call.conference_sid:
        raise ControlRefused("call_sid: the call is not connected to an agent now", 409)
    audit(s, user.id, f"call_{action}", target=call.call_sid, conference_sid=call.conference_sid)
    add_event(s, call, "control", action=action, by=user.name)
    return Control(call.call_sid, call.conference_sid, action, absolute_url(settings, HOLD_PATH),
                   owner_participant(call))


def owner_participant(call: Call) -> str:
    """The participant of whoever has the call now: the answering agent's (label ``agent``), or
    after a transfer the target's leg (``Call.extra["transfer"]``, kept by the console)."""
    transfer = (call.extra or {}).get("transfer")
    if isinstance(transfer, dict) and transfer.get("state") == "done" and transfer.get("leg"):
        return str(transfer["leg"])
    return "agent"


def apply_control(app: Flask, control: Control) -> None:
    """The Participants REST request (hold/mute the caller's or agent's participant by label)
    or the end of the room; a failure is logged (the call goes on as it was)."""
    gateway = get_gateway(app)
    try:
        if control.action == "hangup":
            gateway.end_conference(room_name(control.call_sid))
        elif control.action in ("hold", "resume"):
            hold = control.action == "hold"
            changes = {"hold": hold, "hold_url": control.hold_url, "hold_method": "POST"} if hold else {"hold": False}
            gateway.update_participant(control.conference_sid, "caller", **changes)
        else:
            gateway.update_participant(control.conference_sid, control.agent, muted=control.action == "mute")
    except GatewayError as exc:
        app.logger.warning("call %s: %s failed: %s", control.call_sid, control.action, exc)


def hold_twiml(settings: Settings, locale: str, hold_url: str | None, hold_s: float | None,
               line: str = "manager_hold") -> VoiceResponse:
    """What a caller on hold hears, looped by Twilio: the library's hold line (``line``, one of
    ``HOLD_LINES``), then hold audio and/or a pause so the line comes again within
    ``queue.reassure_every_s`` (H3)."""
    text = prompts.text(settings, line if line in HOLD_LINES else "manager_hold", locale)
    plan = queue.wait_plan(settings, queue.speech_seconds(settings, text, locale), hold_s if hold_url else None)
    return twiml.wait_loop(settings, locale, text, action=hold_url or "", input_timeout=plan.input_timeout_s,
                           pause_s=plan.pause_s + plan.input_timeout_s, play_url=hold_url,
                           play_loops=plan.play_loops, listen=False)
