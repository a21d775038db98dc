"""In a real browser: the simulator's control API refuses signed-out visitors and agents."""

from __future__ import annotations

import pytest

from core.db import session_scope
from core.users import create_user
from tests.browser import PASSWORD, TIMEOUT_MS, LiveServer, sign_in

pytestmark = pytest.mark.browser


def test_control_api_in_the_browser_signed_out_and_as_an_agent(live: LiveServer, browser) -> None:
    with session_scope(live.app) as s:
        create_user(s, "alice", "agent", PASSWORD, endpoint="client:alice")
        create_user(s, "lin", "lead", PASSWORD)
    from core.telephony.simulator import CallerScript

    live.sim.place_inbound_call("+8613912345678", live.app.config["HOTLINE"].telephony.caller_id,
                                CallerScript.from_cli("", []))
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    signed_out = page.goto(f"{live.url}/simulator/control/calls.json")
    assert signed_out.status == 401
    assert "13912345678" not in page.content()
    context.close()
    errors: list[str] = []
    agent = sign_in(browser, live, "alice", errors, console_errors=False)
    as_agent = agent.goto(f"{live.url}/simulator/control/calls.json")
    assert as_agent.status == 403
    assert "13912345678" not in agent.content()
    lead = sign_in(browser, live, "lin", errors, console_errors=False)
    as_lead = lead.goto(f"{live.url}/simulator/control/calls.json")
    assert as_lead.status == 200 and "+8613912345678" in lead.content()
