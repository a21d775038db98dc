"""Outbound calls ring a destination whose behaviour decides; answering machine detection."""

from __future__ import annotations

import pytest
from twilio.rest import Client

from core.telephony.simulator import Behaviour, Simulator
from core.telephony.simulator.legs import AMD_END_S, AMD_HUMAN_S, AMD_MACHINE_S

from .conftest import HOTLINE, PUBLIC, Hooks, twiml

CUSTOMER = "+8613811113333"


def dial_out(twilio: Client, **options: object) -> str:
    return twilio.calls.create(to=CUSTOMER, from_=HOTLINE, url=f"{PUBLIC}/outbound",
                               status_callback=f"{PUBLIC}/cb", **options).sid


@pytest.fixture(autouse=True)
def _hooks(hooks: Hooks) -> None:
    hooks.on("/outbound", twiml(lambda r: (r.say("This is Hotline calling back"), r.hangup())))
    hooks.on("/cb")
    hooks.on("/amd")


def request_times(sim: Simulator, sid: str, kind: str = "twiml") -> list[float]:
    return [r["t"] for r in sim.requests(sid) if r["kind"] == kind]


def test_unregistered_number_is_a_human_answering_after_five_seconds(sim: Simulator, hooks: Hooks,
                                                                     twilio: Client) -> None:
    sid = dial_out(twilio)
    sim.run_until_idle()
    assert request_times(sim, sid) == [5.0]
    assert "AnsweredBy" not in hooks.hits("/outbound")[0]
    assert sim.call(sid)["status"] == "completed"


def test_sync_amd_human(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    sim.set_behaviour(CUSTOMER, Behaviour(answer="human", answer_after_s=3))
    sid = dial_out(twilio, machine_detection="Enable")
    sim.run_until_idle()
    assert hooks.hits("/outbound")[0]["AnsweredBy"] == "human"
    assert request_times(sim, sid) == [3.0 + AMD_HUMAN_S]
    assert hooks.hits("/cb")[-1]["AnsweredBy"] == "human" and sim.call(sid)["answered_by"] == "human"
    assert twilio.calls(sid).fetch().answered_by == "human"


@pytest.mark.parametrize(("mode", "end", "expected", "delay"), [
    ("Enable", "beep", "machine_start", AMD_MACHINE_S),
    ("DetectMessageEnd", "beep", "machine_end_beep", 8 + AMD_END_S),
    ("DetectMessageEnd", "silence", "machine_end_silence", 8 + AMD_END_S),
])
def test_sync_amd_machine(sim: Simulator, hooks: Hooks, twilio: Client, mode: str, end: str, expected: str,
                          delay: float) -> None:
    sim.set_behaviour(CUSTOMER, Behaviour(answer="machine", answer_after_s=4, machine_greeting_s=8,
                                          machine_end=end))  # type: ignore[arg-type]
    sid = dial_out(twilio, machine_detection=mode)
    sim.run_until_idle()
    assert hooks.hits("/outbound")[0]["AnsweredBy"] == expected
    assert request_times(sim, sid) == [4.0 + delay]


def test_amd_gives_up_after_its_timeout(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    sim.set_behaviour(CUSTOMER, Behaviour(answer="machine", answer_after_s=1, machine_greeting_s=40))
    sid = dial_out(twilio, machine_detection="DetectMessageEnd", machine_detection_timeout=10)
    sim.run_until_idle()
    assert hooks.hits("/outbound")[0]["AnsweredBy"] == "unknown"
    assert request_times(sim, sid) == [11.0]


def test_async_amd_reports_to_its_own_callback(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    hooks.on("/outbound", twiml(lambda r: r.pause(length=20)))
    sim.set_behaviour(CUSTOMER, Behaviour(answer="machine", answer_after_s=2))
    sid = dial_out(twilio, machine_detection="Enable", async_amd="true",
                   async_amd_status_callback=f"{PUBLIC}/amd")
    sim.run_until_idle()
    assert request_times(sim, sid) == [2.0] and "AnsweredBy" not in hooks.hits("/outbound")[0]
    amd = hooks.hits("/amd")[0]
    assert (amd["AnsweredBy"], amd["CallSid"], amd["MachineDetectionDuration"]) == (
        "machine_start", sid, str(int(AMD_MACHINE_S * 1000)))
    assert request_times(sim, sid, "amd") == [2.0 + AMD_MACHINE_S]


@pytest.mark.parametrize(("answer", "status", "ends_at"), [
    ("busy", "busy", 1.0), ("failed", "failed", 1.0), ("no-answer", "no-answer", 15.0)])
def test_unanswered_outcomes(sim: Simulator, hooks: Hooks, twilio: Client, answer: str, status: str,
                             ends_at: float) -> None:
    sim.set_behaviour(CUSTOMER, Behaviour(answer=answer))  # type: ignore[arg-type]
    sid = dial_out(twilio, timeout=15)
    sim.run_until_idle()
    assert hooks.hits("/outbound") == []
    assert [(p["CallStatus"], p["CallDuration"]) for p in hooks.hits("/cb")] == [(status, "0")]
    snapshot = sim.call(sid)
    assert (snapshot["status"], snapshot["end"], snapshot["start"]) == (status, ends_at, None)
    assert twilio.calls(sid).fetch().duration == "0"


def test_answer_later_than_timeout_is_no_answer(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    sim.set_behaviour(CUSTOMER, Behaviour(answer_after_s=30))
    sid = dial_out(twilio, timeout=20)
    sim.run_until_idle()
    assert (sim.call(sid)["status"], sim.call(sid)["end"]) == ("no-answer", 20.0)


def test_scripted_callee_presses_keys(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    hooks.on("/outbound", twiml(lambda r: r.gather(num_digits=1, action="/survey").say("Rate us from 1 to 5")))
    hooks.on("/survey", lambda p: twiml(lambda r: r.say(f"you rated {p['Digits']}")))
    sim.set_behaviour(CUSTOMER, Behaviour(press=["5"]))
    dial_out(twilio)
    sim.run_until_idle()
    assert hooks.hits("/survey")[0]["Digits"] == "5"
