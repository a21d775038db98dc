"""Pre-flight: a campaign whose script would be read out with stock text (工号:***, 前几, 我们已经处理完毕)
is refused at start, naming each unfilled value; filled from the campaign or every contact, it starts."""

from __future__ import annotations

import re

import pytest

from core.db import session_scope
from scheduler import campaigns as svc
from scheduler import contacts as contacts_svc
from scheduler.models import CampaignStatus

from .conftest import NUMBERS, csv_of


def draft(app, numbers, csv_columns=None, **fields):
    settings = app.config["HOTLINE"]
    with session_scope(app) as s:
        campaign = svc.create_campaign(s, settings, {"name": "回访", **fields})
        contacts_svc.import_csv(s, settings, campaign, csv_of(numbers, **(csv_columns or {})))
        return campaign.id


def start(app, cid):
    with session_scope(app) as s:
        campaign = s.get(svc.Campaign, cid)
        svc.start_campaign(s, campaign, settings=app.config["HOTLINE"])
        return campaign.status


def test_a_script_with_unfilled_values_is_refused_naming_them(app):
    cid = draft(app, NUMBERS[:2])  # general call-back: no agent code, date, issue or result
    with pytest.raises(svc.CampaignError) as refused:
        start(app, cid)
    message = str(refused.value)
    assert refused.value.status == 409
    for name in ("agent_id", "surname", "date", "issue", "result"):
        assert name in message, message
    assert "outbound_identify" in message and "outbound_result" in message
    with session_scope(app) as s:
        assert s.get(svc.Campaign, cid).status == CampaignStatus.DRAFT


def test_values_from_the_campaign_and_every_contact_let_it_start(app):
    cid = draft(app, NUMBERS[:2], csv_columns={"date": "5月1日", "issue": ["水管漏水", "电梯故障"]},
                agent_code="1024", agent_surname="王", context={"result": "已修好"})
    assert start(app, cid) == CampaignStatus.SCHEDULED


def test_a_value_missing_on_some_contacts_is_counted(app):
    cid = draft(app, NUMBERS[:3], csv_columns={"date": "5月1日", "issue": ["水管漏水", "", ""]},
                agent_code="1024", agent_surname="王", context={"result": "已修好"})
    with pytest.raises(svc.CampaignError) as refused:
        start(app, cid)
    assert "issue" in str(refused.value) and "2 contacts" in str(refused.value)
    assert "date" not in str(refused.value)


def test_the_api_answers_409_with_the_names(app, client, make_user):
    _user, token = make_user("lead1", role="lead")
    cid = draft(app, NUMBERS[:1], purpose="repair_satisfaction")
    response = client.post(f"/api/campaigns/{cid}/start", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error.startswith("script: unfilled values") and "agent_id" in error and "date" in error


def test_the_console_warns_before_start_and_refuses_it(app, client, make_user):
    from tests.console.helpers import login

    make_user("lead2", role="lead")
    token = login(client, "lead2")
    cid = draft(app, NUMBERS[:2], agent_code="1024", agent_surname="王")
    page = client.get(f"/console/campaigns/{cid}").get_data(as_text=True)
    unfilled = re.findall(r'data-unfilled="([a-z_]+)"', page)
    assert unfilled == ["date", "issue", "result"]
    started = client.post(f"/console/campaigns/{cid}/start", data={"csrf_token": token}, follow_redirects=True)
    assert "script: unfilled values date (outbound_result)" in started.get_data(as_text=True)
    with session_scope(app) as s:
        assert s.get(svc.Campaign, cid).status == CampaignStatus.DRAFT
