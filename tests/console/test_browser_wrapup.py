"""In a real browser: the agent sends keypad tones to the caller from the card, hangs up, and
picks the call's wrap-up result with the keyboard (Alt+W, arrow keys); the `?` overlay lists
both shortcuts. Screenshot: test-artifacts/screenshots/."""

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


def test_keypad_and_wrap_up_result_on_the_card(live: LiveServer, browser: Any) -> None:
    errors: list[str] = []
    with session_scope(live.app) as s:
        create_user(s, "alice", "agent", "password123", display_name="王小丽", agent_code="1007")
    sim = live.sim
    agent = sign_in(browser, live, "alice", errors)
    agent.wait_for_selector("body[data-live=connected]")
    agent.click("[data-presence=available]")
    agent.wait_for_selector("#presence-badge[data-state=available]")
    caller_sid = sim.place_inbound_call("+8613812345678", live.app.config["HOTLINE"].telephony.caller_id,
                                        caller=CallerScript(press=["1"], talk_s=None))
    assert sim.run_until(lambda: any(c["to"] == "client:alice" and c["status"] == "ringing" for c in sim.calls()),
                         max_seconds=120)
    agent.wait_for_selector("#call-card[data-state=ringing]")
    agent.click("#answer-btn")
    leg = next(c["sid"] for c in sim.calls() if c["to"] == "client:alice")
    wait_real(lambda: sim.call(leg)["status"] == "in-progress")
    assert sim.run_until(lambda: bool(sim.call(leg)["bridged_with"]), max_seconds=60)
    agent.wait_for_selector("#call-card[data-state=live]")
    assert agent.is_hidden("#wrapup-form")

    # Keypad: two keys pressed in quick succession go as one string of tones to the caller.
    agent.keyboard.press("Alt+N")
    agent.click("[data-digit='1']")
    agent.click("[data-digit='#']")
    agent.wait_for_selector("#card-message:has-text('1#')")
    sim.advance(3)
    assert [e["digits"] for e in sim.timeline(caller_sid) if e["verb"] == "play" and e.get("digits")] == ["1#"]

    agent.click("#hangup-btn")
    wait_real(lambda: sim.call(leg)["status"] == "completed")  # the click has reached the server
    sim.advance(3)
    agent.wait_for_selector("#call-card[data-state=ended]")
    agent.wait_for_selector("#wrapup-form:not([hidden]) input[value=case_opened]")
    agent.keyboard.press("?")
    overlay = agent.wait_for_selector("#shortcut-help[open]").inner_text()
    assert "Alt+W" in overlay and "Alt+N" in overlay
    agent.keyboard.press("Escape")
    agent.keyboard.press("Alt+W")  # the first code (resolved) has the focus; ↓ moves to the next
    agent.keyboard.press("ArrowDown")
    assert agent.is_checked("#wrapup-codes input[value=case_opened]")
    agent.fill("#wrapup-note", "报修已登记")
    agent.click("#wrapup-form button[type=submit]")
    agent.wait_for_selector("#wrapup-message:has-text('已登记工单')")
    screenshot(agent, "wrapup-result-saved")
    with session_scope(live.app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == caller_sid))
        assert (call.disposition, call.disposition_note) == ("case_opened", "报修已登记")
    assert not errors, errors
    sim.hangup(caller_sid)
