"""The planning pages in a real browser (Debian's chromium via Playwright): forecast and staffing
with its chart, the roster's over/under colours, and a what-if replay started from the page, run by
the worker process and shown side by side with its charts.
Screenshots: test-artifacts/screenshots/planning-*.png (copied to docs/ for the lead's guide)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.db import session_scope, utcnow
from core.models import User
from core.users import create_user
from reports.planning import roster
from reports.planning.days import local_day_of
from tests.browser import LiveServer, screenshot, sign_in
from tests.planning.conftest import add_calls

pytestmark = pytest.mark.browser


def drawn(page: Any, name: str, errors: list[str]) -> int:
    page.wait_for_load_state("load")
    assert errors == []
    page.wait_for_function(
        "(n) => { const c = document.querySelector(`canvas[data-planning-chart=\"${n}\"]`);"
        " return c && window.Chart && Chart.getChart(c); }", arg=name)
    return page.evaluate(
        "(n) => Chart.getChart(document.querySelector(`canvas[data-planning-chart=\"${n}\"]`))"
        ".data.datasets.reduce((s, d) => s + d.data.filter((v) => v != null).length, 0)", name)


@pytest.fixture
def planned(live: LiveServer) -> LiveServer:
    settings = live.app.config["HOTLINE"]
    today = local_day_of(settings, utcnow(live.app))
    with session_scope(live.app) as s:
        create_user(s, "lin", "lead", "password123", display_name="林班长", agent_code="L01")
        agents = [create_user(s, f"agent{i}", "agent", "password123", display_name=f"坐席 {i}",
                              agent_code=f"A0{i}", endpoint=f"client:agent{i}")[0] for i in range(1, 5)]
        for k in range(1, 5):
            for interval, calls in ((18, 24 + k), (19, 30), (20, 26), (28, 14), (30, 20), (34, 10)):
                add_calls(s, settings, today + timedelta(days=1) - timedelta(weeks=k), interval, calls,
                          talk_s=150, abandoned=2)
        add_calls(s, settings, today - timedelta(days=1), 18, 6, talk_s=60, abandoned=1, menu_option="repair")
        add_calls(s, settings, today - timedelta(days=1), 19, 6, talk_s=90, abandoned=2, menu_option="inquiry")
        for agent in agents[:3]:
            roster.assign(s, settings, today + timedelta(days=1), agent, "day")
        roster.assign(s, settings, today + timedelta(days=1), agents[3], "evening")
    live.tomorrow = today + timedelta(days=1)  # type: ignore[attr-defined]
    live.yesterday = today - timedelta(days=1)  # type: ignore[attr-defined]
    return live


@pytest.mark.timeout(900)
def test_forecast_roster_and_replay_pages(planned, browser):
    errors: list[str] = []
    page = sign_in(browser, planned, "lin", errors)
    page.goto(f"{planned.url}/console/planning?day={planned.tomorrow}")
    assert drawn(page, "plan", errors) > 0
    assert page.text_content('[data-kpi="forecast-calls"]') not in ("", "0")
    screenshot(page, "planning-forecast")

    page.goto(f"{planned.url}/console/planning/roster?day={planned.tomorrow}")
    assert drawn(page, "coverage", errors) > 0
    assert page.locator('#coverage-table tr[data-status="under"]').count() > 0
    assert page.locator("#roster-table tbody tr").count() == 4
    screenshot(page, "planning-roster")

    page.goto(f"{planned.url}/console/planning/replay")
    page.fill("#day", planned.yesterday.isoformat())
    page.fill("#agents", "2")
    page.select_option("#strategy", "round-robin")
    page.click("button[type=submit].primary")
    page.wait_for_selector("#summary-table", timeout=600_000)  # the worker replays, the page refreshes
    assert page.text_content('[data-replay="service_level"]').endswith("%")
    assert drawn(page, "replay-sl", errors) > 0
    screenshot(page, "planning-replay")
    with session_scope(planned.app) as s:
        from reports.planning.models import ReplayRun

        run = s.scalar(select(ReplayRun))
        assert run is not None and run.status == "done" and run.result["calls"] == 12
        assert run.result["replay"]["offered"] == 12  # every recorded caller reached the line again
        assert run.result["request"]["strategy"] == "round-robin" and run.result["agents"][18] == 2
        assert s.scalar(select(User).where(User.name.like("replay-agent-%"))) is None  # nothing leaked
    assert errors == []
