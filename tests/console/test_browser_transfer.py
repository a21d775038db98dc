"""In the browser: an agent holds the caller, resumes, then transfers the call warm to the lead
(consult, three-way, complete); the lead's console shows the call, the agent's shows it over."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from core.db import session_scope
from core.models import Call
from core.telephony.simulator import CallerScript
from core.users import create_user
from tests.browser import LiveServer, screenshot, sign_in

pytestmark = pytest.mark.browser


def wait_real(predicate: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "the server never did what the click asked"
        time.sleep(0.05)


def ringing_leg(live: LiveServer, endpoint: str) -> str | None:
    return next((c["sid"] for c in live.sim.calls() if c["to"] == endpoint and c["status"] == "ringing"), None)


def lead_rings(live: LiveServer) -> bool:
    """The app heard that the lead's transfer leg rings (its status callback arrived)."""
    with session_scope(live.app) as s:
        return s.scalar(select(Call).where(Call.purpose == "transfer", Call.status == "ringing")) is not None


def test_agent_holds_resumes_and_transfers_to_the_lead(live, browser):
    errors: list[str] = []
    with session_scope(live.app) as s:
        create_user(s, "alice", "agent", "password123", display_name="王小丽", agent_code="1007")
        create_user(s, "lin", "lead", "password123", display_name="林班长")
    sim = live.sim
    agent = sign_in(browser, live, "alice", errors)
    agent.wait_for_selector("body[data-live=connected]")
    agent.click("[data-presence=available]")
    agent.wait_for_selector("#presence-badge[data-state=available]")
    caller_sid = sim.place_inbound_call("+8613812345678", live.app.config["HOTLINE"].telephony.caller_id,
                                        caller=CallerScript(press=["1"], talk_s=None))
    assert sim.run_until(lambda: ringing_leg(live, "client:alice") is not None, max_seconds=120)
    leg = ringing_leg(live, "client:alice")
    agent.wait_for_selector("#call-card[data-state=ringing]")
    agent.click("#answer-btn")
    wait_real(lambda: sim.call(leg)["status"] == "in-progress")
    assert sim.run_until(lambda: bool(sim.call(leg)["bridged_with"]), max_seconds=60)
    agent.wait_for_selector("#call-card[data-state=live]")

    # hold, then resume
    agent.click("#hold-btn")
    agent.wait_for_selector("#hold-btn[aria-pressed=true]")
    sim.advance(5)
    assert sim.hears(caller_sid) == set()
    agent.keyboard.press("Alt+O")
    agent.wait_for_selector("#hold-btn[aria-pressed=false]")
    sim.advance(2)
    assert sim.hears(caller_sid) == {leg}

    # the lead comes on duty; the ? overlay lists the transfer shortcut
    lead = sign_in(browser, live, "lin", errors)
    lead.wait_for_selector("body[data-live=connected]")
    lead.click("[data-presence=available]")
    lead.wait_for_selector("#presence-badge[data-state=available]")
    agent.keyboard.press("?")
    assert "Alt+T" in agent.inner_text("#shortcut-help")
    agent.keyboard.press("Escape")

    # warm transfer: Alt+T opens the panel, pick the lead, start
    agent.reload()
    agent.wait_for_selector("#call-card[data-state=live]")
    agent.keyboard.press("Alt+T")
    agent.wait_for_selector("#transfer[open]")
    agent.select_option("#transfer-to", "lead")
    agent.click("#transfer-start")
    agent.wait_for_selector("#transfer-steps:not([hidden])")
    assert sim.run_until(lambda: lead_rings(live), max_seconds=60)
    lead_leg = ringing_leg(live, "client:lin")
    lead.wait_for_selector("#call-card[data-state=ringing]")
    lead.click("#answer-btn")
    wait_real(lambda: sim.call(lead_leg)["status"] == "in-progress")
    sim.advance(2)
    assert sim.hears(leg) == {lead_leg} and sim.hears(caller_sid) == set()  # consult; the caller holds
    agent.wait_for_selector("#transfer-join:not([disabled])")
    screenshot(agent, "transfer-01-consult")
    agent.click("#transfer-join")
    wait_real(lambda: sim.hears(caller_sid) == {leg, lead_leg})  # three-way
    agent.wait_for_selector("#transfer-join[disabled]")
    agent.click("#transfer-complete")
    wait_real(lambda: sim.advance(0.5) or sim.call(leg)["ended"])  # removed; its leg hangs up
    sim.advance(2)
    assert sim.hears(caller_sid) == {lead_leg}
    agent.wait_for_selector("#call-card[data-state=ended]")
    lead.wait_for_selector("#call-card[data-state=live]")
    assert "138****5678" in lead.inner_text("#card-call")
    screenshot(lead, "transfer-02-lead-has-the-call")
    with session_scope(live.app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == caller_sid))
        assert call is not None and call.agent.name == "lin"
    sim.hangup(caller_sid)
    sim.run_until_idle(60)
    assert errors == []
