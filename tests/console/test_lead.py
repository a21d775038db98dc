"""The team lead's live view — queue, agents and their states (set by the
lead, audited), alerts for long calls (H7) and callers waiting past the service level (H2)."""

from __future__ import annotations

from sqlalchemy import select

from agent_console import alerts
from core.alerts import Alert
from core.db import session_scope
from core.models import AuditLog, Presence, User
from tests.console.conftest import connect


def test_agents_are_refused_the_lead_api(desk):
    alice = desk("alice")
    assert alice.get("/console/api/lead/state").status_code == 403
    assert alice.post("/console/api/lead/agents/1/presence", {"state": "away"}).status_code == 403
    assert alice.post("/console/api/lead/alerts/1/ack").status_code == 403


def test_lead_sees_queue_and_agents_and_sla_alerts(app, sim, desk, caller):
    lin = desk("lin", role="lead")
    desk("alice")
    sid = caller("+8613812345678", press=["1"])
    sim.advance(30 + app.config["HOTLINE"].answer.threshold_s)  # in line, nobody available
    state = lin.get("/console/api/lead/state").get_json()
    rows = state["queue"]["rows"]
    assert [r["call_sid"] for r in rows] == [sid] and rows[0]["caller"] == "138****5678"
    assert rows[0]["over_sla"] and rows[0]["menu_option"] == "repair"
    names = {a["name"]: a for a in state["agents"]["agents"]}
    assert names["alice"]["presence"] == "away" and names["lin"]["role"] == "lead"
    assert [a["kind"] for a in state["alerts"]] == ["sla_breach"]
    assert alerts.sweep(app) == 0  # one alert per waiting caller, however often swept


def test_lead_sets_an_agents_state_and_routing_connects(app, sim, desk, caller, db):
    lin = desk("lin", role="lead")
    alice = desk("alice")
    caller()
    sim.advance(30)
    response = lin.post(f"/console/api/lead/agents/{alice.user_id}/presence", {"state": "available"})
    assert response.status_code == 200
    with session_scope(app) as s:
        assert s.get(User, alice.user_id).presence == Presence.BUSY  # routing reserved her at once
    audit = db.scalar(select(AuditLog).where(AuditLog.action == "set_presence"))
    assert audit.user_id == lin.user_id and audit.target == "alice" and audit.detail == {"state": "available"}
    assert lin.post(f"/console/api/lead/agents/{alice.user_id}/presence", {"state": "asleep"}).status_code == 400
    assert lin.post("/console/api/lead/agents/9999/presence", {"state": "away"}).status_code == 404


def test_long_calls_alert_and_leads_acknowledge(app, sim, desk, caller, db):
    lin = desk("lin", role="lead")
    alice = desk("alice")
    alice.post("/console/api/presence", {"state": "available"})
    caller()
    connect(sim, alice)
    assert not any(a["kind"] == "long_call" for a in lin.get("/console/api/lead/state").get_json()["alerts"])
    sim.advance(app.config["HOTLINE"].calls.max_s + 1)  # H7: over five minutes
    state = lin.get("/console/api/lead/state").get_json()
    long_calls = [a for a in state["alerts"] if a["kind"] == "long_call"]
    assert len(long_calls) == 1 and long_calls[0]["agent"] == "alice"
    agent_row = next(a for a in state["agents"]["agents"] if a["name"] == "alice")
    assert agent_row["call"]["over_max"] and agent_row["call"]["talk_s"] >= app.config["HOTLINE"].calls.max_s
    ack = lin.post(f"/console/api/lead/alerts/{long_calls[0]['id']}/ack")
    assert ack.status_code == 200
    assert db.get(Alert, long_calls[0]["id"]).acknowledged_by_id == lin.user_id
    assert not any(a["kind"] == "long_call" for a in lin.get("/console/api/lead/state").get_json()["alerts"])
    assert lin.post("/console/api/lead/alerts/999/ack").status_code == 404


def test_lead_page_explains_listen_whisper_and_barge(desk):
    lin = desk("lin", role="lead")
    page = lin.client.get("/console/lead").get_data(as_text=True)
    assert all(word in page for word in ("监听", "密语", "强插", "退出", "实时转写"))
    lin.client.get("/console/lang/en")
    page = lin.client.get("/console/lead").get_data(as_text=True)
    assert "Whisper (only the agent hears you)" in page and "the call goes on" in page
