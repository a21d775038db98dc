"""The wallboard in a real browser: the service level turns green / amber / red as it crosses
the configured thresholds, the per-agent table updates live, a lead who is signed in but not
taking calls is not counted as an agent, and the hourly trend is drawn. Rows are written the
way the webhooks write them, with the events they publish; the console pushes the change over SSE."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.db import session_scope, utcnow
from core.events import CallAnswered, CallEnded, publish
from core.models import Call, User
from core.presence import set_presence
from core.users import create_user
from tests.browser import LiveServer, screenshot, sign_in

pytestmark = pytest.mark.browser
OVERRIDES = {"wallboard": {"service_level_target": 0.8, "service_level_warning": 0.7}}


@pytest.fixture
def board_live(tmp_path: Any, database_url: str) -> Any:
    from tests.browser import serve

    yield from serve(tmp_path, database_url, OVERRIDES)


def answered_call(live: LiveServer, sid: str, agent: str, wait_s: float, talk_s: float = 60) -> None:
    now = utcnow(live.app)
    with session_scope(live.app) as s:
        agent_id = s.scalar(select(User.id).where(User.name == agent))
        s.add(Call(call_sid=sid, purpose="caller", status="completed", from_number="+8613800000001",
                   started_at=now - timedelta(seconds=wait_s + talk_s + 15), answered_at=now - timedelta(seconds=talk_s),
                   ended_at=now, wait_s=wait_s, duration_s=talk_s, agent_id=agent_id))
        publish(s, CallEnded(call_sid=sid, agent_id=agent_id))


def colour(page: Any, expected: str) -> None:
    page.wait_for_selector(f"[data-box=service-level][data-colour={expected}]")


def test_service_level_colours_and_the_per_agent_table_update_live(board_live, browser):
    live = board_live
    errors: list[str] = []
    threshold = live.app.config["HOTLINE"].answer.threshold_s
    with session_scope(live.app) as s:
        create_user(s, "lin", "lead", "password123", display_name="林班长", endpoint="client:lin")
        alice, _, _ = create_user(s, "alice", "agent", "password123", display_name="王小丽", agent_code="1007")
        alice.presence = "available"
    page = sign_in(browser, live, "lin", errors, console_errors=False)
    page.goto(f"{live.url}/console/wallboard")
    page.wait_for_selector("body[data-wallboard-updated]")
    colour(page, "none")  # no calls yet
    assert "目标 80%" in page.inner_text("[data-box=service-level]")
    # The lead has a phone endpoint but is not taking calls: not an agent on the board.
    assert page.query_selector("#wb-agents tr[data-agent=lin]") is None
    assert page.inner_text("#wb-states [data-state=away] strong") == "0"
    assert page.inner_text("#wb-agents tr[data-agent=alice] [data-col=calls]") == "0"

    answered_call(live, "CA1", "alice", wait_s=threshold - 1)  # 1/1 in time: 100 %
    colour(page, "green")
    page.wait_for_selector("#wb-agents tr[data-agent=alice] [data-col=calls]:text-is('1')")
    answered_call(live, "CA2", "alice", wait_s=threshold + 20)  # 1/2: 50 %
    colour(page, "red")
    answered_call(live, "CA3", "alice", wait_s=2, talk_s=120)
    answered_call(live, "CA4", "alice", wait_s=3, talk_s=120)  # 3/4: 75 %
    colour(page, "amber")
    assert page.inner_text('[data-wb="calls.service_level"]') == "75.0%"
    page.wait_for_selector("#wb-agents tr[data-agent=alice] [data-col=calls]:text-is('4')")
    assert page.inner_text("#wb-agents tr[data-agent=alice] [data-col=aht]") == "90s"  # (60+60+120+120)/4
    answered_call(live, "CA5", "alice", wait_s=1)  # 4/5: 80 %
    colour(page, "green")

    # The agent goes busy on a live call: state, time in state and call time appear and tick.
    with session_scope(live.app) as s:
        me = s.scalar(select(User).where(User.name == "alice"))
        set_presence(s, me, "busy")
        s.add(Call(call_sid="CA6", purpose="caller", status="in-progress", started_at=utcnow(live.app) - timedelta(seconds=30),
                   answered_at=utcnow(live.app), wait_s=4, agent_id=me.id))
        publish(s, CallAnswered(call_sid="CA6", agent_id=me.id))
    page.wait_for_selector("#wb-agents tr[data-agent=alice][data-state=busy]")
    first = page.inner_text("#wb-agents tr[data-agent=alice] [data-col=call]")
    assert first != "—"
    page.wait_for_function("(t) => document.querySelector('#wb-agents tr[data-agent=alice] [data-col=call]')"
                           ".textContent !== t", arg=first)
    # The trend: today's calls per hour against the same weekday last week.
    assert page.query_selector("#wb-trend svg polyline.today") is not None
    assert page.inner_text('[data-wb="trend.today_total"]') == "6"
    screenshot(page, "wallboard-live")
    assert errors == []


def test_service_level_colour_follows_the_configured_thresholds():
    from core.config import load_settings
    from reports.wallboard import service_level_colour

    settings = load_settings({}, {"wallboard": {"service_level_target": 0.9, "service_level_warning": 0.6}})
    assert [service_level_colour(v, settings) for v in (None, 0.95, 0.9, 0.89, 0.6, 0.59)] == \
        ["none", "green", "green", "amber", "amber", "red"]
    from core.config import ConfigError

    with pytest.raises(ConfigError, match="service_level_warning"):
        load_settings({}, {"wallboard": {"service_level_target": 0.5, "service_level_warning": 0.6}})
