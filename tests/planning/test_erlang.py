"""Erlang C and Erlang A against published worked examples and exact identities."""

from __future__ import annotations

import math

import pytest

from reports.planning import erlang


def test_erlang_c_matches_the_classic_360_calls_per_half_hour_example():
    """The Erlang-C worked example (Westbay Engineers, "The Erlang-C formula"): 360 calls per
    half hour, 4-minute calls, 55 agents, target 15 s → 48 Erlangs, occupancy 87.3 %, P(wait)
    23.87 %, ASA 8.18 s, service level 84.6 %."""
    perf = erlang.erlang_c_performance(55, 360 / 1800, 240, 15)
    assert perf.load == pytest.approx(48)
    assert perf.occupancy == pytest.approx(0.8727, abs=1e-4)
    assert perf.p_wait == pytest.approx(0.2387, abs=1e-4)
    assert perf.asa_s == pytest.approx(8.18, abs=0.01)
    assert perf.service_level == pytest.approx(0.846, abs=1e-3)
    assert erlang.erlang_c_performance(55, 360 / 1800, 240, 20).service_level == pytest.approx(0.8668, abs=1e-3)


def test_erlang_c_sizing_example_with_shrinkage():
    """Call Centre Helper's Erlang C example: 100 calls in 30 minutes, 180 s handle time, 80 % in
    20 s → 10 Erlangs, 14 agents (service level about 89 %), 20 to roster with 30 % shrinkage."""
    assert erlang.agents_for(100 / 1800, 180, 20, 0.80) == 14
    assert erlang.erlang_c_performance(13, 100 / 1800, 180, 20).service_level < 0.80
    assert erlang.erlang_c_performance(14, 100 / 1800, 180, 20).service_level == pytest.approx(0.888, abs=2e-3)
    assert erlang.with_shrinkage(14, 0.30) == 20


def test_erlang_c_grows_without_bound_when_agents_do_not_cover_the_load():
    assert erlang.erlang_c(10, 10.0) == 1.0
    assert erlang.erlang_c_performance(10, 10 / 180, 180, 20).service_level == 0.0


def _poisson(mean: float, k: int) -> float:
    return math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1))


def test_erlang_a_with_patience_equal_to_handle_time_is_the_infinite_server_queue():
    """With θ = μ every caller leaves (served or not) at rate μ: the number in the system is
    Poisson(A) whatever n (Garnett, Mandelbaum & Reiman 2002), so P(wait) = P(K ≥ n) and
    P(abandon) = E[(K − n)⁺] / A."""
    n, load = 10, 10.0
    perf = erlang.erlang_a_performance(n, load / 180, 180, 180, 20)
    p_wait = 1 - sum(_poisson(load, k) for k in range(n))
    excess = sum((k - n) * _poisson(load, k) for k in range(n, 200))
    assert perf.p_wait == pytest.approx(p_wait, abs=1e-9)
    assert perf.p_abandon == pytest.approx(excess / load, abs=1e-9)
    assert perf.p_abandon == pytest.approx(0.1251, abs=1e-4)


def test_erlang_a_tends_to_erlang_c_when_callers_are_very_patient():
    c = erlang.erlang_c_performance(14, 100 / 1800, 180, 20)
    a = erlang.erlang_a_performance(14, 100 / 1800, 180, 10**7, 20)
    assert a.p_wait == pytest.approx(c.p_wait, abs=1e-4)
    assert a.service_level == pytest.approx(c.service_level, abs=1e-4)
    assert a.asa_s == pytest.approx(c.asa_s, abs=0.01)
    assert a.p_abandon < 1e-5


def test_erlang_a_needs_no_more_agents_than_erlang_c_and_more_agents_help():
    rate, aht = 40 / 1800, 220
    by_c = erlang.agents_for(rate, aht, 9, 0.8)
    by_a = erlang.agents_for(rate, aht, 9, 0.8, max_abandon=0.05, patience_s=120)
    assert by_a <= by_c
    levels = [erlang.erlang_a_performance(n, rate, aht, 120, 9) for n in range(3, 12)]
    assert all(b.service_level > a.service_level for a, b in zip(levels, levels[1:], strict=False))
    assert all(b.p_abandon < a.p_abandon for a, b in zip(levels, levels[1:], strict=False))
    met = erlang.erlang_a_performance(by_a, rate, aht, 120, 9)
    assert met.service_level >= 0.8 and met.p_abandon <= 0.05


def test_erlang_a_stays_finite_in_overload():
    perf = erlang.erlang_a_performance(5, 20 / 1800, 600, 60, 9)  # 6.7 Erlangs on 5 agents
    assert 0 < perf.p_abandon < 1 and perf.occupancy <= 1
    assert erlang.agents_for(0, 180, 9, 0.8) == 0
    assert erlang.with_shrinkage(0, 0.3) == 0
