"""Wrap-up disposition codes: given by the agent who took the call once it is over, stored on the
call with who and when, shown by ``GET /api/calls/<sid>``; refused with the right status and
nothing written otherwise; with ``wrapup.require_disposition`` the agent stays in wrap-up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core.config import ConfigError, load_settings
from core.db import session_scope, utcnow
from core.models import AuditLog, User
from ivr.agent_choice import end_wrap_ups
from tests.ivr.conftest import call_row
from tests.ivr.test_bridge import auth, connected


def _token(app: Any, name: str) -> dict[str, str]:
    from core.users import hash_token

    with session_scope(app) as s:
        s.scalar(select(User).where(User.name == name)).token_hash = hash_token(f"hl_test_{name}_token")
    return auth(f"hl_test_{name}_token")


def _ended(app, sim, place, agent) -> tuple[str, dict[str, str]]:
    sid, _leg, _room = connected(app, sim, place, agent)
    alice = _token(app, "alice")
    sim.hangup(sid)
    sim.run_until_idle(120)
    return sid, alice


def _audits(app: Any) -> int:
    with session_scope(app) as s:
        return s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "call_disposition"))


def test_the_agent_gives_a_disposition_to_a_finished_call(app, sim, place, agent, client, make_user):
    sid, _leg, _room = connected(app, sim, place, agent)
    alice = _token(app, "alice")
    url = f"/api/calls/{sid}/disposition"
    live = client.post(url, json={"code": "resolved"}, headers=alice)
    assert live.status_code == 409 and live.get_json()["error"].startswith("call_sid:")
    sim.hangup(sid)
    sim.run_until_idle(120)
    _bob, bob = make_user("bob")
    assert client.post(url, json={"code": "resolved"}, headers=auth(bob)).status_code == 403
    for bad in ({"code": "nope"}, {"code": "do_not_call"}):  # do_not_call is for campaign calls only
        refused = client.post(url, json=bad, headers=alice)
        assert refused.status_code == 422 and refused.get_json()["error"].startswith("code: must be one of")
        assert "case_opened" in refused.get_json()["error"]
    assert client.post(url, json={"code": "resolved", "note": "x" * 201}, headers=alice).status_code == 422
    assert client.post("/api/calls/CAnope/disposition", json={"code": "resolved"}, headers=alice).status_code == 404
    assert call_row(app, sid).disposition is None and _audits(app) == 0

    given = client.post(url, json={"code": "case_opened", "note": " 报修已登记 "}, headers=alice)
    assert given.status_code == 200, given.get_json()
    body = given.get_json()
    assert (body["code"], body["note"], body["by"]) == ("case_opened", "报修已登记", "alice")
    assert body["label"] == {"zh-CN": "已登记工单", "en": "Case opened"}
    row = call_row(app, sid)
    assert (row.disposition, row.disposition_note) == ("case_opened", "报修已登记")
    assert row.disposition_by_id == row.agent_id and row.disposition_at is not None
    shown = client.get(f"/api/calls/{sid}", headers=alice).get_json()
    assert shown["disposition"]["code"] == "case_opened" and shown["disposition"]["by"] == "alice"
    assert any(e["kind"] == "disposition" and e["code"] == "case_opened" for e in shown["timeline"])
    # a lead may correct it; the last one stands
    _lin, lin = make_user("lin", role="lead")
    assert client.post(url, json={"code": "complaint"}, headers=auth(lin)).status_code == 200
    assert call_row(app, sid).disposition == "complaint" and _audits(app) == 2


@pytest.fixture
def app_overrides(request) -> dict[str, Any]:
    return {"wrapup": {"require_disposition": True}} if "required" in request.node.name else {}


def test_a_required_disposition_keeps_the_agent_in_wrap_up(app, sim, place, agent, client):
    sid, alice = _ended(app, sim, place, agent)
    refused = client.post("/api/agents/me/presence", json={"state": "available"}, headers=alice)
    assert refused.status_code == 409 and sid in refused.get_json()["error"]
    settings = app.config["HOTLINE"]
    later = utcnow(app) + timedelta(seconds=settings.routing.wrap_up_s + 60)
    with session_scope(app) as s:
        assert end_wrap_ups(s, settings, later) == []
        assert s.scalar(select(User.presence).where(User.name == "alice")) == "wrap_up"
    assert client.post("/api/agents/me/presence", json={"state": "away"}, headers=alice).status_code == 200
    assert client.post(f"/api/calls/{sid}/disposition", json={"code": "resolved"}, headers=alice).status_code == 200
    assert client.post("/api/agents/me/presence", json={"state": "available"}, headers=alice).status_code == 200


def test_without_the_requirement_wrap_up_ends_as_before(app, sim, place, agent, client):
    _sid, alice = _ended(app, sim, place, agent)
    assert client.post("/api/agents/me/presence", json={"state": "available"}, headers=alice).status_code == 200


def test_one_list_of_codes_with_campaign_only_codes_marked():
    settings = load_settings(environ={}, overrides={})
    campaigns = [d.code for d in settings.wrapup.codes_for("campaigns")]
    calls = [d.code for d in settings.wrapup.codes_for("calls")]
    assert {"do_not_call", "not_interested", "resolved", "other"} <= set(campaigns)
    assert {"case_opened", "transferred", "complaint", "resolved", "wrong_number"} <= set(calls)
    assert "do_not_call" not in calls and "case_opened" not in campaigns
    with pytest.raises(ConfigError, match="wrapup.dispositions"):
        load_settings(environ={}, overrides={"campaigns": {"dispositions": ["resolved"]}})
    with pytest.raises(ConfigError, match="listed twice: x"):
        load_settings(environ={}, overrides={"wrapup": {"dispositions": [
            {"code": "x", "zh-CN": "甲", "en": "X"}, {"code": "x", "zh-CN": "乙", "en": "X"}]}})
