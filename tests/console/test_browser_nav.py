"""The top bar fits one row on a 1280 px screen for a team lead (who sees the most pages), in
Chinese and English, measured from the rendered page; its drop-downs open and lead to pages."""

from __future__ import annotations

import pytest

from core.db import session_scope
from core.users import create_user
from tests.browser import screenshot, sign_in

pytestmark = pytest.mark.browser

MEASURE = """() => {
  const bar = document.querySelector('header.topbar').getBoundingClientRect();
  const tops = Array.from(document.querySelectorAll('.mainnav > ul > li')).map((li) => Math.round(li.getBoundingClientRect().top));
  const item = document.querySelector('.mainnav > ul > li').getBoundingClientRect();
  const parts = ['.brand', '.mainnav', '.userbox'].map((s) => document.querySelector(s).getBoundingClientRect());
  return { barHeight: bar.height, itemHeight: item.height, tops,
           partTops: parts.map((r) => Math.round(r.top + r.height / 2)), right: Math.max(...parts.map((r) => r.right)),
           labels: Array.from(document.querySelectorAll('.mainnav > ul > li')).map((li) => li.dataset.group) };
}"""


def test_the_lead_top_bar_is_one_row_at_1280px_in_both_languages(live, browser):
    errors: list[str] = []
    with session_scope(live.app) as s:
        create_user(s, "lin", "lead", "password123", display_name="林班长", agent_code="1001")
    page = sign_in(browser, live, "lin", errors, viewport=(1280, 800))
    for lang in ("zh-CN", "en"):
        page.goto(f"{live.url}/console/lang/{lang}?next=/console/lead")
        page.wait_for_selector(f"html[lang='{lang}']")
        m = page.evaluate(MEASURE)
        assert m["labels"] == ["desk", "cases", "live", "reports", "campaigns", "admin"]
        assert len(set(m["tops"])) == 1, m  # every entry on the same line
        assert max(m["partTops"]) - min(m["partTops"]) < m["itemHeight"] / 2, m  # brand, nav and user box too
        assert m["barHeight"] < 2 * m["itemHeight"], m
        assert m["right"] <= 1280
        screenshot(page, f"nav-1280-{lang}")
    page.click(".navgroup[data-group=reports] summary")
    page.click(".navgroup[data-group=reports] .submenu a[href$='/console/reports/monthly']")
    page.wait_for_url("**/console/reports/monthly**")
    assert page.get_attribute(".navgroup[data-group=reports] summary", "class") == "active"
    page.click(".navgroup[data-group=admin] summary")
    assert page.is_visible(".navgroup[data-group=admin] .submenu")
    page.keyboard.press("Escape")
    assert not page.is_visible(".navgroup[data-group=admin] .submenu")
    assert errors == []
