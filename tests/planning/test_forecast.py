"""The forecast on synthetic history with a known pattern, its MAPE, and staffing from it."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from reports.planning import forecast, staffing
from tests.planning.conftest import add_calls

TARGET = date(2026, 11, 30)  # a Monday


def test_weighted_seasonal_average_with_recent_weeks_weighing_more(app, db):
    """Mondays 09:00 had 10 + k calls k weeks back (talk 100 + 10k s); Tuesdays 30. The forecast
    is Σ wᵏ⁻¹·x / Σ wᵏ⁻¹ over the 8 weeks, w = 0.7; other weekdays do not leak in."""
    settings = app.config["HOTLINE"]
    for k in range(1, 9):
        add_calls(db, settings, TARGET - timedelta(weeks=k), 18, 10 + k, talk_s=100 + 10 * k)
        add_calls(db, settings, TARGET - timedelta(weeks=k) + timedelta(days=1), 18, 30)
    predicted, _ = forecast.build(db, settings, TARGET)
    weights = [0.7 ** (k - 1) for k in range(1, 9)]
    expected_calls = sum(w * (10 + k) for k, w in zip(range(1, 9), weights, strict=True)) / sum(weights)
    expected_talk = (sum(w * (10 + k) * (100 + 10 * k) for k, w in zip(range(1, 9), weights, strict=True))
                     / sum(w * (10 + k) for k, w in zip(range(1, 9), weights, strict=True)))
    assert predicted.weeks_used == 8
    assert predicted.calls[18] == pytest.approx(expected_calls)
    assert predicted.aht_s[18] == pytest.approx(expected_talk)
    assert sum(predicted.calls) == pytest.approx(expected_calls)  # nothing in other intervals
    assert predicted.calls[18] < 10 + 4.5  # recent (smaller) weeks pull it below the plain mean


def test_last_week_mape_is_zero_for_a_steady_pattern_and_measures_a_change(app, db):
    settings = app.config["HOTLINE"]
    for back in range(1, 7 * 9 + 1):
        day = TARGET - timedelta(days=back)
        calls = 12 if day != TARGET - timedelta(days=3) else 18  # one day last week was busier
        add_calls(db, settings, day, 20, calls)
        add_calls(db, settings, day, 21, 6)
    _, accuracy = forecast.build(db, settings, TARGET)
    assert len(accuracy) == 7
    by_day = {a.day: a for a in accuracy}
    assert by_day[TARGET - timedelta(days=1)].mape == pytest.approx(0.0)
    odd = by_day[TARGET - timedelta(days=3)]
    assert odd.actual_total == 24 and odd.forecast_total == pytest.approx(18)
    assert odd.mape == pytest.approx((6 / 18) / 2)  # interval 20 off by 6 of 18, interval 21 exact


def test_staffing_uses_talk_plus_wrap_up_and_shrinkage(app, db):
    settings = app.config["HOTLINE"]
    for k in range(1, 5):
        add_calls(db, settings, TARGET - timedelta(weeks=k), 18, 40, talk_s=150, abandoned=4)
    predicted, _ = forecast.build(db, settings, TARGET)
    plan = staffing.plan(settings, predicted)
    row = plan[18]
    assert row.aht_s == pytest.approx(150 + settings.routing.wrap_up_s)
    assert row.erlang_a <= row.erlang_c and row.erlang_a > 0
    assert row.to_roster == math.ceil(row.required / (1 - settings.planning.shrinkage) - 1e-9) > row.required
    assert row.service_level >= settings.planning.service_level
    assert plan[10].required == 0  # no calls, nobody needed
    assert predicted.patience_s == pytest.approx((36 * 4 * 5.0 + 4 * 4 * 5.0) / 16)  # waits / abandons


def test_forecast_page_and_command_show_the_plan(app, db, lead_client, runner):
    settings = app.config["HOTLINE"]
    for k in range(1, 5):
        add_calls(db, settings, TARGET - timedelta(weeks=k), 18, 20)
    client, _token = lead_client
    page = client.get(f"/console/planning?day={TARGET}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-kpi="forecast-calls">20<' in html and "09:00" in html and "Erlang A" in html
    assert client.get("/console/planning?day=30-11-2026").status_code == 400
    result = runner.invoke(args=["planning", "forecast", "--day", TARGET.isoformat()])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.output)
    assert data["forecast_calls"] == 20 and data["intervals"][18]["calls"] == 20
    bad = runner.invoke(args=["planning", "forecast", "--day", "tomorrow"])
    assert bad.exit_code == 2 and "day:" in bad.output
