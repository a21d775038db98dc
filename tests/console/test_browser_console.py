"""In a real browser (Debian's chromium via Playwright): an agent signs in, goes
Available, a simulated call arrives and the card shows it, the agent types a forbidden phrase
and sees it flagged with its alternative, inserts a suggestion, saves a repair case, hangs up
into wrap-up; the lead sees the alert. Screenshots: test-artifacts/screenshots/."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from agent_console.alerts import sweep
from core.db import session_scope
from core.models import AuditLog, Case, CaseKind, Presence, User
from core.users import create_user
from tests.browser import LiveServer, screenshot, sign_in
from tests.console.conftest import FORBIDDEN

pytestmark = pytest.mark.browser
TIMEOUT_MS = 15_000



def users(live: LiveServer) -> None:
    with session_scope(live.app) as s:
        create_user(s, "alice", "agent", "password123", display_name="王小丽", agent_code="1007")
        create_user(s, "lin", "lead", "password123", display_name="林班长")


def wait_real(predicate: Any, timeout_s: float = 10.0) -> None:
    """Wait in real time for what a browser click set off on the server."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "the server never did what the click asked"
        time.sleep(0.05)


def presence(live: LiveServer, name: str) -> str:
    with session_scope(live.app) as s:
        return s.scalar(select(User.presence).where(User.name == name))


def test_agent_handles_a_call_in_the_browser_and_the_lead_sees_the_alert(live, browser):
    errors: list[str] = []
    users(live)
    sim = live.sim
    lead = sign_in(browser, live, "lin", errors)
    lead.goto(f"{live.url}/console/lead")
    lead.wait_for_selector("body[data-live=connected]")
    agent = sign_in(browser, live, "alice", errors)
    agent.wait_for_selector("body[data-live=connected]")
    screenshot(agent, "01-signed-in")

    agent.click("[data-presence=available]")  # going Available lets routing connect the next caller
    agent.wait_for_selector("#presence-badge[data-state=available]")

    # A caller phones in from the "Simulate a caller" page (press 1: repair).
    caller_page = lead.context.new_page()
    caller_page.goto(f"{live.url}/console/simulate/")
    caller_page.fill("#sim-from", "+8613812345678")
    caller_page.fill("#sim-press", "1")
    caller_page.fill("#sim-utter", "1 你好,我家3栋201厨房水管漏水了")
    caller_page.click("#sim-form button[type=submit]")
    caller_page.wait_for_selector("#sim-sid:not(:empty)")
    caller_sid = caller_page.inner_text("#sim-sid").strip()
    assert sim.run_until(lambda: any(c["to"] == "client:alice" and c["status"] == "ringing" for c in sim.calls()),
                         max_seconds=120)

    agent.wait_for_selector("#call-card[data-state=ringing]")
    assert "138****5678" in agent.inner_text("#card-ringing")
    screenshot(agent, "02-incoming-call")
    agent.click("#answer-btn")
    leg = next(c["sid"] for c in sim.calls() if c["to"] == "client:alice")
    wait_real(lambda: sim.call(leg)["status"] == "in-progress")  # the click reached the simulator
    assert sim.run_until(lambda: bool(sim.call(leg)["bridged_with"]), max_seconds=60)
    sim.advance(2)  # the caller's first words reach the transcript
    agent.wait_for_selector("#call-card[data-state=live]")
    card = agent.inner_text("#card-call")
    assert "138****5678" in card and "报修" in card and "13812345678" not in card
    agent.wait_for_selector("#transcript .utterance.caller")

    # H6: the caller's surname and district, corrected on the card, fill «X先生/小姐».
    agent.click("details.caller-edit summary")
    agent.fill("#caller-form [name=surname]", "王")
    agent.fill("#caller-form [name=title]", "先生")
    agent.fill("#caller-form [name=district]", "南山区")
    agent.click("#caller-form button[type=submit]")
    agent.wait_for_selector("[data-field=title]:has-text('王先生')")
    assert "南山区" in agent.inner_text("#card-call")

    # The agent types forbidden phrasing: flagged at its characters, the alternative beside it.
    agent.click("#reply")
    agent.keyboard.type(FORBIDDEN)
    flag = agent.wait_for_selector("#flags .flag")
    marked = agent.inner_text("#reply-backdrop mark.forbidden")
    assert marked and marked in FORBIDDEN
    assert "非常抱歉" in flag.inner_text()  # S1's approved reply
    screenshot(agent, "03-forbidden-phrase-flagged")

    # Said on the line (simulator): the live transcript checks it and the lead is alerted.
    agent.click("#speak-btn")
    agent.wait_for_function("() => document.querySelector('#reply').value === ''")  # spoken
    sim.advance(1)
    agent.wait_for_selector("#transcript .utterance.agent.flagged")
    lead.wait_for_selector("#alerts li.forbidden_phrase")
    assert "王小丽" in lead.inner_text("#alerts li.forbidden_phrase")

    # A suggestion appears as the agent types and inserts with a key (Alt+1), or Tab then Enter.
    agent.fill("#reply", "")
    agent.keyboard.type("让您久等了")
    first = agent.wait_for_selector("#suggestions:not([hidden]) li[data-index='0'] .s-text")
    suggestion = first.inner_text()
    screenshot(agent, "04-suggestions")
    agent.keyboard.press("Alt+1")
    agent.wait_for_function("(t) => document.querySelector('#reply').value === t", arg=suggestion)
    agent.fill("#reply", "")
    agent.keyboard.type("让您久等了")
    agent.wait_for_selector("#suggestions:not([hidden]) li")
    agent.keyboard.press("Tab")
    agent.keyboard.press("Enter")
    agent.wait_for_function("() => document.querySelector('#reply').value.length > 10")
    assert agent.query_selector_all("#flags .flag") == []

    # A repair case, linked to the call; it goes to the department's list.
    agent.select_option("#case-kind", "repair")
    agent.fill("#case-place", "3栋201")
    agent.fill("#case-description", "厨房水管漏水,需要上门维修")
    agent.select_option("#case-urgent", "true")
    agent.select_option("#case-department", index=1)
    agent.click("#case-form button[type=submit]")
    ref = agent.wait_for_selector("#case-message[data-ref]").get_attribute("data-ref")
    with session_scope(live.app) as s:
        case = s.scalar(select(Case).where(Case.ref == ref))
        assert case.kind == CaseKind.REPAIR and case.call_id is not None and case.contact_number == "+8613812345678"
        assert case.urgent and case.status == "dispatched"
        case_id = case.id
    screenshot(agent, "05-case-saved")

    # Hold: the caller hears the hold line and the two stop hearing each other; Alt+O resumes.
    agent.click("#hold-btn")
    agent.wait_for_selector("#hold-btn[aria-pressed=true]")
    sim.advance(5)
    assert sim.hears(caller_sid) == set()
    assert any(e["verb"] == "say" and "不要挂断" in e["text"] for e in sim.timeline(caller_sid))
    agent.keyboard.press("Alt+O")
    agent.wait_for_selector("#hold-btn[aria-pressed=false]")
    sim.advance(2)
    assert sim.hears(caller_sid) == {leg}

    # H7: the call timer turns amber at calls.target_s and red at calls.max_s (virtual time here).
    settings = live.app.config["HOTLINE"]
    sim.advance(settings.calls.target_s)
    agent.reload()
    agent.wait_for_selector("#call-timer.amber")
    sim.advance(settings.calls.max_s - settings.calls.target_s)
    agent.reload()
    agent.wait_for_selector("#call-timer.red")
    screenshot(agent, "06-call-over-five-minutes")
    sweep(live.app)  # what the sweeper thread does every few seconds (a lead's page is open)
    lead.wait_for_selector("#alerts li.long_call")  # pushed to the lead's open page (SSE)

    # Hang up into wrap-up.
    agent.click("#hangup-btn")
    agent.wait_for_selector("#presence-badge[data-state=wrap_up]")
    agent.wait_for_selector("#wrapup-timer:not([hidden])")
    assert presence(live, "alice") == Presence.WRAP_UP
    sim.advance(3)
    agent.wait_for_selector("#call-card[data-state=ended]")
    screenshot(agent, "07-wrap-up")

    lead.reload()
    lead.wait_for_selector("#alerts li.forbidden_phrase")
    assert lead.query_selector("#alerts li.long_call")  # H7: the call went past five minutes
    screenshot(lead, "08-lead-live-view")
    lead.goto(f"{live.url}/console/cases?kind=repair")  # H25: a lead reveals the number, audited
    assert "138****5678" in lead.inner_text(f"tr[data-case='{ref}']")
    lead.click(f"tr[data-case='{ref}'] [data-reveal-case]")
    lead.wait_for_selector(f"tr[data-case='{ref}'] >> text=+8613812345678")
    with session_scope(live.app) as s:
        assert s.scalar(select(AuditLog).where(AuditLog.action == "reveal_number")).target == f"case:{case_id}"
    caller_page.wait_for_selector("#sim-log li")
    screenshot(caller_page, "09-simulate-a-caller")
    assert caller_sid.startswith("CA")
    assert errors == []


def test_agents_do_not_see_lead_pages_and_language_switches(live, browser):
    errors: list[str] = []
    users(live)
    agent = sign_in(browser, live, "alice", errors)
    assert agent.query_selector("a[href='/console/lead']") is None
    response = agent.goto(f"{live.url}/console/lead")
    assert response.status == 403
    errors.clear()  # the browser logs the 403 we asked for
    agent.goto(f"{live.url}/console/")
    agent.click("text=English")
    agent.wait_for_selector(".mainnav >> text=Desk")
    assert agent.inner_text("#presence-h") == "Status"
    screenshot(agent, "10-english")
    agent.click("button:has-text('Sign out')")
    agent.wait_for_url(f"{live.url}/console/login")
    assert errors == []
