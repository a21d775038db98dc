"""A case's life through ``PATCH /api/cases/<ref>`` and the console's case page: returning a
repair's work order starts the H16 satisfaction call-back (dialed through the simulator the
next day), complaint satisfaction is an H17 result, and both show in ``GET /api/cases``."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from core.db import session_scope, utcnow
from core.models import AuditLog
from core.telephony.simulator import Behaviour
from scheduler.models import Attempt, Contact
from tests.console.helpers import login

from . import test_followup
from .test_followup import PHONE, get_case, new_case, until_local

# The follow-up tests' office hours and clock runner (with the follow-up rules ticking).
app_overrides = test_followup.app_overrides
run = test_followup.run


def ref_of(app, case_id):
    return get_case(app, case_id).ref


def the_callback_is_made_the_next_day(app, run, case_id):
    run(until_local(app, 9, 29), step=1800)
    with session_scope(app) as s:
        assert s.scalars(select(Attempt)).all() == []  # not before the next day's window
    run(800, step=5)
    with session_scope(app) as s:
        [attempt] = s.scalars(select(Attempt)).all()
        contact = s.get(Contact, attempt.contact_id)
        assert contact.case_id == case_id
        local = attempt.created_at.replace(tzinfo=UTC).astimezone(app.config["HOTLINE"].hours.zone)
        assert (local.hour, local.minute) >= (9, 30)


def test_returning_the_work_order_over_the_api_starts_the_h16_call_back(app, sim, client, lead, run):
    sim.set_behaviour(PHONE, Behaviour(answer="human", answer_after_s=2, press=["1", "1", "1", "2", "3"]))
    run(until_local(app, 15), step=1800)
    case_id = new_case(app, "repair", place="3号楼201")
    ref = ref_of(app, case_id)
    engineering = app.config["HOTLINE"].cases.departments[0]
    sent = client.patch(f"/api/cases/{ref}", headers=lead, json={"work_order": "dispatched", "department": engineering})
    assert sent.status_code == 200, sent.get_json()
    body = sent.get_json()
    assert body["status"] == "dispatched" and body["department"] == engineering
    assert body["work_order"]["dispatched_at"] and body["work_order"]["returned_at"] is None
    back = client.patch(f"/api/cases/{ref}", headers=lead,
                        json={"work_order": "returned", "resolution": "更换了水龙头"})
    assert back.status_code == 200, back.get_json()
    body = back.get_json()
    assert body["work_order"]["returned_at"] and body["resolution"] == "更换了水龙头"
    assert body["followups"]["h16_callback"]["status"] == "scheduled"
    the_callback_is_made_the_next_day(app, run, case_id)
    listed = client.get("/api/cases", headers=lead, query_string={"kind": "repair"}).get_json()["items"]
    [item] = [i for i in listed if i["ref"] == ref]
    h16 = item["followups"]["h16_callback"]
    assert h16["status"] == "completed"
    assert h16["answers"]["survey_timeliness"] == "很满意" and h16["answers"]["survey_quality"] == "基本满意"
    again = client.patch(f"/api/cases/{ref}", headers=lead, json={"work_order": "returned"})
    assert again.status_code == 409 and again.get_json()["error"].startswith("work_order: already returned")


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"status": "done"}, 400, "status: must be one of"),
    ({"department": "火星部"}, 422, "department: must be one of"),
    ({"work_order": "lost"}, 400, "work_order: must be one of"),
    ({"work_order": "returned", "work_order_at": "yesterday"}, 400, "work_order_at:"),
    ({"work_order": "returned", "work_order_at": "2026-02-30T10:00"}, 422, "work_order_at:"),
    ({"work_order_at": "2026-01-01T10:00"}, 422, "work_order_at: give it with work_order"),
    ({"resolution": "x" * 3000}, 400, "resolution:"),
    ({"satisfaction": "meh"}, 400, "satisfaction: must be one of"),
    ({"colour": "red"}, 400, "colour: not a field"),
    ({}, 422, "body: nothing to update"),
    ([1, 2], 400, "body: must be a JSON object"),
])
def test_bad_updates_are_refused_and_change_nothing(app, client, lead, body, status, message):
    case_id = new_case(app, "repair", place="1号楼")
    before = get_case(app, case_id)
    answer = client.patch(f"/api/cases/{before.ref}", headers=lead, json=body)
    assert answer.status_code == status and answer.get_json()["error"].startswith(message), answer.get_json()
    after = get_case(app, case_id)
    assert (after.status, after.department, after.work_order_returned_at, after.outcome) == (
        before.status, before.department, before.work_order_returned_at, before.outcome)


def test_unknown_case_and_work_orders_on_non_repairs(app, client, lead):
    assert client.patch("/api/cases/NOPE-1", headers=lead, json={"status": "closed"}).status_code == 404
    assert client.patch("/api/cases/NOPE-1", json={"status": "closed"}).status_code == 401
    ref = ref_of(app, new_case(app, "inquiry"))
    refused = client.patch(f"/api/cases/{ref}", headers=lead, json={"work_order": "returned"})
    assert refused.status_code == 422 and "only a repair has a work order" in refused.get_json()["error"]


def test_resolving_a_complaint_and_recording_satisfaction(app, client, lead, run):
    case_id = new_case(app, "complaint")
    ref = ref_of(app, case_id)
    resolved = client.patch(f"/api/cases/{ref}", headers=lead, json={"status": "resolved", "resolution": "已道歉"})
    body = resolved.get_json()
    assert body["status"] == "resolved" and body["replied_at"] and body["resolved_at"]
    heard = client.patch(f"/api/cases/{ref}", headers=lead, json={"satisfaction": "不满意", "note": "还是吵"})
    assert heard.status_code == 200
    assert [(h["result"], h["satisfied"]) for h in heard.get_json()["followups"]["h17_callbacks"]] == [
        ("不满意", False)]
    reopened = client.patch(f"/api/cases/{ref}", headers=lead, json={"status": "open"}).get_json()
    assert reopened["status"] == "open" and reopened["resolved_at"] is None
    with session_scope(app) as s:
        actions = [a.detail for a in s.scalars(select(AuditLog).where(AuditLog.action == "case_update"))]
    assert actions[0] == {"status": "resolved", "resolution": "已道歉"}


def test_returning_the_work_order_on_the_console_case_page_starts_the_h16_call_back(app, sim, client,
                                                                                  make_user, run):
    sim.set_behaviour(PHONE, Behaviour(answer="human", answer_after_s=2, press=["1", "1", "2", "2", "2"]))
    make_user("lead2", role="lead")
    token = login(client, "lead2")
    run(until_local(app, 15), step=1800)
    case_id = new_case(app, "repair", place="5号楼")
    ref = ref_of(app, case_id)
    page = client.get(f"/console/cases/{ref}")
    assert page.status_code == 200 and ref in page.get_data(as_text=True)
    listing = client.get("/console/cases").get_data(as_text=True)
    assert f'href="/console/cases/{ref}"' in listing
    done = client.post(f"/console/cases/{ref}", data={"csrf_token": token, "work_order": "returned",
                                                      "resolution": "换了灯管"}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "换了灯管" in html
    assert re.search(r'data-h16="scheduled"', html), html[-3000:]
    bad = client.post(f"/console/cases/{ref}", data={"csrf_token": token, "status": "gone"})
    assert bad.status_code == 400 and "status: must be one of" in bad.get_data(as_text=True)
    the_callback_is_made_the_next_day(app, run, case_id)
    html = client.get(f"/console/cases/{ref}").get_data(as_text=True)
    assert 'data-h16="completed"' in html and "满意" in html
    assert get_case(app, case_id).outcome["h16_callback"]["answers"]["survey_attitude"] == "满意"
    assert utcnow(app) - get_case(app, case_id).work_order_returned_at > timedelta(hours=12)
