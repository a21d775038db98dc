"""Major incidents (H26): the managers are notified at once, the written report is due the next day
and the incident shows (wallboard, handover) until the report is filed."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from core import clock, events
from core.models import AuditLog, User
from reports import handover, incidents, wallboard
from reports.models import MajorIncident
from tests.console.helpers import login
from tests.reports.seed import DAY, local


def test_report_is_due_at_the_end_of_the_next_local_day(app):
    settings = app.config["HOTLINE"]
    # Recorded 23:30 local on the 20th → due 2026-11-22 00:00 local (end of the 21st).
    assert incidents.report_due(settings, local(23, 30)) == local(0, 0, day=DAY + timedelta(days=2))
    assert incidents.report_due(settings, local(0, 10)) == local(0, 0, day=DAY + timedelta(days=2))


def test_recording_notifies_managers_at_once(client, app, db, make_user):
    clock.follow(lambda: 0.0, start=local(14, 0), app=app)
    make_user("lin", role="lead")
    make_user("root", role="admin")
    make_user("alice")
    heard = []

    def receiver(batch):
        heard.extend(e for e in batch if isinstance(e, events.Notice) and e.topic == "incident")

    events.subscribe(app, receiver)
    token = login(client, "lin")
    response = client.post("/console/incidents", data={
        "csrf_token": token, "title": "地下车库水浸", "description": "B2 层积水约 20 厘米,已通知工程部。",
        "occurred_at": "2026-11-20T13:40"})
    deadline = time.monotonic() + 10  # delivered by the LISTEN thread on PostgreSQL
    while not heard and time.monotonic() < deadline:
        time.sleep(0.05)
    assert response.status_code == 302
    incident = db.scalar(select(MajorIncident))
    managers = {u.id for u in db.scalars(select(User).where(User.role.in_(("lead", "admin"))))}
    assert set(incident.notified) == managers
    assert incident.occurred_at == local(13, 40) and incident.recorded_at == local(14, 0)
    assert incident.report_due_at == local(0, 0, day=DAY + timedelta(days=2))
    assert len(heard) == 1
    assert heard[0].payload["title"] == "地下车库水浸" and heard[0].payload["report_due_at"] == "2026-11-22 00:00"
    assert set(heard[0].roles) == {"lead", "admin"}
    assert set(heard[0].users) == managers
    assert db.scalar(select(AuditLog.action).where(AuditLog.target == f"incident:{incident.id}")) == "incident_recorded"
    page = client.get(f"/console/incidents/{incident.id}").get_data(as_text=True)
    assert "B2 层积水" in page and "2026-11-22 00:00" in page


def test_report_due_shows_until_filed(client, app, db, make_user):
    settings = app.config["HOTLINE"]
    make_user("lin", role="lead")
    lead = db.scalar(select(User).where(User.name == "lin"))
    incident = incidents.record(db, settings, lead, "停电", "", None, local(9, 0))
    db.commit()
    late = local(1, 0, day=DAY + timedelta(days=2))
    board = wallboard.snapshot(db, settings, late)
    assert [i["title"] for i in board["incidents_due"]] == ["停电"]
    assert board["incidents_due"][0]["report_overdue"] is True
    assert ("incident", incident.id) in {(i.kind, i.ref_id) for i in handover.open_items(db)}
    token = login(client, "lin")
    assert client.post(f"/console/incidents/{incident.id}/report", data={"csrf_token": token,
                                                                          "report": "  "}).status_code == 400
    filed = client.post(f"/console/incidents/{incident.id}/report",
                        data={"csrf_token": token, "report": "书面报告:9:00 全楼停电,原因为供电局线路检修。"})
    assert filed.status_code == 302
    db.expire_all()
    assert db.get(MajorIncident, incident.id).report_filed_at is not None
    assert wallboard.snapshot(db, settings, late)["incidents_due"] == []
    assert ("incident", incident.id) not in {(i.kind, i.ref_id) for i in handover.open_items(db)}


def test_bad_input_and_roles(client, make_user):
    clock.follow(lambda: 0.0, start=local(14, 0), app=client.application)
    make_user("lin", role="lead")
    make_user("alice")
    token = login(client, "lin")
    for form in ({"title": ""}, {"title": "x" * 201}, {"title": "ok", "occurred_at": "tomorrow"},
                 {"title": "ok", "occurred_at": "2026-11-21T10:00"}):
        response = client.post("/console/incidents", data={"csrf_token": token, **form})
        assert response.status_code == 400, form
    assert client.get("/console/incidents/999").status_code == 404
    client.post("/console/logout", data={"csrf_token": token})
    login(client, "alice")
    assert client.get("/console/incidents").status_code == 403
