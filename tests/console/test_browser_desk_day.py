"""The agent's working day in a real browser: the ring (sound and, on a hidden page, a browser
notification), what the ringing card shows before answering (masked number, menu choice,
language, wait, repeat caller / open cases), every call-card shortcut and the "?" help, and the
case form starting clean for the next caller. Screenshots: test-artifacts/screenshots/."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from core.db import session_scope
from core.models import AuditLog, Case, CaseKind, Presence, User
from core.telephony.simulator import CallerScript
from core.users import create_user
from tests.browser import LiveServer, screenshot, sign_in

pytestmark = pytest.mark.browser
NUMBER = "+8613812345678"

# What the test controls in the browser: whether the page counts as hidden (another tab in
# front), and a record of the notifications the page creates (the real Notification still runs).
PAGE_SPY = """
window.__hidden = false;
Object.defineProperty(Document.prototype, "hidden", { configurable: true, get() { return window.__hidden; } });
Object.defineProperty(Document.prototype, "visibilityState", { configurable: true,
  get() { return window.__hidden ? "hidden" : "visible"; } });
window.__notes = [];
if (window.Notification) {
  const Real = window.Notification;
  window.Notification = class extends Real {
    constructor(title, options) { window.__notes.push({ title, body: (options || {}).body || "" }); super(title, options); }
  };
}
"""


def wait_real(predicate: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "the server never did what the browser asked"
        time.sleep(0.05)


def presence(live: LiveServer, name: str) -> str:
    with session_scope(live.app) as s:
        return s.scalar(select(User.presence).where(User.name == name))


def desk_page(browser: Any, live: LiveServer, name: str, errors: list[str]) -> Any:
    page = sign_in(browser, live, name, errors)
    page.context.grant_permissions(["notifications"], origin=live.url)
    page.add_init_script(PAGE_SPY)
    page.reload()
    page.wait_for_selector("body[data-live=connected]")
    page.click("[data-presence=available]")  # a click: the browser now allows the ring's sound
    page.wait_for_selector("#presence-badge[data-state=available]")
    return page


def phone_in(live: LiveServer, press: str = "1") -> str:
    return live.sim.place_inbound_call(NUMBER, live.app.config["HOTLINE"].telephony.caller_id,
                                       caller=CallerScript(press=[press], talk_s=None))


def ring_for(live: LiveServer, endpoint: str) -> None:
    assert live.sim.run_until(lambda: any(c["to"] == endpoint and c["status"] == "ringing" for c in live.sim.calls()),
                              max_seconds=120), f"{endpoint} never rang"


def bridged(live: LiveServer, endpoint: str) -> None:
    leg = next(c["sid"] for c in reversed(live.sim.calls()) if c["to"] == endpoint)
    wait_real(lambda: live.sim.call(leg)["status"] == "in-progress")
    assert live.sim.run_until(lambda: bool(live.sim.call(leg)["bridged_with"]), max_seconds=60)


def test_ring_card_details_shortcuts_and_a_clean_case_form(live, browser):
    errors: list[str] = []
    with session_scope(live.app) as s:
        create_user(s, "alice", "agent", "password123", display_name="王小丽", agent_code="1007")
    agent = desk_page(browser, live, "alice", errors)
    volume = live.app.config["HOTLINE"].console.ring_volume

    # First call: the ring plays at the configured volume; the card shows what the caller chose.
    phone_in(live)
    ring_for(live, "client:alice")
    agent.wait_for_selector("#call-card[data-state=ringing]")
    agent.wait_for_selector("body[data-ring=playing]")
    assert agent.evaluate("() => { const a = document.getElementById('ring-audio'); return [a.paused, a.volume, a.loop]; }") \
        == [False, pytest.approx(volume), True]
    ringing = agent.inner_text("#card-ringing")
    assert "138****5678" in ringing and NUMBER[1:] not in ringing
    assert "报修" in agent.inner_text("[data-field=ring-menu]") and "中文" in agent.inner_text("[data-field=ring-locale]")
    assert agent.query_selector("#ring-badges [data-badge]") is None  # a first-time caller
    assert agent.evaluate("() => window.__notes.length") == 0  # the page is in front: sound only
    # The Alt+A hint is readable: white on a dark chip inside the blue button.
    kbd = agent.evaluate("""() => { const s = getComputedStyle(document.querySelector('#answer-btn kbd'));
        return [s.color, s.backgroundColor]; }""")
    assert kbd[0] == "rgb(255, 255, 255)" and kbd[1] != "rgb(246, 248, 250)"

    agent.keyboard.press("Alt+a")  # answer
    bridged(live, "client:alice")
    agent.wait_for_selector("#call-card[data-state=live]")
    agent.wait_for_selector("body[data-ring=off]")

    agent.keyboard.press("Alt+e")  # edit the caller's details
    agent.wait_for_function("() => document.getElementById('caller-edit').open && "
                            "document.activeElement.name === 'surname'")
    agent.keyboard.press("Alt+r")  # to the reply box
    agent.wait_for_function("() => document.activeElement.id === 'reply'")
    agent.keyboard.type("您好,请问有什么可以帮您")
    agent.keyboard.press("Alt+k")  # say it (simulator)
    agent.wait_for_function("() => document.querySelector('#reply').value === ''")
    agent.keyboard.press("Alt+c")  # to the case form
    agent.wait_for_function("() => document.activeElement.id === 'case-kind'")
    agent.select_option("#case-kind", "complaint")
    agent.select_option("#case-urgent", "true")
    agent.select_option("#case-department", index=1)
    agent.fill("#case-description", "对维修结果不满意")
    agent.keyboard.press("Alt+s")  # save the case
    ref = agent.wait_for_selector("#case-message[data-ref]").get_attribute("data-ref")
    with session_scope(live.app) as s:
        assert s.scalar(select(Case.kind).where(Case.ref == ref)) == CaseKind.COMPLAINT
    assert agent.eval_on_selector("#case-kind", "e => e.value") == "routine"  # saved: the form is clean again
    screenshot(agent, "desk-day-on-a-call")

    # The agent starts another case, does not save it, asks for a manager, then hangs up.
    agent.select_option("#case-kind", "repair")
    agent.select_option("#case-urgent", "true")
    agent.select_option("#case-department", index=2)
    agent.keyboard.press("Alt+m")
    agent.wait_for_function("() => document.querySelector('#card-message').textContent.length > 0")
    agent.keyboard.press("Alt+h")
    agent.wait_for_selector("#presence-badge[data-state=wrap_up]")
    assert presence(live, "alice") == Presence.WRAP_UP
    live.sim.advance(2)
    agent.wait_for_selector("#call-card[data-state=ended]")
    screenshot(agent, "desk-day-after-the-call")

    # Second call from the same number, with the desk in a background tab: a notification.
    agent.click("[data-presence=available]")
    agent.wait_for_selector("#presence-badge[data-state=available]")
    agent.evaluate("() => { window.__hidden = true; document.dispatchEvent(new Event('visibilitychange')); }")
    phone_in(live, press="2")
    ring_for(live, "client:alice")
    agent.wait_for_selector("#call-card[data-state=ringing]")
    agent.wait_for_selector("body[data-ring=playing]")
    agent.wait_for_function("() => window.__notes.length === 1")
    note = agent.evaluate("() => window.__notes[0]")
    assert "138****5678" in note["body"] and NUMBER[1:] not in note["body"]
    assert "中文" in note["body"] and "再次来电" in note["body"] and "未结工单" in note["body"]
    assert agent.inner_text("[data-badge=repeat]").startswith("再次来电")
    assert agent.inner_text("[data-badge=open-cases]").strip().endswith(("1", "2"))  # the complaint (+ call-back)
    # The ringing card's wait ticks without a server update.
    first = agent.inner_text("#ring-wait")
    agent.wait_for_function("(t) => document.querySelector('#ring-wait').textContent !== t", arg=first)
    # Nothing of the last caller's unsaved case is carried over to this one.
    assert agent.eval_on_selector("#case-kind", "e => e.value") == "routine"
    assert agent.eval_on_selector("#case-urgent", "e => e.value") == "false"
    assert agent.eval_on_selector("#case-department", "e => e.value") == ""
    agent.evaluate("() => { window.__hidden = false; }")
    screenshot(agent, "desk-day-ringing")

    # "?" lists every shortcut of the card.
    agent.keyboard.press("?")
    agent.wait_for_selector("#shortcut-help[open]")
    keys = agent.eval_on_selector_all("#shortcut-help tr[data-keys]", "rows => rows.map(r => r.dataset.keys)")
    assert {"Alt+A", "Alt+H", "Alt+M", "Alt+E", "Alt+R", "Alt+K", "Alt+C", "Alt+S", "?"} <= set(keys)
    assert "Alt+V" not in keys  # Reveal is for leads only
    agent.keyboard.press("Escape")
    agent.wait_for_selector("#shortcut-help:not([open])", state="attached")
    agent.keyboard.press("Alt+a")
    bridged(live, "client:alice")
    agent.wait_for_selector("#call-card[data-state=live]")
    assert agent.evaluate("() => window.__notes.length") == 1
    assert errors == []


def test_a_lead_reveals_the_number_with_a_shortcut_and_sees_roles_in_chinese(live, browser):
    errors: list[str] = []
    with session_scope(live.app) as s:
        create_user(s, "lin", "lead", "password123", display_name="林班长", endpoint="client:lin")
        create_user(s, "alice", "agent", "password123", display_name="王小丽")
    lead = desk_page(browser, live, "lin", errors)
    phone_in(live)
    ring_for(live, "client:lin")
    lead.wait_for_selector("#call-card[data-state=ringing]")
    lead.keyboard.press("Alt+a")
    bridged(live, "client:lin")
    lead.wait_for_selector("#call-card[data-state=live]")
    lead.keyboard.press("Alt+v")
    lead.wait_for_selector(f"[data-field=phone]:has-text('{NUMBER}')")
    with session_scope(live.app) as s:
        assert s.scalar(select(AuditLog.action).where(AuditLog.action == "reveal_number")) == "reveal_number"
    lead.keyboard.press("?")
    assert "Alt+V" in lead.eval_on_selector_all("#shortcut-help tr[data-keys]", "rows => rows.map(r => r.dataset.keys)")
    lead.keyboard.press("Escape")
    live_view = lead.context.new_page()
    live_view.goto(f"{live.url}/console/lead")
    live_view.wait_for_selector("tr[data-agent=alice] [data-role=agent]")
    assert live_view.inner_text("tr[data-agent=alice] [data-role=agent]") == "坐席"
    assert live_view.inner_text("tr[data-agent=lin] [data-role=lead]") == "班长"
    assert "(H" not in live_view.inner_text("main") and "(H" not in lead.inner_text("main")
    assert errors == []


def test_the_ring_is_a_wav_served_by_the_app(app, client, make_user):
    import io
    import wave

    from tests.console.helpers import login

    make_user("alice", role="agent")
    login(client, "alice")
    response = client.get("/console/ring.wav")
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    with wave.open(io.BytesIO(response.data)) as wav:
        assert wav.getnchannels() == 1 and wav.getnframes() / wav.getframerate() > 0.5
    page = client.get("/console/").get_data(as_text=True)
    assert 'id="ring-audio"' in page and '"ring_volume": 0.6' in page


def test_the_queue_panel_longest_wait_ticks(live, browser):
    errors: list[str] = []
    with session_scope(live.app) as s:
        create_user(s, "alice", "agent", "password123", display_name="王小丽")
    agent = sign_in(browser, live, "alice", errors)
    agent.wait_for_selector("body[data-live=connected]")
    sid = phone_in(live)  # nobody is available: the caller waits in line
    # the virtual clock runs until the caller is in line; the page then has real time to hear of it
    assert live.sim.run_until(lambda: any(e["verb"] == "wait" for e in live.sim.timeline(sid)), max_seconds=60)
    agent.wait_for_function("() => document.querySelector('#queue-summary').dataset.size === '1'", timeout=15000)
    first = agent.inner_text("#queue-summary")
    assert "1 位等待" in first
    agent.wait_for_function("(t) => document.querySelector('#queue-summary').textContent !== t", arg=first)
    assert errors == []
