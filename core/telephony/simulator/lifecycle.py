"""A leg's status, its status callbacks, and its end (hang-up, program over, clean-up).

The bottom of the call machinery: everything above may import it, it imports none of
them. What the higher modules must undo when a leg ends (its place in a queue, its
Dial, a recording in progress, a bridge and its transcriptions) they register in
``sim.leg_end_hooks`` (see ``wiring.py``); ``finish`` runs those hooks in order.
All functions here run with ``sim.lock`` held and only change state and schedule events.

Assumptions (Twilio does not document these): the ``initiated`` status callback carries
``CallStatus=initiated``; a ringing leg the party hangs up on (declines) ends ``busy``;
one canceled through the API ends ``canceled``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .records import FINAL_STATUSES, Leg, Party, new_sid, rfc2822, wall
from .signals import ChildEnded

if TYPE_CHECKING:
    from .engine import Simulator


def new_leg(sim: Simulator, from_: str, to: str, direction: str, party: Party,
            parent: Leg | None = None) -> Leg:
    leg = Leg(sid=new_sid("CA"), account_sid=sim.account_sid, from_=from_, to=to, direction=direction,
              created_t=sim.now, created_at=wall(sim.start_time, sim.now), party=party,
              parent_sid=parent.sid if parent else None)
    sim.legs[leg.sid] = leg
    return leg


def timer(sim: Simulator, leg: Leg, delay: float, fn: Any, label: str) -> None:
    def run() -> None:
        with sim.lock:
            if not leg.ended:
                fn()

    leg.timers.append(sim.schedule(delay, run, f"{leg.sid} {label}"))


# -- status and callbacks --------------------------------------------------------------
def set_status(sim: Simulator, leg: Leg, status: str) -> None:
    leg.status = status
    sim.record(leg, "status", status=status)
    event = {"ringing": "ringing", "in-progress": "answered"}.get(status)
    if status in FINAL_STATUSES:
        event = "completed"
    if event:
        status_callback(sim, leg, event)


def status_callback(sim: Simulator, leg: Leg, event: str) -> None:
    if not leg.status_callback or (event != "completed" and event not in leg.status_events):
        return
    params = sim.base_params(leg)
    params.update({"CallbackSource": "call-progress-events", "SequenceNumber": str(leg.sequence),
                   "Timestamp": rfc2822(wall(sim.start_time, sim.now))})
    leg.sequence += 1
    if event == "initiated":
        params["CallStatus"] = "initiated"
    if event == "completed":
        params["CallDuration"] = str(leg.duration(sim.now))
        params["Duration"] = str((leg.duration(sim.now) + 59) // 60)
    if leg.amd and leg.answered_by:
        params["AnsweredBy"] = leg.answered_by
    sim.fire(leg, leg.status_callback, params, leg.status_method, kind="status")


# -- the end ---------------------------------------------------------------------------------
def end_unanswered(sim: Simulator, leg: Leg, status: str) -> None:
    finish(sim, leg, status)


def hangup(sim: Simulator, leg: Leg, by: str) -> None:
    """The party (``by="party"``) or the API (``"api"``) ends the leg."""
    if leg.ended:
        return
    sim.record(leg, "hangup", by=by)
    if leg.answered:
        finish(sim, leg, "completed")
    else:
        finish(sim, leg, "busy" if by == "party" and leg.direction != "inbound" else "canceled")


def program_finished(sim: Simulator, leg: Leg) -> None:
    """The leg's TwiML ran out (or hung up, rejected, failed): Twilio ends the call."""
    if leg.ended:
        return
    last = leg.timeline[-1]["verb"] if leg.timeline else ""
    if last not in ("hangup", "reject"):
        sim.record(leg, "hangup", by="twilio")
    finish(sim, leg, getattr(leg, "end_status", None) or "completed")


def finish(sim: Simulator, leg: Leg, status: str) -> None:
    if leg.ended:
        return
    sim.stop_program(leg)
    for pending_timer in leg.timers:
        pending_timer.cancel()
    leg.timers.clear()
    leg.end_t = sim.now
    final_params_status = status
    leg.status = final_params_status  # callbacks fired below see the final status
    for on_end in sim.leg_end_hooks:  # leave the queue, the Dial, the recording, the bridge
        on_end(sim, leg)
    if leg.direction == "outbound-dial" and not leg.answered:
        parent = sim.legs.get(leg.parent_sid or "")
        if parent is not None:
            sim.interrupt(parent, ChildEnded(leg.sid, status))
    set_status(sim, leg, status)
