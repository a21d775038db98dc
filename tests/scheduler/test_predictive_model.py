"""The predictive pacing model (``scheduler.predictive``) on hand-made measurements: each agent's
chance to be free when a call placed now is answered, a ringing call's remaining answer chance,
the expected abandons, and how many calls it places."""

from __future__ import annotations

import pytest

from core.config import load_settings
from scheduler.predictive import (
    AgentNow,
    Measured,
    calls_to_place,
    free_chance,
    overflow,
    risk_share,
    still_answers,
)

RING = [float(t) for t in range(3, 16)]  # answered after 3..15 s, evenly
TALK = [float(t) for t in range(30, 91, 5)]  # talked 30..90 s
M = Measured(answer_rate=0.6, ring_s=RING, talk_s=TALK, wrap_up_s=30.0)


@pytest.fixture
def settings():
    return load_settings(environ={}, overrides={"campaigns": {"abandon_cap": 0.03, "predictive_risk_factor": 3.0}})


def test_an_agent_in_wrap_up_is_free_if_the_wrap_up_ends_before_the_answer():
    assert free_chance(AgentNow("available", 0), M, RING) == 1.0
    assert free_chance(AgentNow("wrap_up", 28), M, RING) == 1.0  # 2 s left, nobody answers that fast
    assert free_chance(AgentNow("wrap_up", 21), M, RING) == pytest.approx(7 / 13)  # 9 s left
    assert free_chance(AgentNow("wrap_up", 0), M, RING) == 0.0  # 30 s left
    assert free_chance(AgentNow("away", 0), M, RING) == 0.0


def test_an_agent_on_a_call_is_free_only_after_its_call_and_wrap_up():
    assert free_chance(AgentNow("busy", 10), M, RING) == 0.0  # 20 s more at least, then 30 s wrap-up
    assert free_chance(AgentNow("busy", 200), M, RING) == 0.0  # longer than any measured call
    late = free_chance(AgentNow("busy", 89), M, RING)  # only the 90-s call is left: ends in 1 s + wrap-up
    assert late == 0.0
    no_wrap_up = Measured(0.6, RING, TALK, wrap_up_s=0.0)  # only the 90-s call is longer: it ends in 5 s
    assert free_chance(AgentNow("busy", 85), no_wrap_up, RING) == pytest.approx(11 / 13)
    assert free_chance(AgentNow("busy", 82), no_wrap_up, RING) == pytest.approx((13 + 8) / 26)  # ends in 3 or 8 s


def test_a_call_ringing_longer_than_anyone_answered_counts_for_nothing():
    assert still_answers(0.0, M) == pytest.approx(0.6)
    assert 0 < still_answers(10.0, M) < 0.6
    assert still_answers(16.0, M) == 0.0


def test_expected_abandons_of_two_counts():
    assert overflow([0.0, 1.0], [0.0, 1.0]) == 0.0  # one caller, one agent
    assert overflow([0.0, 0.0, 1.0], [0.0, 1.0]) == 1.0  # two callers, one agent
    assert overflow([0.5, 0.5], [0.5, 0.5]) == pytest.approx(0.25)  # caller and no agent: 1/4


def test_the_risk_share_shrinks_to_nothing_at_the_cap(settings):
    assert risk_share(settings, 0, 0) == pytest.approx(0.09)
    assert risk_share(settings, 100, 1) == pytest.approx(0.09 * (1 - 1 / 3))
    assert risk_share(settings, 100, 3) == 0.0


def test_calls_placed_free_agents_wrap_ups_and_ringing_calls(settings):
    free = [AgentNow("available", 0)]
    assert calls_to_place(settings, M, free, 0, [], share=0.09) == 1  # a second would often find nobody
    assert calls_to_place(settings, M, free, 0, [], share=10.0) == 1  # at most 1/0.6 calls per free agent
    two = free * 2
    assert calls_to_place(settings, M, two, 0, [], share=10.0) == 3
    assert calls_to_place(settings, M, two, 1, [], share=0.0) == 1  # a caller in line takes one agent
    assert calls_to_place(settings, M, free, 0, [1.0], share=0.09) == 0  # may be answered: it has the agent
    # a call that has rung past every answer no longer counts: dial again before it times out
    assert calls_to_place(settings, M, free, 0, [17.0], share=0.0) == 1
    almost = [AgentNow("wrap_up", 28)]  # free before any answer: dialed for, as if free
    assert calls_to_place(settings, M, almost, 0, [], share=0.0) == 1
    assert calls_to_place(settings, M, [AgentNow("wrap_up", 10)], 0, [], share=0.09) == 0
    assert calls_to_place(settings, M, [AgentNow("busy", 40)], 0, [], share=0.09) == 0
