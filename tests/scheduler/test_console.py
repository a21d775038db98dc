"""The lead does it from the console: create, upload (per-row report), explain panel, why (not)
dialed, start / pause / resume / cancel, live progress JSON. Agents are refused."""

from __future__ import annotations

import io
import re

import pytest

from core.db import session_scope
from scheduler import contacts as contacts_svc
from scheduler.models import Campaign
from tests.console.helpers import login

CSV = "phone,name\n13912345678,王先生\n12345,坏号码\n13912345679,DNC\n13912345678,重复\n"


@pytest.fixture
def lead_client(app, client, make_user):
    make_user("lead1", role="lead")
    token = login(client, "lead1")
    return client, token


def test_lead_creates_uploads_explains_and_controls_a_campaign(app, lead_client):
    client, token = lead_client
    page = client.get("/console/campaigns/")
    assert page.status_code == 200 and "新建外呼活动" in page.get_data(as_text=True)
    created = client.post("/console/campaigns/", data={
        "csrf_token": token, "name": "报修回访", "purpose": "repair_satisfaction", "mode": "automated",
        "locale": "zh-CN", "window": "09:30-17:50", "calls_per_second": "1", "max_concurrent": "3",
        "max_attempts": "3", "retry_backoff_s": "600", "ring_timeout_s": "30", "machine_detection": "1",
        "agent_code": "1024", "context": "result=已修复\ndate=5月1日"})
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    with session_scope(app) as s:
        campaign = s.query(Campaign).one()
        assert campaign.window == "09:30-17:50" and campaign.context == {"result": "已修复", "date": "5月1日"}
        contacts_svc.add_dnc(s, app.config["HOTLINE"], "13912345679")
        cid = campaign.id
    report = client.post(f"/console/campaigns/{cid}/upload", data={
        "csrf_token": token, "file": (io.BytesIO(CSV.encode()), "c.csv")}, content_type="multipart/form-data")
    html = report.get_data(as_text=True)
    assert report.status_code == 200
    assert re.search(r'data-report="imported">1<', html) and re.search(r'data-report="skipped_dnc">1<', html)
    assert re.search(r'data-report="skipped_duplicates">1<', html)
    assert "<td>3</td><td>phone</td>" in html  # row 3, field phone, reason
    assert re.search(r'data-blocked="dnc">1<', html)
    assert "do-not-call" in html and "draft" in html  # why (not) dialed per contact
    started = client.post(f"/console/campaigns/{cid}/start", data={"csrf_token": token})
    assert started.status_code == 302
    paused = client.post(f"/console/campaigns/{cid}/pause", data={"csrf_token": token}, follow_redirects=True)
    assert "paused" in paused.get_data(as_text=True)
    progress = client.get(f"/console/campaigns/{cid}/progress.json", headers={"X-Requested-With": "fetch"})
    assert progress.get_json()["status"] == "paused" and progress.get_json()["contacts"] == 2
    bad = client.post(f"/console/campaigns/{cid}/upload", data={
        "csrf_token": token, "file": (io.BytesIO(b"name\nx\n"), "c.csv")}, content_type="multipart/form-data")
    assert bad.status_code == 400 and "no phone column" in bad.get_data(as_text=True)


def test_create_form_reports_the_bad_field(app, lead_client):
    client, token = lead_client
    response = client.post("/console/campaigns/", data={"csrf_token": token, "name": "x", "window": "25:00-26:00"})
    assert response.status_code == 400 and "window:" in response.get_data(as_text=True)


def test_agents_cannot_open_campaign_pages(app, client, make_user):
    make_user("agent1", role="agent")
    login(client, "agent1")
    assert client.get("/console/campaigns/").status_code == 403


def test_dnc_page(app, lead_client):
    client, token = lead_client
    added = client.post("/console/campaigns/dnc", data={"csrf_token": token, "phone": "13912345678", "reason": "asked"},
                        follow_redirects=True)
    assert "+8613912345678" in added.get_data(as_text=True)
    bad = client.post("/console/campaigns/dnc", data={"csrf_token": token, "phone": "oops"})
    assert bad.status_code == 400
