"""Retries wait for their back-off and dials keep their pace, whatever Twilio's latency: ticks run
as the leader runs them (a look-ahead, sleeping until each slot), on the simulator's clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.telephony.simulator import Behaviour
from scheduler import engine

from .conftest import NUMBERS, attempts, contacts

BACKOFF_S = 4.0


@pytest.fixture
def app_overrides():
    return {"campaigns": {"calls_per_second": 20}, "telephony": {"simulator_calls_per_second": 20}}


def leader_ticks(app, sim, seconds: float, tick_s: float = 1.0) -> None:
    """What ``runner.tick_job`` does every ``tick_s``: dial the next ``tick_s`` of slots, sleeping
    (here: the simulator's clock moves on, status callbacks arrive meanwhile) until each."""
    end = sim.now + seconds
    while sim.now < end:
        started = sim.now
        engine.tick(app, horizon_s=tick_s, sleep=sim.advance, followups=False, dispatch=False)
        spent = sim.now - started
        sim.advance(max(0.0, tick_s - spent) if spent < tick_s else 0.001)
    assert not sim.errors, sim.errors


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
