"""The transfer target's leg and the Twilio requests of a transfer (see ``transfer_flow``).

``leg_status`` runs for each status callback of the target's leg (``/ivr/transfer/status``):
the leg is a ``Call`` with ``purpose="transfer"`` whose ``parent_call_sid`` is the caller's call,
owned by the target (so the target's desk rings and shows the call card: caller, history,
transcript and the agent's notes, all kept on the caller's call). Answered: a warm transfer
consults, a cold one is complete (the caller comes off hold); either way the target's leg is
transcribed from then on (started by REST: the leg runs no TwiML of ours), so the live
transcript and the checks of the agent's phrasing go on with the target. Not answered in time, busy or
failed: H11's fallback (``fail``). Ended after the hand-over: the target wraps up and the room
ends (the caller hears the closing). ``apply`` makes a plan's REST requests after the commit.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from agent_console import lookups
from agent_console.transfer import manager_callback
from agent_console.transfer_flow import (
    QUEUE_PATH,
    SKILLS,
    UNAVAILABLE_PATH,
    Plan,
    current,
    presence_change,
    save_transfer,
)
from core.config import Settings
from core.db import session_scope, utcnow
from core.events import publish, status_event
from core.models import Call, Presence, User
from core.presence import announce
from core.telephony.gateway import GatewayError, get_gateway
from core.twiml import absolute_url
from ivr.bridge import end_room, room_name
from ivr.calls import FINAL_STATUSES, add_event

TRANSCRIPTION_PATH = "/ivr/transcription"


def _leg_row(s: Session, caller: Call, sid: str, target_id: int, status: str, to: str | None,
             duration: str) -> tuple[Call, str | None]:
    leg = lookups.call_by_sid(s, sid)
    previous = leg.status if leg is not None else None
    if leg is None:
        leg = Call(call_sid=sid, parent_call_sid=caller.call_sid, direction="outbound-api", purpose="transfer",
                   to_number=to, agent_id=target_id, status="ringing", started_at=utcnow())
        s.add(leg)
    if previous != status and (changed := status_event(sid, status, target_id)) is not None:
        publish(s, changed)
    leg.status = status
    now = utcnow()
    if status == "in-progress" and leg.answered_at is None:
        leg.answered_at = now
    if status in FINAL_STATUSES:
        leg.ended_at = leg.ended_at or now
        leg.duration_s = float(duration) if duration.isdigit() else (now - leg.started_at).total_seconds()
    return leg, previous


def leg_status(s: Session, settings: Settings, *, caller_sid: str, number: int, target_id: int, sid: str,
               status: str, to: str | None = None, duration: str = "") -> Plan | None:
    """One status callback of a target's leg; the plan to carry out after the commit."""
    caller = lookups.call_by_sid(s, caller_sid)
    target = s.get(User, target_id)
    if caller is None or target is None or not sid:
        return None
    status = "in-progress" if status == "answered" else status
    leg, previous = _leg_row(s, caller, sid, target_id, status, to, duration)
    transfer = current(caller)
    plan = Plan(caller.call_sid, caller.conference_sid or "", target=target.display_name or target.name)
    if transfer is None or transfer.get("n") != number or transfer.get("target_id") != target_id:
        return plan.add("hangup", call_sid=sid) if status not in FINAL_STATUSES else None  # a stale leg
    state = transfer.get("state")
    if not transfer.get("leg"):
        transfer["leg"] = sid
    if state in ("cancelled", "failed") and status not in FINAL_STATUSES:
        plan.add("hangup", call_sid=sid)  # cancelled before it was answered: stop the ringing
    elif state == "dialing" and status == "in-progress":
        _answered(s, caller, transfer, plan, target)
        locale = caller.locale if caller.locale in settings.voices else settings.company.default_locale
        plan.add("transcribe", call_sid=sid, url=absolute_url(settings, TRANSCRIPTION_PATH),
                 language=settings.voices[locale].gather_language)  # the live transcript goes on with the target
    elif state == "dialing" and status in FINAL_STATUSES:
        presence_change(s, plan, target, Presence.AWAY)  # like an agent who missed a call
        fail(s, settings, caller, transfer, plan, f"{target.name} did not answer ({status})")
    elif state in ("consult", "three_way") and status in FINAL_STATUSES:
        presence_change(s, plan, target, Presence.WRAP_UP)  # the target hung up before the hand-over
        over = caller.status in FINAL_STATUSES  # …or the caller did, and the room ended
        add_event(s, caller, "transfer_cancelled", to=transfer.get("to"), by=target.name,
                  why="the call ended" if over else "target hung up")
        transfer.update(state="cancelled", held=False)
        if not over:
            plan.add("unhold")
    elif state == "done" and status in FINAL_STATUSES and previous not in FINAL_STATUSES:
        if target.presence == Presence.BUSY:
            presence_change(s, plan, target, Presence.WRAP_UP)
        if caller.agent_id == target_id and caller.status not in FINAL_STATUSES:
            plan.add("end_room")  # the one who had the call hung up: the caller hears the closing
    save_transfer(caller, transfer)
    plan.state = str(transfer.get("state"))
    return plan


def _answered(s: Session, caller: Call, transfer: dict[str, Any], plan: Plan, target: User) -> None:
    if transfer.get("mode") == "warm":
        transfer["state"] = "consult"
        add_event(s, caller, "transfer_answered", to=transfer.get("to"), target=target.name)
        return
    transfer.update(state="done", held=False)  # cold: the call is the target's now
    caller.agent_id = target.id
    add_event(s, caller, "transfer_completed", mode="cold", to=transfer.get("to"), target=target.name)
    plan.add("unhold")


def fail(s: Session, settings: Settings, caller: Call, transfer: dict[str, Any], plan: Plan, why: str) -> None:
    """H11, never a dead end: the target did not answer (or could not be dialed). Warm: the caller
    is taken off hold, back with the agent. Cold: the agent is gone — the caller is told a
    manager will call back (lead) or goes to the front of the line (an agent). For the lead a
    manager call-back case is opened either way."""
    transfer.update(state="failed", held=False)
    add_event(s, caller, "transfer_failed", to=transfer.get("to"), why=why[:80])
    if transfer.get("kind") == "lead":
        case = manager_callback(s, settings, caller, transfer.get("by"), why[:80])
        plan.outcome, plan.case_ref = "callback", case.ref
    if caller.status in FINAL_STATUSES:
        pass  # the caller hung up meanwhile: nobody to bring back (the lead's case stays: H11)
    elif transfer.get("mode") == "warm":
        plan.add("unhold")
    elif transfer.get("kind") == "lead":
        plan.add("redirect", url=absolute_url(settings, UNAVAILABLE_PATH))
    else:
        skill = caller.menu_option if caller.menu_option in SKILLS else SKILLS[0]
        plan.add("redirect", url=absolute_url(settings, QUEUE_PATH, skill=skill))
    save_transfer(caller, transfer)


# -- after the commit --------------------------------------------------------------------------

def apply(app: Flask, plan: Plan) -> None:
    """Tell routing of presence changes, then make the plan's REST requests in order. Dialing the
    target failing is H11's fallback (``fail``); any other failure is logged (the call goes on)."""
    for user_id, state in plan.presence:
        announce(app, user_id, state)
    gateway = get_gateway(app)
    for name, args in plan.steps:
        try:
            _request(app, gateway, plan, name, args)
        except GatewayError as exc:
            app.logger.warning("call %s: transfer %s failed: %s", plan.call_sid, name, exc)
            if name == "dial":
                _dial_failed(app, plan, str(exc))
                return


def _request(app: Flask, gateway: Any, plan: Plan, name: str, args: dict[str, Any]) -> None:
    conference = plan.conference_sid
    if name == "hold":
        gateway.update_participant(conference, "caller", hold=True, hold_url=args["url"], hold_method="POST")
    elif name == "unhold":
        gateway.update_participant(conference, "caller", hold=False)
    elif name == "dial":
        gateway.add_participant(conference, args["to"], label=args["label"], status_callback=args["status_url"],
                                timeout=args["timeout"], early_media=False, beep="false",
                                end_conference_on_exit=False)
    elif name == "remove":
        gateway.remove_participant(conference, args["participant"])
    elif name == "hangup":
        gateway.end_call(args["call_sid"])
    elif name == "redirect":
        gateway.redirect_call(plan.call_sid, args["url"])
    elif name == "transcribe":
        gateway.start_transcription(args["call_sid"], args["url"], language_code=args["language"])
    elif name == "end_room":
        end_room(app, room_name(plan.call_sid))


def _dial_failed(app: Flask, plan: Plan, why: str) -> None:
    settings = app.config["HOTLINE"]
    with session_scope(app) as s:
        caller = lookups.call_by_sid(s, plan.call_sid)
        transfer = current(caller) if caller is not None else None
        if caller is None or transfer is None or transfer.get("state") != "dialing":
            return
        fallback = Plan(plan.call_sid, plan.conference_sid)
        target = s.get(User, transfer.get("target_id") or 0)
        if target is not None and target.presence == Presence.BUSY:
            presence_change(s, fallback, target, Presence.AVAILABLE)
        fail(s, settings, caller, transfer, fallback, f"transfer failed: {why}")
    apply(app, fallback)
