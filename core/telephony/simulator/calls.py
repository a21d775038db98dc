"""The REST side of calls: create (with validation and 1-CPS pacing) and update.

Validation follows Twilio's errors: 21211 invalid 'To' (not E.164, not ``client:name``),
21212 invalid 'From', 21205 missing/invalid ``Url``, 21626 bad ``StatusCallbackEvent``,
21220 updating a call that has ended. ``Timeout`` defaults to 60 s, at most 600.
Pacing: calls leave the account's queue at ``calls_per_second`` (Twilio's default 1 CPS);
until then they are ``queued``. Each create's virtual time is kept (``sim.created_calls()``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from . import bridge, conference, dial, queues
from .legs import initiate
from .lifecycle import hangup, new_leg, timer
from .records import Behaviour, Leg, Party, QueueState
from .signals import Doc
from .twiml import run_call

if TYPE_CHECKING:
    from .engine import Simulator

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
CLIENT = re.compile(r"^client:[A-Za-z0-9_.@-]{1,256}$")
STATUS_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})


class RestError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def valid_address(value: str) -> bool:
    return bool(E164.match(value) or CLIENT.match(value))


def create_call(sim: Simulator, form: Any) -> Leg:
    to, from_ = (form.get("To") or "").strip(), (form.get("From") or "").strip()
    if not valid_address(to):
        raise RestError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if not valid_address(from_):
        raise RestError(400, 21212, f"The 'From' number {from_} is not a valid phone number, "
                                    "shortcode, or alphanumeric sender ID.")
    url, twiml = form.get("Url"), form.get("Twiml")
    if not url and not twiml:
        raise RestError(400, 21205, "A 'Url' or 'Twiml' parameter is required.")
    if url and not re.match(r"^https?://[^/\s]+", url):
        raise RestError(400, 21205, f"Url is not a valid URL: {url}")
    events: set[str] = set()
    for item in form.getlist("StatusCallbackEvent"):
        events.update(item.split())
    if events - STATUS_EVENTS:
        raise RestError(400, 21626, "One or more of the StatusCallbackEvents provided were invalid.")
    detection = form.get("MachineDetection")
    if detection and detection not in ("Enable", "DetectMessageEnd"):
        raise RestError(400, 21626, f"MachineDetection must be Enable or DetectMessageEnd, not {detection}")
    try:
        timeout = min(600.0, max(1.0, float(form.get("Timeout") or 60)))
    except ValueError:
        raise RestError(400, 21215, "Timeout must be an integer.") from None
    leg = new_leg(sim, from_, to, "outbound-api", Party(sim.behaviours.get(to) or Behaviour()))
    leg.url, leg.twiml = url, twiml
    leg.method = (form.get("Method") or "POST").upper()
    leg.status_callback, leg.status_events = form.get("StatusCallback"), events
    leg.status_method = (form.get("StatusCallbackMethod") or "POST").upper()
    leg.timeout_s = timeout
    if detection:
        leg.amd = {"MachineDetection": detection,
                   "MachineDetectionTimeout": form.get("MachineDetectionTimeout") or "30",
                   "AsyncAmd": (form.get("AsyncAmd") or "false").lower(),
                   "AsyncAmdStatusCallback": form.get("AsyncAmdStatusCallback") or "",
                   "AsyncAmdStatusCallbackMethod": (form.get("AsyncAmdStatusCallbackMethod") or "POST")}
    sim.record(leg, "status", status="queued")
    # Twilio's pacing: at most calls_per_second calls leave the account's queue per second.
    start_t = max(sim.now, sim.next_start_t)
    sim.next_start_t = start_t + 1.0 / sim.calls_per_second
    sim.creates.append({"sid": leg.sid, "created_at": sim.now})
    timer(sim, leg, start_t - sim.now, lambda: initiate(sim, leg), "initiate")
    return leg


def update_call(sim: Simulator, leg: Leg, form: Any) -> None:
    """``Calls/{Sid}`` POST: ``Status=completed|canceled``, or new ``Url``/``Twiml``.

    Assumption: ``completed`` on a call that is not answered yet cancels it."""
    status, url, twiml = form.get("Status"), form.get("Url"), form.get("Twiml")
    if leg.ended:
        raise RestError(400, 21220, "Call is not in-progress. Cannot redirect.")
    if status:
        if status not in ("completed", "canceled"):
            raise RestError(400, 21218, f"Invalid Status {status}: use completed or canceled.")
        if status == "completed" or not leg.answered:
            hangup(sim, leg, by="api")
        return
    if not url and not twiml:
        raise RestError(400, 21205, "A 'Url', 'Twiml' or 'Status' parameter is required.")
    method = (form.get("Method") or "POST").upper()
    if not leg.answered:
        leg.url, leg.twiml, leg.method = url, twiml, method
        return
    redirect_call(sim, leg, Doc(url, method) if url else None, twiml)


def redirect_call(sim: Simulator, leg: Leg, doc: Doc | None, twiml: str | None) -> None:
    """The call leaves whatever it was doing (queue, conference, Dial, bridge) and runs new TwiML."""
    queues.redirected(sim, leg)
    conference.leave(sim, leg)
    dial.abandon(sim, leg)
    leg.record_ctx = None
    if leg.bridged_with:
        peer = sim.legs[leg.bridged_with]
        bridge.unbridge(sim, leg, peer, "redirected", notify=(peer,))
    sim.record(leg, "redirect", url=doc.url if doc else None, twiml=twiml, by="api")
    sim.start_program(leg, run_call(sim, leg, doc, twiml))


def dequeue_member(sim: Simulator, q: QueueState, leg: Leg, url: str, method: str) -> None:
    """REST ``Members/{CallSid}`` update: the member leaves the queue and runs ``url``."""
    redirect_call(sim, leg, Doc(url, method), None)
