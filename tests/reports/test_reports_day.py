"""Reports as a team lead reads them: menu choices and case types in separate tables, per-item
satisfaction in the order the survey asks, the range against the previous period, per-agent
figures, a CSV link on every table of the reports and monthly pages, and the monthly page's
chart captions and empty states."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from reports.periods import period
from reports.summary import summary
from reports.trends import previous_period, trend_block
from tests.reports.seed import DAY, local

NOW = local(12, 0, day=DAY + timedelta(days=1))
RANGE = {"from": "2026-11-20", "to": "2026-11-20"}


def test_satisfaction_items_follow_the_survey_order(app, db, seeded):
    settings = app.config["HOTLINE"]
    report = summary(db, settings, period(settings, DAY, DAY), NOW)
    assert list(report["rates"]["satisfaction"]["per_item"]) == ["survey_timeliness", "survey_attitude", "survey_quality"]


def test_menu_choices_and_case_types_are_separate(app, db, seeded, lead_client):
    settings = app.config["HOTLINE"]
    report = summary(db, settings, period(settings, DAY, DAY), NOW)
    menus = {r["menu_option"]: r for r in report["by_menu_option"]}
    # Menu choices: repair C1, C4, C5, C6, C9; inquiry C2, C7; complaint C3; C8 none (see seed.py).
    assert (menus["repair"]["calls_in"], menus["inquiry"]["calls_in"], menus["complaint"]["calls_in"],
            menus["-"]["calls_in"]) == (5, 2, 1, 1)
    assert all("cases" not in r for r in report["by_menu_option"])
    kinds = {r["kind"]: r for r in report["by_case_type"]}
    assert (kinds["complaint"]["cases"], kinds["repair"]["cases"]) == (2, 2)
    assert all("calls_in" not in r for r in report["by_case_type"])
    client, _ = lead_client
    page = client.get("/console/reports", query_string=RANGE).get_data(as_text=True)
    assert 'data-table="menu-options"' in page and 'data-table="case-types"' in page
    assert "按类型(来电菜单 / 案件类型)" not in page


def test_the_range_is_compared_with_the_previous_period(app, db, seeded, lead_client):
    settings = app.config["HOTLINE"]
    p = period(settings, DAY, DAY)
    assert previous_period(settings, p).first == DAY - timedelta(days=1)
    month = period(settings, DAY.replace(day=1), DAY.replace(day=30))
    assert (previous_period(settings, month).first.isoformat(), previous_period(settings, month).last.isoformat()) \
        == ("2026-10-01", "2026-10-31")
    report = summary(db, settings, p, NOW)
    rows = {r["metric"]: r for r in trend_block(db, settings, p, report, NOW)["rows"]}
    # The day before holds X0 only: 1 call, answered in 3 s (SL 100 %).
    assert (rows["calls.in"]["current"], rows["calls.in"]["previous"], rows["calls.in"]["change"]) == (9, 1, 8)
    assert rows["calls.service_level"]["change"] == pytest.approx(report["calls"]["service_level"] - 1.0)
    assert rows["calls.service_level"]["better"] is False
    client, _ = lead_client
    page = client.get("/console/reports", query_string=RANGE).get_data(as_text=True)
    assert 'data-metric="calls.in"' in page and "+8" in page and "2026-11-19" in page


def test_every_table_on_the_reports_and_monthly_pages_has_a_working_csv(lead_client, seeded):
    client, _ = lead_client
    for path, query in (("/console/reports", RANGE), ("/console/reports/monthly/2026-11", {})):
        page = client.get(path, query_string=query).get_data(as_text=True)
        tables = page.count("<table")
        links = re.findall(r'class="csv[^"]*"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*class="csv', page)
        hrefs = {a or b for a, b in links}
        assert len(hrefs) >= tables - 1, (path, tables, hrefs)  # the monthly sign-off sheet has no table of its own
        for href in hrefs:
            response = client.get(href.replace("&amp;", "&"))
            assert response.status_code == 200 and response.get_data().startswith(b"\xef\xbb\xbf"), href


def test_monthly_page_captions_its_charts_and_says_when_a_month_is_empty(lead_client, seeded):
    client, _ = lead_client
    full = client.get("/console/reports/monthly/2026-11").get_data(as_text=True)
    assert full.count("<figcaption") == 4 and 'data-chart="satisfaction"' in full
    complaints = full[full.index("三、投诉及处理结果"):]
    assert 'data-chart="satisfaction"' not in complaints  # it sits with the satisfaction figures, captioned
    empty = client.get("/console/reports/monthly/2026-09").get_data(as_text=True)
    assert "<canvas" not in empty and empty.count("data-empty") == 4
    assert "本月没有问卷回答" in empty and "本月没有来电" in empty


def test_reassurance_rows_show_the_wording_not_the_internal_id(lead_client, seeded):
    client, _ = lead_client
    page = client.get("/console/reports", query_string=RANGE).get_data(as_text=True)
    assert ">reassurance (zh-CN)<" not in page and 'title="reassurance (zh-CN)"' in page
