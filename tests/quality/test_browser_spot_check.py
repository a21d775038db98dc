"""In a real browser: a team lead opens the day's spot-checks, opens a call (transcript with its
flag, each item with its evidence), overrides one item with a comment and completes; the agent
then sees the result on their own page. Screenshots: test-artifacts/screenshots/quality-*.png."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from agent_console.models import Utterance
from core.db import session_scope, utcnow
from core.models import Call, Case, User
from core.users import create_user
from reports.quality.models import QaReview
from reports.quality.review import ensure_review
from scripts_library import service
from tests.browser import LiveServer, screenshot, sign_in
from tests.console.conftest import FORBIDDEN

pytestmark = pytest.mark.browser

AGENT_SAID = ["您好!SCC顺创客服部,请问有什么可以帮到你?", "请问您贵姓?请问王先生目前在哪个城区?", FORBIDDEN, "谢谢,再见!"]


def seed_scored_call(live: LiveServer) -> QaReview:
    """An answered, ended call of alice's with its transcript and a repair case, scored by the real
    scoring code; the caller waited 14 s and heard no apology."""
    app = live.app
    with session_scope(app) as s:
        create_user(s, "lin", "lead", "password123", display_name="林班长", agent_code="L01")
        create_user(s, "alice", "agent", "password123", display_name="Alice 王", agent_code="A01")
    with session_scope(app) as s:
        alice = s.scalar(select(User).where(User.name == "alice"))
        answered = utcnow() - timedelta(minutes=3)
        call = Call(call_sid="CAqa1", purpose="caller", status="completed", agent_id=alice.id, locale="zh-CN",
                    menu_option="repair", started_at=answered - timedelta(seconds=40), answered_at=answered,
                    ended_at=answered + timedelta(seconds=100), wait_s=14)
        s.add(call)
        s.flush()
        for n, text in enumerate(AGENT_SAID):
            s.add(Utterance(call_id=call.id, conversation_call_id=call.id, agent_id=alice.id, track="inbound_track",
                            speaker="agent", text=text, final=True, sequence=n, language="cmn-Hans-CN",
                            flags=service.check(text, "zh-CN"), at=answered + timedelta(seconds=5 + 20 * n)))
        s.add(Case(ref="C-QA-1", kind="repair", call_id=call.id, description="厨房水管漏水", place="3栋201"))
        call_id = call.id
    assert ensure_review(app, app.config["HOTLINE"], call_id) == 1
    with session_scope(app) as s:
        review = s.scalar(select(QaReview).where(QaReview.call_id == call_id))
        s.expunge(review)
    return review


def test_a_lead_completes_a_spot_check_and_the_agent_sees_it(live: LiveServer, browser: Any):
    review = seed_scored_call(live)
    errors: list[str] = []
    lead = sign_in(browser, live, "lin", errors)
    lead.goto(f"{live.url}/console/quality/spot-checks?day={review.day.isoformat()}")
    row = lead.locator(f'tr[data-call="{review.call_id}"]')
    assert "随机" in row.inner_text() and "禁用语" in row.inner_text()
    assert row.locator("[data-status]").inner_text() == "待抽查"
    screenshot(lead, "quality-spot-checks")
    row.locator("a").click()
    lead.wait_for_selector("[data-transcript]")
    assert lead.locator('[data-flag="S1"]').count() == 1  # the flag beside its sentence
    h2 = lead.locator('tr[data-item="H2"]')
    assert h2.get_attribute("data-final") == "fail" and "14 秒 = 4.7 声" in h2.inner_text()
    assert "SCC顺创客服部" in lead.locator('tr[data-item="H1"] [data-evidence]').inner_text()
    lead.select_option("#result-H2", "pass")
    lead.click("button.primary")  # an override without a reason is refused
    assert "comment-H2" in lead.content()
    refused = [e for e in errors if "400" in e]
    assert len(refused) == 1  # the browser logs the refused form's 400: expected here
    errors.remove(refused[0])
    lead.go_back()
    lead.select_option("#result-H2", "pass")
    lead.fill("#comment-H2", "录音中有致歉,转写漏了")
    lead.fill("#comment", "整体不错,注意禁用语")
    screenshot(lead, "quality-review")
    lead.click("button.primary")
    lead.wait_for_url(f"**/console/quality/spot-checks?day={review.day.isoformat()}")
    assert lead.locator(f'tr[data-call="{review.call_id}"] [data-status]').inner_text() == "已抽查"

    agent = sign_in(browser, live, "alice", errors)
    agent.goto(f"{live.url}/console/quality/mine")
    mine = agent.locator(f'tr[data-review="{review.id}"]')
    assert "整体不错,注意禁用语" in mine.inner_text() and "录音中有致歉,转写漏了" in mine.inner_text()
    mine.locator("a").click()
    assert agent.locator('tr[data-item="H2"]').get_attribute("data-final") == "pass"
    assert agent.locator("#result-H2").count() == 0  # read-only for the agent
    screenshot(agent, "quality-agent-result")
    assert errors == []
