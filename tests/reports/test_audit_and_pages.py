"""The audit-log viewer (filters, CSV) and the reports pages: roles, rendering, bad input → 4xx."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from core.models import AuditLog, User
from tests.console.helpers import login
from tests.reports.seed import DAY, local

LEAD_PAGES = ["/console/reports", "/console/wallboard", "/console/wallboard/data", "/console/reports/monthly/2026-11",
              "/console/incidents", "/console/audit", "/console/library"]


def _audit_rows(db, lead, alice):
    db.add_all([
        AuditLog(at=local(8, 0), user_id=alice.id, action="sign_in", target="alice"),
        AuditLog(at=local(8, 5), user_id=alice.id, action="reveal_number", target="CA123", detail={"reason": "回电"}),
        AuditLog(at=local(9, 0), user_id=lead.id, action="campaign_start", target="campaign:3"),
        AuditLog(at=local(9, 30), user_id=lead.id, action="library_edit", target="s1.a1"),
        AuditLog(at=local(10, 0, day=DAY.replace(day=19)), user_id=alice.id, action="sign_in", target="alice"),
    ])
    db.commit()


def _table(page: str) -> list[str]:
    return [chunk.split('"')[0] for chunk in page.split('data-action="')[1:]]


def test_audit_filters(lead_client, db, make_user):
    client, _ = lead_client
    make_user("alice")
    lead = db.scalar(select(User).where(User.name == "lin"))
    alice = db.scalar(select(User).where(User.name == "alice"))
    _audit_rows(db, lead, alice)
    day = {"from": "2026-11-20", "to": "2026-11-20"}
    assert _table(client.get("/console/audit", query_string=day).get_data(as_text=True)) == [
        "library_edit", "campaign_start", "reveal_number", "sign_in"]  # newest first; the 19th left out
    assert _table(client.get("/console/audit", query_string={"action": "reveals"}).get_data(as_text=True)) == [
        "reveal_number"]
    assert _table(client.get("/console/audit", query_string={"action": "campaigns"}).get_data(as_text=True)) == [
        "campaign_start"]
    by_alice = _table(client.get("/console/audit", query_string={"user": "alice", **day}).get_data(as_text=True))
    assert by_alice == ["reveal_number", "sign_in"]
    assert _table(client.get("/console/audit", query_string={"q": "s1.a"}).get_data(as_text=True)) == ["library_edit"]
    assert _table(client.get("/console/audit", query_string={"q": "%"}).get_data(as_text=True)) == []
    assert client.get("/console/audit?from=2026-99-01").status_code == 400
    assert client.get("/console/audit?page=0").status_code == 400
    raw = client.get("/console/audit.csv", query_string={"action": "reveals"}).get_data()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["at", "user", "action", "target", "detail"]
    assert rows[1][1:4] == ["alice", "reveal_number", "CA123"] and "回电" in rows[1][4]
    assert rows[1][0] == "2026-11-20 08:05:00"  # local time


def test_sign_ins_are_visible(lead_client):
    client, _ = lead_client  # the lead's own sign-in was audited by the console
    page = client.get("/console/audit", query_string={"action": "sign_ins"}).get_data(as_text=True)
    assert "sign_in" in _table(page)


@pytest.mark.parametrize("path", LEAD_PAGES)
def test_lead_pages_render(lead_client, seeded, path):
    client, _ = lead_client
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[-1500:]


@pytest.mark.parametrize("path", LEAD_PAGES)
def test_agents_get_403_and_strangers_the_sign_in(client, make_user, path):
    assert client.get(path).status_code == 302
    make_user("alice")
    login(client, "alice")
    assert client.get(path).status_code == 403


def test_nav_shows_reports_to_leads_only(lead_client, client, make_user):
    lead, _ = lead_client
    page = lead.get("/console/reports").get_data(as_text=True)
    for href in ("/console/wallboard", "/console/reports/monthly", "/console/handover", "/console/audit",
                 "/console/library", "/console/incidents"):
        assert f'href="{href}"' in page


def test_reports_page_shows_the_seeded_day(lead_client, seeded):
    client, _ = lead_client
    page = client.get("/console/reports?from=2026-11-20&to=2026-11-20").get_data(as_text=True)
    assert 'data-kpi="service_level">33.3%<' in page
    assert 'data-kpi="asa_s">31s<' in page and 'data-kpi="aht_s">168s<' in page
    assert 'data-kpi="satisfaction">77.8%<' in page
    assert "南山" in page and "Alice 王" in page
    for chart in ("daily", "satisfaction", "cases", "agents"):
        assert f'data-chart="{chart}"' in page
    assert client.get("/console/reports?from=2026-11-21&to=2026-11-20").status_code == 400


def test_wallboard_numbers(app, db, seeded):
    from reports.wallboard import snapshot

    w = snapshot(db, app.config["HOTLINE"], local(23, 55))  # late on the seeded day
    assert w["today"] == "2026-11-20"
    assert w["queue"]["waiting"] == 1  # C9 joined at 23:50:15
    assert w["queue"]["longest_wait_s"] == pytest.approx(285.0)  # 23:55:00 − 23:50:15
    assert w["queue"]["over_threshold"] == 1
    assert w["calls"]["service_level"] == pytest.approx(2 / 6) and w["calls"]["over_5_min"] == 1
    assert w["forbidden_alerts"] == 1
    assert w["wait_accuracy"]["within_announced"] == pytest.approx(0.5)
    assert {r["wording_id"]: r["abandoned_within"] for r in w["reassurance_abandons"]}["reassurance (en)"] == 1
    assert w["agents"]["by_state"]["offline"] == 2  # alice and bob, signed out


def test_pages_in_english(lead_client, seeded):
    client, _ = lead_client
    client.get("/console/lang/en")
    expected = {"/console/wallboard": "Callers waiting", "/console/reports?from=2026-11-20&to=2026-11-20": "Overdue replies",
                "/console/reports/monthly/2026-11": "Complaints and their results", "/console/handover": "Shift handover log",
                "/console/incidents": "Record a major incident", "/console/audit": "Target contains",
                "/console/library": "Recent edits"}
    for path, text in expected.items():
        page = client.get(path).get_data(as_text=True)
        assert text in page, path
    assert "Repair" in client.get("/console/reports?from=2026-11-20&to=2026-11-20").get_data(as_text=True)
