"""A leg's start: placed or created, ringing, answered (with AMD), its TwiML program begun.

Status changes, status callbacks and the end of a leg are in ``lifecycle.py``. All functions here run with ``sim.lock`` held and only change state and schedule events.

Assumptions (Twilio does not document these timings): a busy or failed destination is
reported ``RING_FAIL_S`` after dialing starts, without a ``ringing`` event; answering
machine detection decides ``human`` after ``AMD_HUMAN_S`` and ``machine_start`` after
``AMD_MACHINE_S``; with ``DetectMessageEnd`` a machine is reported at the end of its
greeting (``Behaviour.machine_greeting_s``) plus ``AMD_END_S``; past
``MachineDetectionTimeout`` the answer is ``unknown``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .bridge import schedule_utterances
from .lifecycle import end_unanswered, hangup, new_leg, set_status, status_callback, timer
from .records import CallerScript, Leg, Party
from .signals import Bridged, ChildAnswered, Doc, Sleep, Unbridged, expecting
from .twiml import run_call

if TYPE_CHECKING:
    from .engine import Simulator

RING_FAIL_S = 1.0
AMD_HUMAN_S = 2.5
AMD_MACHINE_S = 4.0
AMD_END_S = 0.5


# -- inbound -----------------------------------------------------------------------------
def place_inbound(sim: Simulator, from_: str, to: str, script: CallerScript, *,
                  forwarded_from: str | None, caller_name: str | None) -> str:
    number = sim.numbers.get(to)
    if number is None:
        raise ValueError(f"{to} is not a registered number (sim.register_number)")
    leg = new_leg(sim, from_, to, "inbound", Party(script))
    leg.forwarded_from, leg.caller_name = forwarded_from, caller_name
    leg.url, leg.method = number["voice_url"], str(number["voice_method"])
    leg.status_callback, leg.status_events = number["status_callback"], {"completed"}
    leg.initiated_t = sim.now
    set_status(sim, leg, "ringing")
    if script.hangup_after_s is not None:
        timer(sim, leg, script.hangup_after_s, lambda: hangup(sim, leg, by="party"), "caller hangs up")
    timer(sim, leg, script.max_call_s, lambda: hangup(sim, leg, by="party"), "caller cap")

    def arrive() -> None:
        sim.start_program(leg, run_call(sim, leg, Doc(str(leg.url), leg.method)))

    timer(sim, leg, script.answer_delay_s, arrive, "arrives")
    return leg.sid


def initiate(sim: Simulator, leg: Leg) -> None:
    leg.initiated_t = sim.now
    status_callback(sim, leg, "initiated")
    ring(sim, leg, leg.timeout_s)


def ring(sim: Simulator, leg: Leg, timeout: float) -> None:
    """The called party's phone rings; its behaviour decides what happens."""
    party = leg.party
    if party.answer in ("busy", "failed"):
        timer(sim, leg, RING_FAIL_S, lambda: end_unanswered(sim, leg, party.answer), "busy/failed")
        return
    set_status(sim, leg, "ringing")
    timer(sim, leg, timeout, lambda: end_unanswered(sim, leg, "no-answer"), "ring timeout")
    if party.answer in ("human", "machine") and party.answer_after_s < timeout:
        timer(sim, leg, party.answer_after_s, lambda: picked_up(sim, leg), "answers")


def picked_up(sim: Simulator, leg: Leg) -> None:
    """The called party answers."""
    if leg.ended or leg.answered:
        return
    for pending_timer in leg.timers:
        pending_timer.cancel()
    leg.timers.clear()
    leg.answered_t = sim.now
    set_status(sim, leg, "in-progress")
    party = leg.party
    if party.hangup_after_s is not None:
        timer(sim, leg, party.hangup_after_s, lambda: hangup(sim, leg, by="party"), "hangs up")
    timer(sim, leg, party.max_call_s, lambda: hangup(sim, leg, by="party"), "cap")
    if leg.direction == "outbound-dial":
        parent = sim.legs.get(leg.parent_sid or "")
        ctx = parent.dial_ctx if parent is not None else None
        if parent is None or ctx is None or leg.sid not in ctx["children"] or ctx["peer"] is not None:
            hangup(sim, leg, by="api")  # answered after the Dial was over
            return
        sim.start_program(leg, _child_program(leg))
        sim.interrupt(parent, ChildAnswered(leg.sid))
        return
    schedule_utterances(sim, leg)
    doc = Doc(str(leg.url), leg.method) if leg.url else None
    if not leg.amd:
        sim.start_program(leg, run_call(sim, leg, doc, leg.twiml))
        return
    answered_by, delay = _amd(leg)
    is_async = leg.amd["AsyncAmd"] == "true"

    def detected() -> None:
        leg.answered_by = answered_by
        sim.record(leg, "amd", answered_by=answered_by)
        if is_async:
            if leg.amd["AsyncAmdStatusCallback"]:
                params = sim.base_params(leg)
                params.update({"AnsweredBy": answered_by, "MachineDetectionDuration": str(int(delay * 1000))})
                sim.fire(leg, leg.amd["AsyncAmdStatusCallback"], params,
                         leg.amd["AsyncAmdStatusCallbackMethod"], kind="amd")
        else:
            sim.start_program(leg, run_call(sim, leg, doc, leg.twiml))

    if is_async:
        sim.start_program(leg, run_call(sim, leg, doc, leg.twiml))
    timer(sim, leg, delay, detected, "amd")


def _amd(leg: Leg) -> tuple[str, float]:
    party, mode = leg.party, leg.amd["MachineDetection"]
    if party.answer == "machine":
        if mode == "Enable":
            answered_by, delay = "machine_start", AMD_MACHINE_S
        else:
            answered_by, delay = f"machine_end_{party.machine_end}", party.machine_greeting_s + AMD_END_S
    else:
        answered_by, delay = "human", AMD_HUMAN_S
    limit = float(leg.amd.get("MachineDetectionTimeout") or 30)
    return (answered_by, delay) if delay <= limit else ("unknown", limit)


def _child_program(leg: Leg) -> Any:
    """A dialed leg has no TwiML of its own: it waits to be bridged, then to be unbridged."""
    with expecting(leg, Bridged, Unbridged):
        while True:
            try:
                yield Sleep(None)
            except Bridged:
                continue
            except Unbridged:
                return
