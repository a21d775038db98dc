"""Per-contact attempt history through the simulator: every attempt with its time, status,
duration, AMD result, CallSid, agent and disposition — in the API, the console and the CSV —
and contact search."""

from __future__ import annotations

import csv
import io

import pytest

from core.db import session_scope
from core.telephony.simulator import Behaviour
from scheduler import contacts as contacts_svc
from scheduler.models import Attempt

from .conftest import NUMBERS, attempts
from .test_api_cli import agent  # noqa: F401  (fixture)


@pytest.fixture
def app_overrides():
    return {"campaigns": {"calls_per_second": 20}}


@pytest.fixture
def dialed(app, sim, make_campaign, run):
    busy_then_human, machine = NUMBERS[0], NUMBERS[1]
    sim.set_behaviour(busy_then_human, Behaviour(answer="busy"))
    sim.set_behaviour(machine, Behaviour(answer="machine", machine_greeting_s=3))
    cid = make_campaign([busy_then_human, machine], csv_columns={"name": ["王建国", "李四"]},
                        retry_backoff_s=30, max_attempts=3, calls_per_second=5)
    run(10)
    sim.set_behaviour(busy_then_human, Behaviour(answer="human", answer_after_s=2, press=["1", "1", "1"]))
    run(120, step=1)
    return cid


def test_every_attempt_is_in_the_contacts_history(app, client, lead, dialed):  # noqa: F811
    cid = dialed
    contacts = client.get(f"/api/campaigns/{cid}/contacts", headers=lead).get_json()["contacts"]
    first = contacts[0]
    body = client.get(f"/api/campaigns/{cid}/contacts/{first['id']}", headers=lead).get_json()
    history = body["history"]
    assert [(h["seq"], h["status"]) for h in history] == [(1, "busy"), (2, "completed")]
    assert all(h["call_sid"].startswith("CA") and h["created_at"] for h in history)
    assert history[1]["duration_s"] and history[1]["answered_by"] == "human"
    second = client.get(f"/api/campaigns/{cid}/contacts/{contacts[1]['id']}", headers=lead).get_json()
    assert second["history"][0]["answered_by"].startswith("machine_end")
    assert second["history"][0]["result"] == "voicemail"
    assert client.get(f"/api/campaigns/{cid}/contacts/999999", headers=lead).status_code == 404


def test_the_agents_disposition_is_recorded_and_do_not_call_adds_the_number(app, client, lead, agent, dialed):  # noqa: F811
    cid = dialed
    made = attempts(app, cid)
    answered = made[-1]
    refused = client.post(f"/api/campaigns/attempts/{answered.id}/disposition", headers=agent, json={"code": "maybe"})
    assert refused.status_code == 422 and refused.get_json()["error"].startswith("code: must be one of")
    done = client.post(f"/api/campaigns/attempts/{answered.id}/disposition", headers=agent,
                       json={"code": "do_not_call", "note": "请勿再打"})
    assert done.status_code == 200 and done.get_json()["agent"] == "agent1"
    history = client.get(f"/api/campaigns/{cid}/contacts/{answered.contact_id}", headers=lead).get_json()["history"]
    assert history[-1]["disposition"] == "do_not_call" and history[-1]["disposition_note"] == "请勿再打"
    with session_scope(app) as s:
        assert answered.number in {d.phone for d in contacts_svc.list_dnc(s)}
    assert client.post("/api/campaigns/attempts/999999/disposition", headers=agent,
                       json={"code": "resolved"}).status_code == 404


def test_attempts_csv_and_contact_search(app, client, lead, dialed):  # noqa: F811
    cid = dialed
    response = client.get(f"/api/campaigns/{cid}/attempts.csv", headers=lead)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    with session_scope(app) as s:
        total = s.query(Attempt).filter_by(campaign_id=cid).count()
    assert len(rows) == total == 3
    assert {r["name"] for r in rows} == {"王建国", "李四"}
    assert [r["status"] for r in rows if r["name"] == "王建国"] == ["busy", "completed"]
    found = client.get(f"/api/campaigns/{cid}/contacts", headers=lead, query_string={"q": "建国"}).get_json()
    assert [c["name"] for c in found["contacts"]] == ["王建国"]
    by_digits = client.get(f"/api/campaigns/{cid}/contacts", headers=lead,
                           query_string={"q": NUMBERS[1][-6:]}).get_json()["contacts"]
    assert [c["phone"] for c in by_digits] == [NUMBERS[1]]


def test_the_console_shows_history_search_and_csv(app, client, make_user, dialed):
    from tests.console.helpers import login

    make_user("lead9", role="lead")
    login(client, "lead9")
    cid = dialed
    page = client.get(f"/console/campaigns/{cid}", query_string={"q": "李四"}).get_data(as_text=True)
    assert "李四" in page and "王建国" not in page
    contact_id = attempts(app, cid)[0].contact_id
    html = client.get(f"/console/campaigns/{cid}/contacts/{contact_id}").get_data(as_text=True)
    assert html.count("data-attempt=") == 2 and "busy" in html and "completed" in html
    exported = client.get(f"/console/campaigns/{cid}/attempts.csv")
    assert exported.status_code == 200 and "call_sid" in exported.get_data(as_text=True)


def test_a_contact_s_history_and_the_attempts_csv_mask_numbers_for_agents(app, client, lead, agent, dialed):  # noqa: F811
    cid = dialed
    first = client.get(f"/api/campaigns/{cid}/contacts", headers=lead).get_json()["contacts"][0]
    full = first["phone"]
    assert full.startswith("+")
    detail = client.get(f"/api/campaigns/{cid}/contacts/{first['id']}", headers=agent)
    assert detail.status_code == 200 and "****" in detail.get_json()["phone"]
    assert full not in detail.get_data(as_text=True)
    agent_csv = client.get(f"/api/campaigns/{cid}/attempts.csv", headers=agent).get_data(as_text=True)
    lead_csv = client.get(f"/api/campaigns/{cid}/attempts.csv", headers=lead).get_data(as_text=True)
    assert full in lead_csv and full not in agent_csv and "****" in agent_csv
