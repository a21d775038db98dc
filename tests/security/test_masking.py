"""Phone numbers in API responses: masked for agents; in full for leads and admins, audited
(H25). Decided by one helper, ``core.disclosure``."""

from __future__ import annotations

from sqlalchemy import select

from core.db import session_scope
from core.models import AuditLog

NUMBER = "+8613912345678"
MASKED = "139****5678"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _shown_audits(app) -> list[AuditLog]:
    with session_scope(app) as s:
        rows = list(s.scalars(select(AuditLog).where(AuditLog.action == "phone_numbers_shown")))
        s.expunge_all()
        return rows


def _campaign_with_contact(client, lead: dict[str, str]) -> int:
    created = client.post("/api/campaigns", headers=lead, json={"name": "回访", "purpose": "complaint_followup",
                                                                "window": "00:00-24:00"})
    cid = created.get_json()["id"]
    upload = client.post(f"/api/campaigns/{cid}/contacts", headers={**lead, "Content-Type": "text/csv"},
                         data=f"phone,name\n{NUMBER},王先生\n".encode())
    assert upload.get_json()["imported"] == 1
    return cid


def test_campaign_contacts_and_dnc_are_masked_for_agents(app, client, make_user) -> None:
    _lead, lead_token = make_user("lin", role="lead")
    _agent, agent_token = make_user("alice")
    cid = _campaign_with_contact(client, _bearer(lead_token))
    assert client.post("/api/dnc", headers=_bearer(lead_token), json={"phone": "+8613800001111"}).status_code == 201
    before = len(_shown_audits(app))
    contacts = client.get(f"/api/campaigns/{cid}/contacts", headers=_bearer(agent_token))
    assert contacts.get_json()["contacts"][0]["phone"] == MASKED
    assert NUMBER not in contacts.get_data(as_text=True)
    dnc = client.get("/api/dnc", headers=_bearer(agent_token))
    assert dnc.get_json()["numbers"][0]["phone"] == "138****1111"
    assert len(_shown_audits(app)) == before  # nothing shown, nothing to audit


def test_leads_see_full_numbers_and_each_response_is_audited(app, client, make_user) -> None:
    lead, lead_token = make_user("lin", role="lead")
    cid = _campaign_with_contact(client, _bearer(lead_token))
    before = len(_shown_audits(app))
    contacts = client.get(f"/api/campaigns/{cid}/contacts", headers=_bearer(lead_token)).get_json()
    assert contacts["contacts"][0]["phone"] == NUMBER
    audits = _shown_audits(app)
    assert len(audits) == before + 1
    assert audits[-1].user_id == lead.id and audits[-1].target == f"/api/campaigns/{cid}/contacts"
    assert audits[-1].detail["count"] == 1


def test_cases_calls_and_queue_follow_the_same_rule(app, client, make_user, twilio_post) -> None:
    _lead, lead_token = make_user("lin", role="lead")
    _agent, agent_token = make_user("alice")
    created = client.post("/api/cases", headers=_bearer(agent_token),
                          json={"kind": "inquiry", "description": "问路", "contact_number": NUMBER})
    assert created.status_code == 201
    assert created.get_json()["contact_number"] == MASKED
    as_agent = client.get("/api/cases", headers=_bearer(agent_token)).get_json()["items"][0]
    as_lead = client.get("/api/cases", headers=_bearer(lead_token)).get_json()["items"][0]
    assert as_agent["contact_number"] == MASKED and as_lead["contact_number"] == NUMBER
    sid = "CA" + "5" * 32
    twilio_post("/ivr/voice", CallSid=sid, From=NUMBER)
    assert client.get(f"/api/calls/{sid}", headers=_bearer(agent_token)).get_json()["from"] == MASKED
    before = len(_shown_audits(app))
    assert client.get(f"/api/calls/{sid}", headers=_bearer(lead_token)).get_json()["from"] == NUMBER
    assert len(_shown_audits(app)) == before + 1


def test_the_queue_shows_call_back_numbers_by_role(app, client, make_user) -> None:
    from core.models import CallbackRequest

    _lead, lead_token = make_user("lin", role="lead")
    _agent, agent_token = make_user("alice")
    with session_scope(app) as s:
        s.add(CallbackRequest(phone=NUMBER, reason="queue"))
    agent_rows = client.get("/api/queue", headers=_bearer(agent_token)).get_json()["queue"]
    lead_rows = client.get("/api/queue", headers=_bearer(lead_token)).get_json()["queue"]
    assert [r.get("phone") for r in agent_rows if r["callback"]] == [MASKED]
    assert [r.get("phone") for r in lead_rows if r["callback"]] == [NUMBER]

