"""Supervision in a real browser: on a live simulated call the lead's page clicks Listen,
Whisper, Barge and Leave; the page shows each mode (from the room's participant events, also
after a reload), the simulator confirms who hears whom, and the agent's card shows the lead
coaching / joined — but not silent listening."""

from __future__ import annotations

from typing import Any

import pytest

from core.db import session_scope
from core.users import create_user
from tests.browser import LiveServer, screenshot, sign_in
from tests.console.test_browser_desk_day import bridged, phone_in, ring_for, wait_real

pytestmark = pytest.mark.browser


def _lead_leg(live: LiveServer, sid: str) -> str | None:
    try:
        participants = live.sim.conference(f"call-{sid}")["participants"]
    except KeyError:
        return None
    return next((p for p, d in participants.items() if d["label"] == "lead"), None)


def _heard(live: LiveServer, sid: str) -> list[str]:
    return [e["text"] for e in live.sim.timeline(sid) if e["verb"] == "heard"]


def _mode(page: Any, mode: str) -> None:
    page.wait_for_selector(f"[data-supervise-call] [data-supervise={mode}][aria-pressed=true]")
    page.wait_for_selector(f"#supervise-status[data-supervision={mode}]")


def _settle(live: LiveServer) -> None:
    """Let the deferred Participants request reach the simulator, then the room's events come."""
    live.sim.advance(3)


@pytest.mark.timeout(300)
def test_the_lead_listens_whispers_barges_and_leaves(live, browser):
    errors: list[str] = []
    with session_scope(live.app) as s:
        create_user(s, "alice", "agent", "password123", agent_code="1007", endpoint="client:alice")
        create_user(s, "lena", "lead", "password123", endpoint="client:lena")
    agent = sign_in(browser, live, "alice", errors)
    agent.wait_for_selector("body[data-live=connected]")
    agent.click("[data-presence=available]")
    agent.wait_for_selector("#presence-badge[data-state=available]")
    sid = phone_in(live)
    ring_for(live, "client:alice")
    agent.wait_for_selector("#call-card[data-state=ringing]")
    agent.keyboard.press("Alt+a")
    bridged(live, "client:alice")
    agent.wait_for_selector("#call-card[data-state=live]")
    agent_leg = next(c["sid"] for c in live.sim.calls() if c["to"] == "client:alice")

    lead = sign_in(browser, live, "lena", errors)
    lead.goto(f"{live.url}/console/lead")
    lead.wait_for_selector("body[data-live=connected]")
    lead.click("[data-supervise-call] [data-supervise=listen]")
    wait_real(lambda: any(c["to"] == "client:lena" for c in live.sim.calls()))  # dialed after the answer
    live.sim.advance(5)  # the lead's phone picks up (the click was the answer) and joins the room
    leg = _lead_leg(live, sid)
    assert leg is not None
    _mode(lead, "listen")
    assert live.sim.hears(leg) == {sid, agent_leg} and live.sim.hears(sid) == {agent_leg}
    assert agent.get_attribute("#supervised-badge", "hidden") is not None  # silent listening: not shown
    lead.reload()  # the mode is the server's, not the page's memory
    lead.wait_for_selector("body[data-live=connected]")
    lead.wait_for_selector("[data-supervise-call] [data-supervise=listen][aria-pressed=true]")

    lead.click("[data-supervise-call] [data-supervise=whisper]")
    wait_real(lambda: live.sim.hears(agent_leg) == {sid, leg})
    _settle(live)
    _mode(lead, "whisper")
    agent.wait_for_selector("#supervised-badge[data-supervised=whisper]")
    assert "辅导" in agent.inner_text("#supervised-badge")
    live.sim.speak(leg, "请先问城区")
    assert "请先问城区" in _heard(live, agent_leg) and "请先问城区" not in _heard(live, sid)
    screenshot(lead, "lead-supervise-whisper")
    screenshot(agent, "agent-being-coached")

    lead.click("[data-supervise-call] [data-supervise=barge]")
    wait_real(lambda: live.sim.hears(sid) == {agent_leg, leg})
    _settle(live)
    _mode(lead, "barge")
    agent.wait_for_selector("#supervised-badge[data-supervised=barge]")
    live.sim.speak(leg, "我是班长")
    assert "我是班长" in _heard(live, sid) and "我是班长" in _heard(live, agent_leg)

    lead.click("[data-supervise-call] [data-supervise=leave]")
    wait_real(lambda: _lead_leg(live, sid) is None)  # taken out of the room …
    _settle(live)
    assert live.sim.call(leg)["status"] == "completed"  # … and its leg hung up
    lead.wait_for_selector("[data-supervise-call][data-supervision='']")
    agent.wait_for_selector("#supervised-badge[hidden]", state="attached")
    assert live.sim.call(sid)["status"] == "in-progress" and live.sim.hears(sid) == {agent_leg}
    assert not errors
