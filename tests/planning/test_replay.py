"""What-if replay validation, through the real webhooks and the simulator on its virtual clock.

A "recorded simulated day" is made by replaying synthetic callers into a kept database; that
database is then read as history, exactly as a real day would be.

Tolerances (stated in docs/planning.md, measured by bench/replay_bench.py on larger days):
an unchanged replay reproduces the day's service level within 0.10 and its abandonment within
0.10 on these ~40-call days; Erlang C's probability of waiting agrees with the replay's within
0.10 on stationary traffic with patient callers, given the handle time the replay's agents had.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from core import db as core_db
from core.config import load_settings
from reports import kpis
from reports.planning import arrivals, erlang, replay, whatif
from reports.planning.days import day_start

DAY = date(2026, 11, 23)
BUSY = (18, 19)  # 09:00 and 09:30 local


def _settings():
    return load_settings({}, {"hours": {"open": "00:00-24:00"}})


def _staff(n: int) -> list[int]:
    staff = [0] * 48
    for i in (*BUSY, BUSY[-1] + 1):
        staff[i] = n
    return staff


def _kpis(settings, rows):
    return kpis.call_kpis(rows, threshold_s=settings.answer.threshold_s,
                          short_abandon_s=settings.queue.short_abandon_s, max_s=settings.calls.max_s)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[Path, object]:
    """A simulated day on 2 agents (about 40 callers, some impatient), kept as a database."""
    settings = _settings()
    rates = [0.0] * 48
    for i in BUSY:
        rates[i] = 24
    callers = arrivals.synthetic_day(settings, rates, [150.0] * 48, 90.0, seed=11)
    workdir = tmp_path_factory.mktemp("recorded")
    result = replay.run(settings, day_start(settings, DAY), callers, replay.Scenario(staffing=_staff(2)), seed=11,
                        workdir=workdir)
    assert not result.errors
    return workdir / "replay.db", result


def _history(path: Path, seed: int = 1) -> arrivals.DayHistory:
    settings = _settings()
    engine = core_db.make_engine(f"sqlite:///{path}")
    try:
        with sessionmaker(bind=engine)() as s:
            return arrivals.recorded_day(s, settings, DAY, seed)
    finally:
        engine.dispose()


@pytest.mark.timeout(1200)  # three replays; minutes on a shared machine
def test_unchanged_replay_of_a_recorded_day_matches_it_and_one_more_agent_helps(recorded):
    path, original = recorded
    settings = _settings()
    history = _history(path)
    then = _kpis(settings, history.rows)
    assert then["offered"] >= 25 and then["abandoned"] > 0  # a busy day with impatient callers
    start = day_start(settings, DAY)
    same = replay.run(settings, start, history.arrivals, replay.Scenario(staffing=_staff(2)), seed=1)
    now = _kpis(settings, same.rows)
    assert now["offered"] == then["offered"]
    assert abs(now["service_level"] - then["service_level"]) <= 0.10
    assert abs(now["abandonment_rate"] - then["abandonment_rate"]) <= 0.10
    more = replay.run(settings, start, history.arrivals, replay.Scenario(staffing=_staff(3)), seed=1)
    better = _kpis(settings, more.rows)
    assert better["service_level"] >= now["service_level"]
    assert better["abandonment_rate"] <= now["abandonment_rate"]


@pytest.mark.timeout(1200)
def test_replay_is_deterministic_for_a_seed(recorded):
    path, _original = recorded
    settings = _settings()
    first, second = _history(path, seed=5), _history(path, seed=5)
    assert first.arrivals == second.arrivals
    assert _history(path, seed=6).arrivals != first.arrivals  # the seed draws the censored patience
    few = first.arrivals[:12]
    runs = [replay.run(settings, day_start(settings, DAY), few, replay.Scenario(staffing=_staff(1)), seed=5)
            for _ in range(2)]
    outcomes = [[(r.started_at, r.outcome, round(r.wait_s or 0, 3), round(r.talk_s or 0, 3)) for r in run.rows]
                for run in runs]
    assert outcomes[0] == outcomes[1]


@pytest.mark.timeout(1200)
def test_erlang_c_agrees_with_the_replay_on_stationary_traffic():
    """Patient callers at a steady 30 calls per half hour for 2 hours on 4 agents. The agent is
    busy for talk + wrap-up + the ring and hand-over before the talk; the replay's 'waited' is a
    wait longer than the fastest connection (the ring and hand-over every caller has) + 1 s."""
    settings = _settings()
    rates = [0.0] * 48
    for i in range(18, 22):
        rates[i] = 30
    talk = 120.0
    callers = arrivals.synthetic_day(settings, rates, [talk] * 48, None, seed=3)
    staff = [0] * 48
    for i in range(18, 23):
        staff[i] = 4
    result = replay.run(settings, day_start(settings, DAY), callers, replay.Scenario(staffing=staff), seed=3)
    waits = [r.wait_s for r in result.rows if r.inbound and r.outcome == kpis.ANSWERED and r.wait_s is not None]
    assert len(waits) == len(callers)
    base = min(waits)
    p_wait_replay = sum(1 for w in waits if w > base + 1) / len(waits)
    # The agent's time per call as the replay measured it (connected → end + wrap-up), plus the
    # ring and hand-over before the connection that every call has.
    handle = sum(result.busy_s) / len(waits) + base
    assert handle > talk  # talk times are drawn, so the mean is near, not at, 120 s
    p_wait_erlang = erlang.erlang_c(4, len(callers) / (4 * 1800) * handle)
    assert abs(p_wait_replay - p_wait_erlang) <= 0.10, (p_wait_replay, p_wait_erlang, base, handle)


def test_replay_command_prints_json_and_rejects_bad_input(runner):
    bad = runner.invoke(args=["replay", "run", "--day", "2026-13-01"])
    assert bad.exit_code == 2 and "day:" in bad.output
    none = runner.invoke(args=["replay", "run", "--day", "2026-11-23"])
    assert none.exit_code == 2 and "no calls were recorded" in none.output
    hours = runner.invoke(args=["replay", "run", "--day", "2026-11-23", "--open-hours", "9-5"])
    assert hours.exit_code == 2 and "open_hours:" in hours.output
    with pytest.raises(whatif.WhatIfError, match="reassure_every_s"):
        whatif.Request(day=DAY, reassure_every_s=0).check(_settings())
