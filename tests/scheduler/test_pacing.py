"""Retries wait for their back-off and dials keep their pace, whatever Twilio's latency: ticks run
as the leader runs them (a look-ahead, sleeping until each slot), on the simulator's clock."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from core.telephony.simulator import Behaviour
from scheduler import engine

from .conftest import NUMBERS, attempts, contacts

BACKOFF_S = 4.0


@pytest.fixture
def app_overrides():
    return {"campaigns": {"calls_per_second": 20}, "telephony": {"simulator_calls_per_second": 20}}


def leader_ticks(app, sim, seconds: float, tick_s: float = 1.0) -> int:
    """What APScheduler does with ``runner.tick_job`` (interval ``tick_s``, one instance at most):
    at each fire time a tick dials the next ``tick_s`` of slots, sleeping until each (here the
    simulator's clock moves on and status callbacks arrive meanwhile); a fire time that comes
    while the previous tick still runs is skipped. Returns how many were skipped."""
    first = sim.now
    end = first + seconds
    fire = first
    skipped = 0
    while fire < end:
        if sim.now < fire:
            sim.advance(fire - sim.now)
        engine.tick(app, horizon_s=tick_s, sleep=sim.advance, followups=False, dispatch=False)
        following = fire + tick_s
        while following < sim.now:  # "maximum number of running instances reached"
            following += tick_s
            skipped += 1
        fire = following
    if sim.now < end:
        sim.advance(end - sim.now)
    assert not sim.errors, sim.errors
    return skipped


def dial_times(sim) -> list[float]:
    return [c["created_at"] for c in sim.creates]


@pytest.mark.parametrize("latency", [0.0, 0.5])
@pytest.mark.parametrize("cps", [1, 2, 5])
def test_a_retry_is_never_dialled_before_its_next_attempt_time(app, sim, make_campaign, cps, latency):
    numbers = NUMBERS[:4]
    for number in numbers:
        sim.set_behaviour(number, Behaviour(answer="busy"))
    sim.create_latency_s = latency
    cid = make_campaign(numbers, calls_per_second=cps, max_concurrent=20, retry_backoff_s=BACKOFF_S,
                        retry_backoff_factor=1, max_attempts=4)
    leader_ticks(app, sim, 60)
    made = attempts(app, cid)
    assert {c.status for c in contacts(app, cid)} == {"failed"}
    for contact_id in {a.contact_id for a in made}:
        mine = sorted((a for a in made if a.contact_id == contact_id), key=lambda a: a.seq)
        assert [a.seq for a in mine] == [1, 2, 3, 4]
        for before, after in zip(mine, mine[1:], strict=False):
            assert before.ended_at is not None
            assert after.created_at >= before.ended_at + timedelta(seconds=BACKOFF_S), (
                f"attempt {after.seq} at {after.created_at:%H:%M:%S.%f}, attempt {before.seq} "
                f"ended {before.ended_at:%H:%M:%S.%f}")


@pytest.mark.parametrize("latency", [0.0, 0.1])
@pytest.mark.parametrize("cps", [2, 5])
def test_dials_keep_their_pace_on_the_simulator_clock(app, sim, make_campaign, cps, latency):
    """No burst, no silence: every gap is at least half the nominal one, every 10 s holds the rate
    within 5 %, and no tick overruns into the next one."""
    numbers = NUMBERS[:cps * 30 + 20]
    for number in numbers:
        sim.set_behaviour(number, Behaviour(answer="no-answer"))
    sim.create_latency_s = latency
    make_campaign(numbers, calls_per_second=cps, max_concurrent=500, max_attempts=1, ring_timeout_s=5)
    skipped = leader_ticks(app, sim, 30)
    times = dial_times(sim)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.5 / cps - 1e-6, sorted(gaps)[:5]
    first = times[0]
    for window in range(3):
        count = sum(1 for t in times if first + 10 * window <= t < first + 10 * (window + 1))
        assert abs(count - 10 * cps) <= 0.05 * 10 * cps, (window, count)
    assert skipped == 0


def test_dials_keep_their_pace_in_real_time(app, sim, make_campaign):
    """The leader's ticks on the wall clock (real sleeps, the simulator in real time): no gap
    under half the nominal one, measured when the simulator received each ``calls.create``."""
    cps = 2
    numbers = NUMBERS[:40]
    for number in numbers:
        sim.set_behaviour(number, Behaviour(answer="no-answer"))
    make_campaign(numbers, calls_per_second=cps, max_concurrent=500, max_attempts=1, ring_timeout_s=5)
    sim.start_realtime()
    try:
        fire = time.monotonic()
        end = fire + 6
        while fire < end:
            time.sleep(max(0.0, fire - time.monotonic()))
            engine.tick(app, horizon_s=1.0, sleep=time.sleep, followups=False, dispatch=False)
            fire += 1.0
            while fire < time.monotonic():
                fire += 1.0
    finally:
        sim.stop()
    times = dial_times(sim)
    assert len(times) >= 8
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.5 / cps, sorted(gaps)[:5]
