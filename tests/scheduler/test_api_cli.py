"""The campaigns API (GET|POST /api/campaigns, GET /api/campaigns/<id>) and the campaigns CLI; bad input
is a 4xx JSON error or a one-line CLI error, never a 500."""

from __future__ import annotations

import json

import pytest

from core.telephony.simulator import Behaviour

from .conftest import NUMBERS, csv_of


@pytest.fixture
def agent(make_user):
    _user, token = make_user("agent1", role="agent")
    return {"Authorization": f"Bearer {token}"}


def test_create_list_and_progress_over_the_api(app, client, sim, lead, agent, run):
    body = {"name": "投诉回访", "purpose": "complaint_followup", "window": "00:00-24:00", "max_attempts": 2,
            "retry_backoff_s": 60, "agent_code": "1024", "context": {"date": "5月1日", "issue": "电梯噪音"}}
    created = client.post("/api/campaigns", headers=lead, json=body)
    assert created.status_code == 201, created.get_json()
    campaign = created.get_json()
    assert campaign["status"] == "draft" and campaign["script"][0] == "outbound_verify"
    cid = campaign["id"]
    for number in NUMBERS[:3]:
        sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=2, press=["1", "1"]))
    sim.set_behaviour(NUMBERS[3], Behaviour(answer="busy"))
    upload = client.post(f"/api/campaigns/{cid}/contacts", headers={**lead, "Content-Type": "text/csv"},
                         data=csv_of(NUMBERS[:4]).encode())
    assert upload.get_json()["imported"] == 4
    assert client.post(f"/api/campaigns/{cid}/start", headers=lead).status_code == 200
    run(150, step=1)
    progress = client.get(f"/api/campaigns/{cid}", headers=agent).get_json()  # any role reads
    assert {k: progress[k] for k in ("dialed", "answered", "completed", "failed", "remaining")} == {
        "dialed": 4, "answered": 3, "completed": 3, "failed": 1, "remaining": 0}
    assert progress["blocked"]["retry_cap"] == 1 and progress["status"] == "completed"
    assert progress["percent"] == 100.0
    listed = client.get("/api/campaigns", headers=agent).get_json()["campaigns"]
    assert listed[0]["id"] == cid and listed[0]["completed"] == 3
    contacts = client.get(f"/api/campaigns/{cid}/contacts", headers=lead).get_json()["contacts"]
    assert contacts[3]["why"].startswith("retry cap reached: 2 attempts (busy, busy)")
    assert contacts[0]["outcome"] == {"identity_verified": True, "satisfied": True}
    doc = client.get("/api/openapi.json").get_json()
    assert "/api/campaigns/{campaign_id}/contacts" in doc["paths"]


@pytest.mark.parametrize(("body", "status", "message"), [
    ({}, 400, "name: required"), ({"name": "x", "purpose": "spam"}, 400, "purpose:"),
    ({"name": "x", "mode": "robot"}, 400, "mode:"), ({"name": "x", "calls_per_second": 50}, 422, "calls_per_second:"),
    ({"name": "x", "cron": "every day"}, 422, "cron:"), ({"name": "x", "window": "18:00-09:00"}, 422, "window:"),
    ({"name": "x", "timezone": "Mars/Base"}, 422, "timezone:"), ({"name": "x", "start_at": "tomorrow"}, 400, "start_at:"),
    ({"name": "x", "start_at": "2026-02-30T09:30"}, 422, "start_at:"),
    ({"name": "x", "script": [1, 2]}, 400, "script[1]"), ({"name": "x", "max_attempts": "lots"}, 400, "max_attempts:"),
    ({"name": "x", "weekdays": [9]}, 400, "weekdays[0]:"), ({"name": "x" * 200}, 400, "name:"),
    ({"name": "x", "context": ["a"]}, 400, "context:"),
])
def test_bad_campaign_input_is_refused_naming_the_field(client, lead, body, status, message):
    """400: the body does not match the schema; 422: it does, but a rule or setting refuses it."""
    response = client.post("/api/campaigns", headers=lead, json=body)
    assert response.status_code == status and message in response.get_json()["error"], response.get_json()


def test_writes_need_a_lead_and_state_changes_are_checked(client, lead, agent):
    assert client.post("/api/campaigns", headers=agent, json={"name": "x"}).status_code == 403
    assert client.post("/api/campaigns", json={"name": "x"}).status_code == 401
    assert client.post("/api/campaigns", headers=lead, data="not json").status_code == 400
    cid = client.post("/api/campaigns", headers=lead, json={"name": "x"}).get_json()["id"]
    assert client.post(f"/api/campaigns/{cid}/resume", headers=lead).status_code == 409
    assert client.post(f"/api/campaigns/{cid}/cancel", headers=lead).get_json()["status"] == "cancelled"
    assert client.post(f"/api/campaigns/{cid}/pause", headers=lead).status_code == 409
    assert client.get("/api/campaigns/12345", headers=lead).status_code == 404
    assert client.get(f"/api/campaigns/{cid}/contacts?limit=x", headers=lead).status_code == 400


def test_cli_create_import_show_pause_resume_cancel(app, runner, tmp_path):
    out = runner.invoke(args=["campaigns", "create", "停水通知", "--purpose", "outage_notice",
                              "--context", "area=3号楼", "--context", "start=9点", "--context", "end=18点",
                              "--agent-code", "1024", "--window", "08:00-20:00",
                              "--no-amd", "--start"])
    assert out.exit_code == 0, out.output
    campaign = json.loads(out.output)
    assert campaign["status"] == "scheduled" and campaign["context"]["area"] == "3号楼"
    assert not campaign["machine_detection"]
    cid = str(campaign["id"])
    path = tmp_path / "c.csv"
    path.write_text(csv_of(NUMBERS[:3]), encoding="utf-8")
    assert json.loads(runner.invoke(args=["campaigns", "import", cid, str(path)]).output)["imported"] == 3
    shown = json.loads(runner.invoke(args=["campaigns", "show", cid, "--contacts"]).output)
    assert shown["contacts"] == 3 and len(shown["contact_list"]) == 3 and "why" in shown["contact_list"][0]
    assert json.loads(runner.invoke(args=["campaigns", "pause", cid]).output)["status"] == "paused"
    assert json.loads(runner.invoke(args=["campaigns", "resume", cid]).output)["status"] in ("scheduled", "running")
    listed = [json.loads(line) for line in runner.invoke(args=["campaigns", "list"]).output.splitlines()]
    assert listed[0]["id"] == campaign["id"]
    assert json.loads(runner.invoke(args=["campaigns", "cancel", cid]).output)["status"] == "cancelled"
    again = runner.invoke(args=["campaigns", "cancel", cid])
    assert again.exit_code == 2 and "already cancelled" in again.output
    bad = runner.invoke(args=["campaigns", "create", "x", "--window", "nope"])
    assert bad.exit_code == 2 and "window:" in bad.output
    assert runner.invoke(args=["campaigns", "show", "999"]).exit_code == 2
    status = json.loads(runner.invoke(args=["scheduler", "status"]).output)
    assert status["live"] is False
    tick = json.loads(runner.invoke(args=["scheduler", "tick"]).output)
    assert "dialed" in tick


def test_cli_create_takes_dialing_mode_lists_and_compliance_options(runner):
    out = runner.invoke(args=["campaigns", "create", "欠费提醒", "--dial-mode", "predictive", "--caller-id",
                              "+8675512345678", "--holidays", "2026-10-01,2026-10-02", "--recycle-passes", "2",
                              "--recycle-window", "18:00-20:00", "--machine-retry", "--no-optout-key"])
    assert out.exit_code == 0, out.output
    campaign = json.loads(out.output)
    assert campaign["mode"] == "agent_assisted" and campaign["dial_mode"] == "predictive"
    assert campaign["caller_id"] == "+8675512345678" and campaign["holidays"] == ["2026-10-01", "2026-10-02"]
    assert campaign["recycle_passes"] == 2 and campaign["recycle_window"] == "18:00-20:00"
    assert campaign["machine_retry"] is True and campaign["optout_key"] is False
    bad = runner.invoke(args=["campaigns", "create", "x", "--mode", "automated", "--dial-mode", "preview"])
    assert bad.exit_code == 2 and "dial_mode" in bad.output


def test_every_campaign_option_sent_to_the_api_is_kept(client, lead):
    options = {"dial_mode": "predictive", "caller_id": "+8675599990000", "holidays": ["2026-10-02", "2026-10-01"],
               "recycle_passes": 2, "recycle_after_s": 7200.0, "recycle_window": "18:00-20:00",
               "machine_retry": True, "optout_key": False}
    made = client.post("/api/campaigns", headers=lead, json={"name": "options", **options})
    assert made.status_code == 201, made.get_json()
    shown = client.get(f"/api/campaigns/{made.get_json()['id']}", headers=lead).get_json()
    assert {key: shown[key] for key in options} == {**options, "holidays": ["2026-10-01", "2026-10-02"]}
    assert shown["mode"] == "agent_assisted" and shown["dialing"]["dial_mode"] == "predictive"
    assert shown["warnings"] == []
    impossible = client.post("/api/campaigns", headers=lead, json={"name": "x", "holidays": ["2026-02-30"]})
    assert impossible.status_code == 422 and "holidays" in impossible.get_json()["error"]
