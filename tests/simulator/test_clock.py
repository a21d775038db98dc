"""The virtual clock: deterministic order, manual/auto/realtime advancing."""

from __future__ import annotations

import time

import pytest

from core.telephony.simulator import CallerScript, Simulator
from core.telephony.simulator.clock import Clock

from .conftest import CALLER, HOTLINE, Hooks, twiml


def test_events_run_in_time_then_schedule_order() -> None:
    clock, ran = Clock(), []
    clock.schedule(2, lambda: ran.append(("b", clock.now)))
    clock.schedule(1, lambda: ran.append(("a", clock.now)))
    clock.schedule(2, lambda: ran.append(("c", clock.now)))
    cancelled = clock.schedule(1.5, lambda: ran.append(("x", clock.now)))
    cancelled.cancel()
    clock.advance(1.5)
    assert ran == [("a", 1.0)] and clock.now == 1.5
    clock.advance(10)
    assert ran == [("a", 1.0), ("b", 2.0), ("c", 2.0)] and clock.now == 11.5


def test_events_scheduled_by_events_run_in_the_same_advance() -> None:
    clock, ran = Clock(), []
    clock.schedule(1, lambda: clock.schedule(0, lambda: ran.append(clock.now)))
    clock.advance(1)
    assert ran == [1.0]


def test_run_until_jumps_and_reentrant_advance_is_refused() -> None:
    clock, ran = Clock(), []
    for t in (5, 50, 500):
        clock.schedule(t, lambda t=t: ran.append(t))
    assert clock.run_until(lambda: len(ran) == 2) is True and clock.now == 50
    assert clock.run_until_idle(max_seconds=100) is False and clock.now == 50
    assert clock.run_until_idle() is True and ran == [5, 50, 500]
    clock.schedule(1, lambda: clock.advance(1))
    with pytest.raises(RuntimeError, match="already being advanced"):
        clock.advance(2)
    clock.errors.clear()


def test_realtime_thread_delivers_within_half_a_second(make_sim, hooks: Hooks) -> None:  # type: ignore[no-untyped-def]
    sim: Simulator = make_sim(clock="realtime")
    hooks.on("/voice", twiml(lambda r: r.say("real time")))
    hooks.on("/status")
    sim.start_realtime()
    began = time.monotonic()
    sim.place_inbound_call(CALLER, HOTLINE, CallerScript(answer_delay_s=0.2))
    while not hooks.hits("/voice") and time.monotonic() - began < 3:
        time.sleep(0.01)
    took = time.monotonic() - began
    assert hooks.hits("/voice") and 0.15 <= took <= 0.7
    sim.stop()
    assert sim.now >= 0.2


def test_auto_clock_thread_jumps_through_virtual_time(make_sim, hooks: Hooks) -> None:  # type: ignore[no-untyped-def]
    sim: Simulator = make_sim(clock="auto")
    hooks.on("/voice", twiml(lambda r: (r.pause(length=600), r.say("ten minutes later"))))
    hooks.on("/status")
    sim.start()
    began = time.monotonic()
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    while not sim.call(sid)["ended"] and time.monotonic() - began < 3:
        time.sleep(0.01)
    sim.stop()
    assert sim.call(sid)["ended"] and time.monotonic() - began < 2
    assert sim.timeline(sid)[-3]["t"] == 600.0


def test_run_until_for_the_cli(sim: Simulator, hooks: Hooks) -> None:
    hooks.on("/voice", twiml(lambda r: (r.pause(length=90), r.say("done"))))
    hooks.on("/status")
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    assert sim.run_until(lambda: sim.call(sid)["ended"], max_seconds=120) is True
    assert sim.now == pytest.approx(91.0)
