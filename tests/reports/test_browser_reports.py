"""In a real browser (Debian's chromium via Playwright, the console's harness): the wallboard
renders with its charts and updates live over the console's SSE stream; the monthly report renders
with its charts, is signed off and prints to PDF; the reports page draws its charts.
Screenshots: test-artifacts/screenshots/reports-*.png (and a PDF of the monthly report)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core import clock
from core.db import session_scope
from core.models import Call, Caller, QueueEntry, User
from core.users import create_user
from tests.browser import SHOTS, LiveServer, screenshot, sign_in
from tests.reports.seed import local, seed_day

pytestmark = pytest.mark.browser
TIMEOUT_MS = 15_000



@pytest.fixture
def seeded_live(live: LiveServer) -> LiveServer:
    with session_scope(live.app) as s:
        create_user(s, "lin", "lead", "password123", display_name="林班长", agent_code="L01")
        alice, _, _ = create_user(s, "alice", "agent", "password123", display_name="Alice 王", agent_code="A01")
        bob, _, _ = create_user(s, "bob", "agent", "password123", display_name="Bob 李", agent_code="B02")
        alice.presence, bob.presence = "available", "busy"
        seed_day(s, alice, bob)
    clock.follow(lambda: 0.0, start=local(23, 55), app=live.app)  # "now": late on the seeded day (serve() resets it)
    return live


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def sign_in_lead(browser: Any, live: LiveServer, errors: list[str]) -> Any:
    return sign_in(browser, live, "lin", errors, console_errors=False)


def charts_drawn(page: Any, names: list[str]) -> None:
    for name in names:
        page.wait_for_selector(f'canvas[data-chart="{name}"][data-rendered="1"]')
        points = page.evaluate(
            "(n) => { const c = Chart.getChart(document.querySelector(`canvas[data-chart=\"${n}\"]`));"
            " return c ? c.data.datasets.reduce((s, d) => s + d.data.length, 0) : 0; }", name)
        assert points > 0, f"chart {name} has no data"


def test_wallboard_renders_with_charts_and_updates_live(seeded_live, browser):
    errors: list[str] = []
    page = sign_in_lead(browser, seeded_live, errors)
    page.goto(f"{seeded_live.url}/console/wallboard")
    page.wait_for_selector("body[data-wallboard-updated]")  # SSE hello → first fetch
    assert page.text_content("#live-status") == "实时更新已连接"
    assert page.text_content('[data-wb="queue.waiting"]') == "1"
    assert page.text_content('[data-wb="calls.service_level"]') == "33.3%"
    assert page.text_content('[data-wb="calls.asa_s"]') == "31s"
    assert page.text_content('[data-wb="forbidden_alerts"]') == "1"
    charts_drawn(page, ["states", "reassurances", "waits"])
    # A second caller joins the line: the console pushes "queue" over SSE and the board redraws.
    with session_scope(seeded_live.app) as s:
        caller = Caller(phone="+8613800000777", district="南山")
        call = Call(call_sid="CAlive", purpose="caller", status="in-progress", caller=caller,
                    started_at=local(23, 54))
        s.add(QueueEntry(call=call, queue_name="hotline", joined_at=local(23, 54, 30), status="waiting"))
    expect(page.locator('[data-wb="queue.waiting"]')).to_have_text("2", timeout=TIMEOUT_MS)
    page.wait_for_timeout(300)
    screenshot(page, "reports-wallboard")
    assert errors == []


def test_monthly_report_renders_signs_off_and_prints(seeded_live, browser):
    errors: list[str] = []
    page = sign_in_lead(browser, seeded_live, errors)
    page.goto(f"{seeded_live.url}/console/reports/monthly/2026-11")
    charts_drawn(page, ["daily", "cases", "complaints", "satisfaction"])
    page.fill("#analysis", "本月来电 10 通,服务水平 33%,低于目标;投诉 2 件,1 件已回访满意。下月增加午间排班。")
    page.click("button[value=sign_off]")
    page.wait_for_selector("[data-signed-by]:has-text('林班长')")
    charts_drawn(page, ["daily", "cases", "complaints", "satisfaction"])
    assert "下月增加午间排班" in page.text_content("[data-analysis]")
    assert "K3" in page.text_content("table[data-table=complaints]")
    screenshot(page, "reports-monthly")
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "none"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SHOTS.parent / "monthly-2026-11.pdf"), format="A4", print_background=True)
    assert (SHOTS.parent / "monthly-2026-11.pdf").stat().st_size > 10_000
    with session_scope(seeded_live.app) as s:
        assert s.scalar(select(User.name).where(User.name == "lin")) == "lin"
    assert errors == []


def test_reports_page_draws_its_charts(seeded_live, browser):
    errors: list[str] = []
    page = sign_in_lead(browser, seeded_live, errors)
    page.goto(f"{seeded_live.url}/console/reports?from=2026-11-19&to=2026-11-20")
    charts_drawn(page, ["daily", "satisfaction", "cases", "agents"])
    labels = page.evaluate("Chart.getChart(document.querySelector('canvas[data-chart=daily]')).data.labels")
    assert labels == ["11-19", "11-20"]
    screenshot(page, "reports-range")
    assert errors == []


def test_monthly_satisfaction_chart_follows_the_survey_order(seeded_live, browser):
    errors: list[str] = []
    page = sign_in_lead(browser, seeded_live, errors)
    page.goto(f"{seeded_live.url}/console/reports/monthly/2026-11")
    charts_drawn(page, ["satisfaction"])
    labels = page.evaluate("Chart.getChart(document.querySelector('canvas[data-chart=satisfaction]')).data.labels")
    assert labels == ["及时性", "服务态度", "维修质量"]  # timeliness, attitude, quality: as the survey asks
    caption = page.inner_text("[data-figure=satisfaction] figcaption")
    assert "按问卷提问顺序" in caption
    page.goto(f"{seeded_live.url}/console/reports?from=2026-11-20&to=2026-11-20")
    charts_drawn(page, ["satisfaction"])
    assert page.evaluate("Chart.getChart(document.querySelector('canvas[data-chart=satisfaction]')).data.labels") \
        == labels
    assert errors == []
