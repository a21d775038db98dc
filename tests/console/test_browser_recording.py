"""Recordings in a real browser: the agent pauses and resumes the call's recording from the call
card (Alt+P), and the lead plays the finished recording on the case page through the console's
proxy (a WAV the browser decodes; the play is audited)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core.cases import open_case
from core.db import session_scope
from core.models import AuditLog, Call
from core.users import create_user
from ivr.recording_models import Recording
from tests.browser import LiveServer, serve, sign_in
from tests.console.test_browser_desk_day import bridged, phone_in, ring_for, wait_real

pytestmark = pytest.mark.browser


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    yield from serve(tmp_path, database_url, {"recording": {"enabled": True}})


def _status(live: LiveServer, sid: str) -> str | None:
    with session_scope(live.app) as s:
        return s.scalar(select(Recording.status).where(Recording.call_sid == sid))


@pytest.mark.timeout(300)
def test_agent_pauses_the_recording_and_the_lead_plays_it(live, browser):
    errors: list[str] = []
    with session_scope(live.app) as s:
        create_user(s, "alice", "agent", "password123", agent_code="1007", endpoint="client:alice")
        create_user(s, "lena", "lead", "password123")
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
    assert live.sim.run_until(lambda: _status(live, sid) == "in-progress", max_seconds=10)

    agent.keyboard.press("Alt+p")
    agent.wait_for_function("() => document.getElementById('recording-btn').dataset.paused === '1'")
    wait_real(lambda: _status(live, sid) == "paused")
    live.sim.advance(15)
    agent.keyboard.press("Alt+p")
    agent.wait_for_function("() => !document.getElementById('recording-btn').dataset.paused")
    wait_real(lambda: _status(live, sid) == "in-progress")
    live.sim.advance(20)
    agent.keyboard.press("Alt+h")
    agent.wait_for_selector("#presence-badge[data-state=wrap_up]")
    assert live.sim.run_until(lambda: _status(live, sid) == "completed", max_seconds=60)

    with session_scope(live.app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == sid))
        ref = open_case(s, live.app.config["HOTLINE"], kind="repair", description="漏水", call_id=call.id).ref
    lead = sign_in(browser, live, "lena", errors)
    lead.goto(f"{live.url}/console/cases/{ref}")
    audio = lead.wait_for_selector("[data-recordings] audio")
    assert audio.get_attribute("src").startswith("/console/recordings/RE")
    lead.eval_on_selector("[data-recordings] audio", "a => { a.preload = 'auto'; a.load(); }")
    lead.wait_for_function("() => { const a = document.querySelector('[data-recordings] audio'); "
                           "return a.readyState >= 1 && a.duration > 15; }")
    with session_scope(live.app) as s:
        lena = s.scalar(select(AuditLog.user_id).where(AuditLog.action == "recording_played"))
        assert lena is not None
    assert not errors
