"""What the caller says drives the agent's suggestions (in a real browser): the caller's
transcribed «我要找你们经理» puts the manager-transfer replies (S7, H11) on the agent's card
while the reply box is still empty, and typing takes the suggestions over again."""

from __future__ import annotations

import pytest

from core.db import session_scope
from core.users import create_user
from tests.browser import screenshot, sign_in
from tests.console.test_browser_console import wait_real

pytestmark = pytest.mark.browser


def test_a_caller_utterance_drives_the_suggestions(live, browser):
    errors: list[str] = []
    with session_scope(live.app) as s:
        create_user(s, "alice", "agent", "password123", display_name="王小丽", agent_code="1007")
    sim = live.sim
    agent = sign_in(browser, live, "alice", errors)
    agent.wait_for_selector("body[data-live=connected]")
    agent.click("[data-presence=available]")
    agent.wait_for_selector("#presence-badge[data-state=available]")

    caller_page = agent.context.new_page()
    caller_page.goto(f"{live.url}/console/simulate/")
    caller_page.fill("#sim-from", "+8613812345678")
    caller_page.fill("#sim-press", "3")
    caller_page.fill("#sim-utter", "1 我要找你们经理")
    caller_page.click("#sim-form button[type=submit]")
    caller_page.wait_for_selector("#sim-sid:not(:empty)")
    assert sim.run_until(lambda: any(c["to"] == "client:alice" and c["status"] == "ringing" for c in sim.calls()),
                         max_seconds=120)
    agent.wait_for_selector("#call-card[data-state=ringing]")
    agent.click("#answer-btn")
    leg = next(c["sid"] for c in sim.calls() if c["to"] == "client:alice")
    wait_real(lambda: sim.call(leg)["status"] == "in-progress")  # the click reached the simulator
    assert sim.run_until(lambda: bool(sim.call(leg)["bridged_with"]), max_seconds=60)
    agent.wait_for_selector("#call-card[data-state=live]")
    assert agent.input_value("#reply") == ""
    suggestions = agent.query_selector("#suggestions")
    assert suggestions.is_hidden()

    sim.advance(3)  # the caller's words reach the transcript and, with them, the suggestions
    agent.wait_for_selector("#transcript .utterance.caller:has-text('我要找你们经理')")
    agent.wait_for_selector("#suggestions[data-source=caller]:not([hidden]) li")
    shown = agent.inner_text("#suggestions")
    assert "管理人员" in shown and "S7" in shown  # the H11 replies: a manager calls back / takes the call
    assert agent.input_value("#reply") == ""  # the agent typed nothing
    screenshot(agent, "caller-drives-suggestions")

    agent.click("#reply")
    agent.keyboard.press("Alt+1")  # the first reply inserts like any suggestion
    agent.wait_for_function("() => document.querySelector('#reply').value.includes('管理人员')")
    agent.fill("#reply", "")
    agent.keyboard.type("让您久等了")  # typing takes over
    agent.wait_for_selector("#suggestions[data-source=agent]:not([hidden]) li")
    assert errors == []
