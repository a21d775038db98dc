"""Agents and leads on the campaign pages in a real browser (Debian's chromium via Playwright),
the simulator placing the calls:

- an agent opens "Preview dialing", sees the next contact of a preview campaign (name, masked
  number, note, why it is due), skips it with a reason, sees the next one and clicks "Dial": the
  call is placed for that agent and, once answered, connected;
- a lead watches a running predictive campaign's live figures (calls in the last minute, answer
  and abandon rate against the cap, agents free/busy) change over the event stream, no reload.
Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.db import session_scope
from core.disclosure import mask
from core.models import Presence
from core.presence import announce, set_presence
from core.telephony.simulator import Behaviour
from core.users import create_user
from scheduler import campaigns as svc
from scheduler import contacts as contacts_svc
from scheduler import engine
from scheduler.models import Attempt, Contact
from tests.browser import screenshot, sign_in

from .conftest import NUMBERS, SCRIPT_VALUES, csv_of

pytestmark = pytest.mark.browser


def _agent(live: Any, name: str) -> int:
    live.sim.set_behaviour(f"client:{name}", Behaviour(answer="human", answer_after_s=1))
    with session_scope(live.app) as s:
        user, _token, _password = create_user(s, name, "agent", "password123", endpoint=f"client:{name}")
        s.flush()
        set_presence(s, user, Presence.AVAILABLE)
        user_id = user.id
    announce(live.app, user_id, Presence.AVAILABLE)
    return user_id


def _campaign(live: Any, numbers: list[str], **fields: Any) -> int:
    settings = live.app.config["HOTLINE"]
    columns = fields.pop("csv_columns", {})
    with session_scope(live.app) as s:
        campaign = svc.create_campaign(s, settings, {"name": fields.pop("name", "回访"), "calls_per_second": 1,
                                                     "max_concurrent": 5, **SCRIPT_VALUES, **fields})
        report = contacts_svc.import_csv(s, settings, campaign, csv_of(numbers, **columns))
        assert not report.errors, report.errors
        svc.start_campaign(s, campaign, settings=settings)
        return campaign.id


def _run(live: Any, seconds: float) -> None:
    for _ in range(int(seconds * 2)):
        live.sim.advance(0.5)
        engine.tick(live.app, followups=False, dispatch=True)


def test_agent_previews_skips_and_dials_a_contact(live, browser):
    for number in NUMBERS[:2]:
        live.sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=2, talk_s=20))
    agent_id = _agent(live, "alice")
    cid = _campaign(live, NUMBERS[:2], name="预览回访", dial_mode="preview", retry_backoff_s=600,
                    csv_columns={"name": ["王建国", "李四"], "note": ["上次投诉噪音", "想换套餐"]})
    _run(live, 5)
    with session_scope(live.app) as s:
        assert s.scalars(select(Attempt).where(Attempt.campaign_id == cid)).first() is None  # waits for a click
    errors: list[str] = []
    page = sign_in(browser, live, "alice", errors)
    assert page.locator("nav a[href='/console/campaigns/preview']").count() == 1  # in the desk menu
    page.goto(f"{live.url}/console/campaigns/preview")
    page.locator("#pv-name", has_text="王建国").wait_for()
    assert page.inner_text("#pv-phone") == mask(NUMBERS[0])  # agents see the number masked
    assert NUMBERS[0] not in page.content()
    assert page.inner_text("#pv-note") == "上次投诉噪音" and page.inner_text("#pv-why")
    page.select_option("#pv-reason", "needs_research")
    page.fill("#pv-note-in", "先查账单")
    page.click("#pv-skip")
    page.locator("#pv-name", has_text="李四").wait_for()  # the skipped one waits for the back-off
    assert "needs_research" in page.inner_text("#pv-result")
    screenshot(page, "preview_dialing")
    page.click("#pv-dial")
    page.locator("#pv-result[data-attempt]").wait_for()
    with session_scope(live.app) as s:
        [attempt] = s.scalars(select(Attempt).where(Attempt.campaign_id == cid))
        skipped = s.scalars(select(Contact).where(Contact.phone == NUMBERS[0], Contact.campaign_id == cid)).one()
        assert attempt.number == NUMBERS[1] and attempt.agent_id == agent_id and attempt.call_sid
        assert skipped.attempts == 0 and "先查账单" in (skipped.reason or "") and skipped.next_attempt_at
        call_sid = attempt.call_sid
    assert live.sim.call(call_sid)["to"] == NUMBERS[1]  # the call reached Twilio (the simulator)
    _run(live, 20)
    with session_scope(live.app) as s:
        assert s.get(Attempt, attempt.id).result == "connected"
    assert errors == []


def test_live_campaign_figures_update_without_reload(live, browser):
    with session_scope(live.app) as s:
        create_user(s, "lin", "lead", "password123", display_name="林班长")
    for number in NUMBERS[:4]:
        live.sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=2, talk_s=60))
    _agent(live, "alice")
    _agent(live, "bob")
    cid = _campaign(live, NUMBERS[:4], name="预测外呼", dial_mode="predictive", retry_backoff_s=600)
    errors: list[str] = []
    page = sign_in(browser, live, "lin", errors, console_errors=False, viewport=(1400, 1200))
    page.goto(f"{live.url}/console/campaigns/{cid}")
    assert page.inner_text("[data-dialing=calls_last_minute]") == "0"
    assert page.inner_text("[data-agents=free]") == "2" and page.inner_text("[data-agents=busy]") == "0"
    assert page.inner_text("[data-dialing-pct=abandon_cap]") == "3.0 %"
    page.evaluate("window.notReloaded = true")
    _run(live, 15)  # two calls placed, answered and connected to both agents
    page.locator("[data-agents=busy]", has_text="2").wait_for(timeout=20_000)
    assert page.inner_text("[data-agents=free]") == "0"
    assert int(page.inner_text("[data-dialing=calls_last_minute]")) >= 2
    assert page.inner_text("[data-dialing=dial_mode]") == "predictive"
    assert page.inner_text("[data-count=dialed]") == "2"
    assert any("no agent is free" in w for w in page.locator("#warnings li").all_inner_texts())
    assert page.evaluate("window.notReloaded") is True  # the same page, updated in place
    screenshot(page, "campaign_live")
    assert errors == []
