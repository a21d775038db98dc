"""The agent's controls on a bridged call: hold / resume the caller, mute / unmute the agent,
send keypad digits (DTMF) to the caller's leg, hang up. Each is checked (only the agent on the call or a lead/admin; the call must be live in
its room), audited and noted on the call's timeline in the caller's transaction; the Twilio
REST request (the Participants resource, or ending the room) runs after the commit
(``core.ops.defer``).

Hold: the caller's participant gets ``hold`` with ``holdUrl`` = ``/ivr/conference/hold``,
whose TwiML (``hold_twiml``) says the library's hold line and plays hold audio sized so the
line comes again within ``queue.reassure_every_s`` (H3 keeps its promise while on hold).

Digits: Twilio forwards no DTMF between conference participants; the documented way is an
announcement to one participant (the Participants resource's ``announceUrl``, whose TwiML may
hold ``<Play digits>``). The caller's participant gets ``announceUrl`` =
``/ivr/conference/digits?d=…`` and its leg plays the tones (``w`` = half a second's pause);
nobody else hears them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Flask
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from core.api import ApiError
from core.config import Settings
from core.models import Call, Role, User
from core.telephony.gateway import GatewayError, get_gateway
from core.twiml import absolute_url
from core.web.auth import audit
from ivr import prompts, queue, twiml
from ivr.bridge import room_name
from ivr.calls import FINAL_STATUSES, add_event, find_call

ACTIONS = ("hold", "resume", "mute", "unmute", "hangup", "digits")
HOLD_PATH = "/ivr/conference/hold"
DIGITS_PATH = "/ivr/conference/digits"
MAX_DIGITS = 32  # keypad presses in one request (an extension, a PIN, a menu path)
DIGITS_PATTERN = rf"^[0-9*#w]{{1,{MAX_DIGITS}}}$"
#: the library lines a caller on hold may hear (``?line=`` of the hold URL): the hold line, and
#: "please hold, I am putting you through…" while a transfer's target is dialed
HOLD_LINES = ("manager_hold", "manager_transfer")


class ControlRefused(ApiError):
    """A control the call or the user does not allow (``message`` names the field, ``status``)."""


@dataclass(frozen=True)
class Control:
    """What to ask Twilio once the audit is committed."""

    call_sid: str
    conference_sid: str
    action: str
    hold_url: str
    announce_url: str = ""  # digits: the TwiML that plays them to the caller's leg
    agent: str = "agent"  # the participant muted / unmuted (a label or CallSid)


def valid_digits(digits: object) -> str | None:
    """``digits`` when they are keypad presses Twilio can play (0-9 * # and w), else None."""
    return digits if isinstance(digits, str) and re.fullmatch(DIGITS_PATTERN, digits) else None


def plan_control(s: Session, settings: Settings, user: User, call_sid: str, action: str,
                 digits: object = None) -> Control:
    """Check and note ``action`` on ``call_sid`` (commit, then ``apply_control``)."""
    if action not in ACTIONS:
        raise ControlRefused(f"action: one of {', '.join(ACTIONS)}", 400)
    announce_url = ""
    if action == "digits":
        keys = valid_digits(digits)
        if keys is None:
            raise ControlRefused(f"digits: 1 to {MAX_DIGITS} of 0-9 * # w", 422)
        announce_url = absolute_url(settings, DIGITS_PATH) + "?" + urlencode({"d": keys})
    call = find_call(s, call_sid)
    if call is None:
        raise ControlRefused(f"call_sid: no call {call_sid!r}", 404)
    if user.role not in (Role.LEAD, Role.ADMIN) and call.agent_id != user.id:
        raise ControlRefused("call_sid: only the agent on the call or a lead may control it", 403)
    if call.status in FINAL_STATUSES or not call.conference_sid:
        raise ControlRefused("call_sid: the call is not connected to an agent now", 409)
    more = {"digits": len(valid_digits(digits) or "")} if action == "digits" else {}  # how many, not which
    audit(s, user.id, f"call_{action}", target=call.call_sid, conference_sid=call.conference_sid, **more)
    add_event(s, call, "control", action=action, by=user.name, **more)
    return Control(call.call_sid, call.conference_sid, action, absolute_url(settings, HOLD_PATH), announce_url,
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
        elif control.action == "digits":
            gateway.update_participant(control.conference_sid, "caller", announce_url=control.announce_url,
                                       announce_method="POST")
        else:
            gateway.update_participant(control.conference_sid, control.agent, muted=control.action == "mute")
    except GatewayError as exc:
        app.logger.warning("call %s: %s failed: %s", control.call_sid, control.action, exc)


def digits_twiml(digits: str) -> VoiceResponse:
    """The announcement that sends keypad tones down the caller's leg (empty if not digits)."""
    response = VoiceResponse()
    keys = valid_digits(digits)
    if keys:
        response.play(digits=keys)
    return response


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
