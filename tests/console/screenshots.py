"""Screenshots for docs/console-guide.md, in Chinese and English, taken with Playwright on
Debian's chromium against the real app (simulator, throw-away SQLite databases):

    python -m tests.console.screenshots            # writes docs/screenshots/*.png

The agent's desk ringing (a repeat caller with an open case), on the call, after the call; the
lead's live view; the wallboard and the monthly report on the seeded day of the report tests.
"""

from __future__ import annotations

import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core import clock
from core.db import session_scope
from core.models import User
from core.telephony.simulator import CallerScript
from core.users import create_user
from tests.browser import ARGS, CHROMIUM, PASSWORD, serve
from tests.reports.seed import local, seed_day

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
NUMBER = "+8613812345678"
LANGS = ("zh-CN", "en")


@contextmanager
def server(name: str) -> Any:
    """The real app on a free port with a throw-away SQLite database (serve() of the tests)."""
    with tempfile.TemporaryDirectory(prefix=f"hotline-shots-{name}-") as tmp:
        tmp_path = Path(tmp)
        running = serve(tmp_path, f"sqlite:///{tmp_path / 'hotline.db'}")
        live = next(running)
        try:
            yield live
        finally:
            running.close()  # serve()'s own clean-up: SSE streams, server, simulator, clock


def page_for(browser: Any, live: Any, name: str, lang: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=lang)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(f"{live.url}/console/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/console/")
    page.goto(f"{live.url}/console/lang/{lang}?next=/console/")
    page.wait_for_selector("body[data-live=connected]")
    return page


def shot(page: Any, name: str, lang: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(400)
    page.screenshot(path=str(OUT / f"{name}-{lang}.png"), full_page=False)


def phone_in(live: Any, press: str) -> None:
    live.sim.place_inbound_call(NUMBER, live.app.config["HOTLINE"].telephony.caller_id,
                                caller=CallerScript(press=[press], talk_s=None,
                                                    say=["你好,我家3栋201厨房水管漏水了"]))


def wait_status(live: Any, endpoint: str, status: str) -> str:
    sim = live.sim
    assert sim.run_until(lambda: any(c["to"] == endpoint and c["status"] == status for c in sim.calls()),
                         max_seconds=120)
    return next(c["sid"] for c in reversed(sim.calls()) if c["to"] == endpoint)


def answered(live: Any, endpoint: str) -> str:
    """After the Answer click: wait in real time for the leg to be answered, then bridge it."""
    sim = live.sim
    leg = next(c["sid"] for c in reversed(sim.calls()) if c["to"] == endpoint)
    deadline = time.monotonic() + 20
    while sim.call(leg)["status"] != "in-progress":
        assert time.monotonic() < deadline, "the Answer click never reached the simulator"
        time.sleep(0.05)
    assert sim.run_until(lambda: bool(sim.call(leg)["bridged_with"]), max_seconds=60)
    return leg


def desk_day(browser: Any, lang: str) -> None:
    with server(f"desk-{lang}") as live:
        with session_scope(live.app) as s:
            create_user(s, "alice", "agent", PASSWORD, display_name="王小丽" if lang != "en" else "Alice Wang",
                        agent_code="1007")
            create_user(s, "lin", "lead", PASSWORD, display_name="林班长" if lang != "en" else "Lin (lead)",
                        agent_code="1001")
        agent = page_for(browser, live, "alice", lang)
        agent.click("[data-presence=available]")
        # A first call, with a case left open, makes the next call a repeat caller.
        phone_in(live, "1")
        wait_status(live, "client:alice", "ringing")
        agent.wait_for_selector("#call-card[data-state=ringing]")
        agent.click("#answer-btn")
        answered(live, "client:alice")
        agent.select_option("#case-kind", "repair")
        agent.fill("#case-place", "3栋201")
        agent.fill("#case-description", "厨房水管漏水,需要上门维修" if lang != "en" else "Kitchen pipe leaking, needs a visit")
        agent.select_option("#case-department", index=1)
        agent.click("#case-form button[type=submit]")
        agent.wait_for_selector("#case-message[data-ref]")
        agent.click("#hangup-btn")
        agent.wait_for_selector("#presence-badge[data-state=wrap_up]")
        live.sim.advance(2)
        agent.click("[data-presence=available]")
        lead = page_for(browser, live, "lin", lang)
        lead.goto(f"{live.url}/console/lead")

        phone_in(live, "1")
        wait_status(live, "client:alice", "ringing")
        live.sim.advance(12)
        agent.wait_for_selector("#call-card[data-state=ringing]")
        agent.wait_for_selector("#ring-badges [data-badge=open-cases]")
        shot(agent, "console-ringing", lang)
        agent.click("#answer-btn")
        answered(live, "client:alice")
        live.sim.advance(3)
        agent.wait_for_selector("#call-card[data-state=live]")
        agent.click("#reply")
        agent.keyboard.type("您好,顺创客服部,请问您贵姓?" if lang != "en" else "Hello, Customer Service, may I have your name?")
        agent.select_option("#case-kind", "repair")
        live.sim.advance(65)
        agent.reload()
        agent.wait_for_selector("#call-card[data-state=live]")
        shot(agent, "console-on-a-call", lang)
        lead.wait_for_selector("tr[data-agent=alice]")
        shot(lead, "lead-live-view", lang)
        agent.click("#hangup-btn")
        agent.wait_for_selector("#presence-badge[data-state=wrap_up]")
        live.sim.advance(2)
        agent.wait_for_selector("#call-card[data-state=ended]")
        agent.keyboard.press("?")
        shot(agent, "console-shortcuts", lang)
        agent.keyboard.press("Escape")
        shot(agent, "console-after-the-call", lang)
        agent.context.close()
        lead.context.close()


def lead_reports(browser: Any, lang: str) -> None:
    with server(f"reports-{lang}") as live:
        with session_scope(live.app) as s:
            create_user(s, "lin", "lead", PASSWORD, display_name="林班长", agent_code="L01")
            alice, _, _ = create_user(s, "alice", "agent", PASSWORD, display_name="Alice 王", agent_code="A01")
            bob, _, _ = create_user(s, "bob", "agent", PASSWORD, display_name="Bob 李", agent_code="B02")
            alice.presence, bob.presence = "available", "busy"
            seed_day(s, alice, bob)
        clock.follow(lambda: 0.0, start=local(15, 40), app=live.app)
        with session_scope(live.app) as s:
            for user in s.scalars(select(User).where(User.name.in_(("alice", "bob")))):
                user.presence_since = local(15, 31) if user.name == "alice" else local(15, 37)
        lead = page_for(browser, live, "lin", lang)
        lead.goto(f"{live.url}/console/wallboard")
        lead.wait_for_selector("body[data-wallboard-updated]")
        shot(lead, "wallboard", lang)
        lead.goto(f"{live.url}/console/reports/monthly/2026-11")
        lead.wait_for_selector('canvas[data-chart="satisfaction"][data-rendered="1"]')
        lead.set_viewport_size({"width": 1280, "height": 1500})
        shot(lead, "monthly-report", lang)
        lead.goto(f"{live.url}/console/reports?from=2026-11-20&to=2026-11-20")
        lead.wait_for_selector('canvas[data-chart="daily"][data-rendered="1"]')
        shot(lead, "reports", lang)
        lead.context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for lang in LANGS:
                desk_day(browser, lang)
                lead_reports(browser, lang)
        finally:
            browser.close()
    print(f"screenshots in {OUT} ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
