"""The lead runs a campaign from the console in a real browser (Debian's chromium via Playwright):
create it, upload a CSV with a bad row and read the per-row report and the explain panel, start
it, and watch the progress bar move as the simulator's calls complete. Screenshot in
test-artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.db import session_scope
from core.telephony.simulator import Behaviour
from core.users import create_user
from scheduler import engine
from tests.browser import screenshot, sign_in

from .conftest import NUMBERS

pytestmark = pytest.mark.browser



def test_lead_runs_a_campaign_in_the_browser(live, browser, tmp_path: Path):
    with session_scope(live.app) as s:
        create_user(s, "lin", "lead", "password123", display_name="林班长")
    for number in NUMBERS[:3]:
        live.sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=2, press=["1", "1", "1"]))
    errors: list[str] = []
    page = sign_in(browser, live, "lin", errors, console_errors=False, viewport=(1400, 1200))
    page.click("text=外呼活动")
    page.fill("#f-name", "漏水回访")
    page.fill("#f-agent_code", "1024")
    page.fill("#f-agent_surname", "林")
    page.fill("#f-context", "result=已更换水管\ndate=5月1日\nissue=厨房漏水")
    page.click("form.campaign-form button[type=submit]")
    page.wait_for_selector("#h-upload")
    csv = tmp_path / "contacts.csv"
    csv.write_text("phone,name,title\n" + "\n".join(f"{n},客户{i},王先生" for i, n in enumerate(NUMBERS[:3]))
                   + "\n12345,坏号码,\n", encoding="utf-8")
    page.set_input_files("#file", str(csv))
    page.click("#h-upload ~ form button[type=submit]")
    page.wait_for_selector("#report")
    assert page.inner_text("[data-report=imported]") == "3"
    assert "5" in page.inner_text("table.errors") and "phone" in page.inner_text("table.errors")
    assert page.inner_text("[data-blocked=ready]") == "3"  # before the start: all would be dialed
    assert "draft" in page.inner_text("table.contacts")
    page.click("button[value=start]")
    page.wait_for_selector("text=已开始")
    for _ in range(120):  # the simulated calls run on the virtual clock; the page polls
        live.sim.advance(1)
        engine.tick(live.app, followups=False, dispatch=False)
    # the page polls progress.json every 2 s: the bar reaches 100 % without a reload
    page.locator("#pct", has_text="100.0").wait_for(timeout=15_000)
    assert page.inner_text("[data-count=completed]") == "3"
    screenshot(page, "campaign_detail")
    page.reload()
    assert page.inner_text("#c-status") == "completed"
    assert page.locator("td.why", has_text="reached").count() == 3
    assert errors == []
