"""Warm and cold transfer on the call's conference (H11: never a dead end).

The caller and the agent are in the room ``call-<caller CallSid>`` (``ivr.bridge``). A transfer
is kept on the caller's call (``Call.extra["transfer"]``) and each step on its timeline
(``transfer_*`` events) and in the audit log:

- **warm** to an agent or the lead: the caller is put on hold (the hold line and audio, H3), the
  target is dialed into the same room (Participants create, label ``lead-<id>`` or
  ``agent-<id>``: a label must be unique among a conference's participants, and a lead may
  be listening in already) and the two talk; ``join`` takes the
  caller off hold (three-way); ``complete`` hands the call over: the target owns it, the first
  agent's participant is removed and the agent goes to wrap-up; ``cancel`` hangs up the
  target's leg and takes the caller off hold, back with the agent.
- **cold** to an agent or the lead: the caller hears the library's transfer line on hold, the
  target is dialed and the agent leaves at once (wrap-up); when the target answers the caller
  is taken off hold. **cold** to a skill: the caller leaves the room for the line, at the front
  (``ivr.requeue``).
- **never a dead end**: a lead who is not free, or a target who does not answer within
  ``routing.transfer_answer_timeout_s`` (or whose dialing fails): the caller is back with the
  agent (warm) — for the lead a manager call-back case is opened as well; after a cold
  transfer the caller is told a manager will call back (lead) or goes to the front of the line.

Each function checks and notes in the caller's transaction and returns a ``Plan``: the Twilio
REST requests to make once it is committed (``transfer_apply.apply``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from agent_console.transfer import available_lead, manager_callback
from agent_console.transfer_view import transfer_of
from core.api import ApiError
from core.config import Settings
from core.db import utcnow
from core.events import CallAnswered, publish
from core.models import Call, Presence, Role, User
from core.presence import set_presence
from core.twiml import absolute_url
from core.web.auth import audit
from ivr.bridge import hand_over
from ivr.bridge_control import HOLD_PATH
from ivr.calls import FINAL_STATUSES, add_event, find_call
from ivr.models import Offer, OfferStatus
from ivr.requeue import SKILLS

MODES = ("warm", "cold")
ACTIONS = ("start", "join", "complete", "cancel")
LIVE = ("dialing", "consult", "three_way")  # a transfer in progress
STATUS_PATH = "/ivr/transfer/status"
UNAVAILABLE_PATH = "/ivr/transfer/unavailable"
QUEUE_PATH = "/ivr/transfer/queue"


class TransferRefused(ApiError):
    """A transfer the call or the user does not allow (``message`` names the field, ``status``)."""

    def __init__(self, message: str, status: int, field: str = "to") -> None:
        super().__init__(message, status)
        self.field = field


@dataclass
class Plan:
    """What to ask Twilio (in order) after the commit, and what to tell routing and the agent."""

    call_sid: str
    conference_sid: str = ""
    steps: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    presence: list[tuple[int, str]] = field(default_factory=list)
    state: str = ""
    outcome: str = "transfer"  # "transfer" | "callback"
    target: str | None = None
    case_ref: str | None = None

    def add(self, step: str, **args: Any) -> Plan:
        self.steps.append((step, args))
        return self

    def as_dict(self) -> dict[str, Any]:
        return {"call_sid": self.call_sid, "state": self.state, "outcome": self.outcome, "target": self.target,
                "case_ref": self.case_ref}


current = transfer_of  # the call's transfer (a copy: change it, then ``save_transfer``)


def save_transfer(call: Call, transfer: dict[str, Any]) -> None:
    """Keep the transfer on the call; the desks of everyone on it redraw after the commit."""
    call.extra = {**(call.extra or {}), "transfer": transfer}  # a new dict: the JSON column sees the change
    s = object_session(call)
    if s is not None:  # who is on the call changed: the agent's, the target's and the leads' pages
        publish(s, CallAnswered(call_sid=call.call_sid, agent_id=call.agent_id))


def presence_change(s: Session, plan: Plan, user: User | None, state: str) -> None:
    if user is not None and set_presence(s, user, state):
        plan.presence.append((user.id, state))


def _hold_url(settings: Settings, line: str) -> str:
    return absolute_url(settings, HOLD_PATH, line=line)


# -- checks ------------------------------------------------------------------------------------

def _call_for(s: Session, user: User, call_sid: str) -> Call:
    call = find_call(s, call_sid)
    if call is None:
        raise TransferRefused(f"call_sid: no call {call_sid!r}", 404, "call_sid")
    if user.role not in (Role.LEAD, Role.ADMIN) and call.agent_id != user.id:
        raise TransferRefused("call_sid: only the agent on the call or a lead may transfer it", 403, "call_sid")
    if call.status in FINAL_STATUSES or call.ended_at is not None or not call.conference_sid:
        raise TransferRefused("call_sid: the call is not connected to an agent now", 409, "call_sid")
    return call


def _target(s: Session, user: User, mode: str, to: str) -> tuple[str, User | None, str | None]:
    """("lead"|"agent"|"skill", the user, the skill); 422 for a target that cannot be."""
    if to == "lead":
        return "lead", None, None
    kind, _, value = to.partition(":")
    if kind == "skill" and value in SKILLS:
        if mode != "cold":
            raise TransferRefused("to: a queue takes only a cold transfer", 422)
        return "skill", None, value
    if kind == "agent" and value.isdigit():
        agent = s.get(User, int(value))
        if agent is not None and agent.active and agent.endpoint and agent.id != user.id \
                and agent.role in (Role.AGENT, Role.LEAD):
            return "agent", agent, None
    raise TransferRefused(f"to: one of lead, agent:<id> (another agent), skill:<{'|'.join(SKILLS)}>", 422)


# -- start -------------------------------------------------------------------------------------

def start(s: Session, settings: Settings, user: User, call_sid: str, mode: str, to: str) -> Plan:
    """Check and begin a transfer of ``call_sid`` (``mode`` warm/cold, ``to`` lead/agent:<id>/skill:<name>)."""
    if mode not in MODES:
        raise TransferRefused("mode: warm or cold", 422, "mode")
    call = _call_for(s, user, call_sid)
    kind, target, skill = _target(s, user, mode, to)
    transfer = current(call)
    if transfer is not None and transfer.get("state") in LIVE:
        raise TransferRefused("call_sid: a transfer of this call is in progress", 409, "call_sid")
    plan = Plan(call.call_sid, call.conference_sid or "")
    now = utcnow()
    if kind == "lead":
        target = available_lead(s, exclude=user.id)
        if target is None:  # H11: nobody to take it now, a manager call-back instead
            case = manager_callback(s, settings, call, user.id, "no lead available")
            plan.outcome, plan.case_ref, plan.state = "callback", case.ref, "failed"
            return plan
    elif kind == "agent" and (target is None or target.presence != Presence.AVAILABLE):
        raise TransferRefused(f"to: {to} is not free now", 409)
    number = ((transfer or {}).get("n") or 0) + 1
    from_leg = _owner_leg(s, call)
    audit(s, user.id, "manager_transfer" if kind == "lead" else "call_transfer", target=call.call_sid,
          mode=mode, to=to, lead=target.name if kind == "lead" and target else None)
    record: dict[str, Any] = {"n": number, "mode": mode, "to": to, "kind": kind, "by": user.id,
                              "from_id": call.agent_id, "from_leg": from_leg, "leg": None, "held": False}
    if kind == "skill":
        _give_up_call(s, call, record, plan, now)
        record["state"] = "done"
        save_transfer(call, record)
        add_event(s, call, "transfer_completed", mode=mode, to=to, by=user.name)
        plan.state, plan.target = "done", to
        return plan.add("redirect", url=absolute_url(settings, QUEUE_PATH, skill=skill))
    assert target is not None
    presence_change(s, plan, target, Presence.BUSY)  # reserved: routing offers them nothing else meanwhile
    label = f"{'lead' if kind == 'lead' else 'agent'}-{target.id}"  # unique in the room (Twilio 16025/16026)
    record.update(target_id=target.id, target=target.display_name or target.name, label=label, state="dialing",
                  held=True)
    line = "manager_transfer" if kind == "lead" and mode == "cold" else "manager_hold"
    plan.add("hold", url=_hold_url(settings, line))
    plan.add("dial", to=target.endpoint, label=label, timeout=settings.routing.transfer_answer_timeout_s,
             status_url=absolute_url(settings, STATUS_PATH, call=call.call_sid, n=number, target=target.id))
    if mode == "cold":
        _give_up_call(s, call, record, plan, now)
    save_transfer(call, record)
    add_event(s, call, "transfer_started", mode=mode, to=to, target=record["target"], by=user.name)
    plan.state, plan.target = "dialing", record["target"]
    return plan


def _owner_leg(s: Session, call: Call) -> str | None:
    """The leg of the one who has the call now: the answering agent's, or a transfer target's."""
    transfer = current(call)
    if transfer is not None and transfer.get("state") == "done" and transfer.get("leg") \
            and transfer.get("target_id") == call.agent_id:
        return str(transfer["leg"])
    offer = s.scalar(select(Offer).where(Offer.caller_call_sid == call.call_sid, Offer.status == OfferStatus.BRIDGED)
                     .order_by(Offer.id.desc()).limit(1))
    return offer.agent_call_sid if offer is not None else None


def _give_up_call(s: Session, call: Call, record: dict[str, Any], plan: Plan, now: Any) -> None:
    """The first agent leaves: the call is handed over (wrap-up; the room lives on) and the
    agent's participant is removed after the commit."""
    offer = hand_over(s, call, now)
    if offer is not None:
        plan.presence.append((offer.agent_id, Presence.WRAP_UP))
    elif record.get("from_id"):  # the one leaving got the call by an earlier transfer
        presence_change(s, plan, s.get(User, record["from_id"]), Presence.WRAP_UP)
    if record.get("from_leg"):
        plan.add("remove", participant=record["from_leg"])


# -- the agent's next steps: join, complete, cancel ---------------------------------------------

def step(s: Session, settings: Settings, user: User, call_sid: str, action: str) -> Plan:
    """``join`` (three-way), ``complete`` (hand over, the agent leaves) or ``cancel`` a warm transfer."""
    if action not in ACTIONS[1:]:
        raise TransferRefused("action: one of start, join, complete, cancel", 422, "action")
    call = _call_for(s, user, call_sid)
    transfer = current(call)
    if transfer is None or transfer.get("state") not in LIVE:
        raise TransferRefused("call_sid: no transfer of this call is in progress", 409, "call_sid")
    if transfer.get("mode") != "warm":
        raise TransferRefused("action: a cold transfer has nothing to join, complete or cancel", 409, "action")
    plan = Plan(call.call_sid, call.conference_sid or "", target=transfer.get("target"))
    if action == "cancel":
        target = s.get(User, transfer.get("target_id") or 0)
        if target is not None and target.presence == Presence.BUSY:
            presence_change(s, plan, target, Presence.AVAILABLE)
        if transfer.get("leg"):
            plan.add("hangup", call_sid=transfer["leg"])
        plan.add("unhold")
        transfer.update(state="cancelled", held=False)
    elif transfer.get("state") == "dialing":
        raise TransferRefused(f"action: {transfer.get('target')} has not answered yet", 409, "action")
    elif action == "join":
        plan.add("unhold")
        transfer.update(state="three_way", held=False)
    else:
        if transfer.get("held"):
            plan.add("unhold")
        _give_up_call(s, call, transfer, plan, utcnow())
        call.agent_id = transfer.get("target_id")
        transfer.update(state="done", held=False)
    save_transfer(call, transfer)
    event = {"join": "transfer_three_way", "complete": "transfer_completed", "cancel": "transfer_cancelled"}[action]
    add_event(s, call, event, to=transfer.get("to"), by=user.name)
    audit(s, user.id, f"call_transfer_{action}", target=call.call_sid, to=transfer.get("to"))
    plan.state = str(transfer["state"])
    return plan
