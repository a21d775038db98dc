"""Shift handover log (H24): shifts passing midnight, open items listed automatically, notes,
acknowledgement by the incoming user, and nothing open dropped at a shift change."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import clock
from core.alerts import Alert
from core.models import AuditLog, CallbackRequest, Case, User
from reports import handover
from reports.models import HandoverLog, MajorIncident
from reports.periods import find_shift, handover_shift, next_shift, shift_instance
from tests.console.helpers import login
from tests.reports.seed import DAY, local

NEXT = DAY + timedelta(days=1)


def test_shifts_pass_midnight(app):
    settings = app.config["HOTLINE"]  # day 08:00-17:30, evening 16:00-01:00 (H24)
    day, evening = settings.shifts
    late = shift_instance(settings, evening, DAY)
    assert (late.start, late.end) == (local(16, 0), local(1, 0, day=NEXT))
    assert late.key == "2026-11-20:evening" and find_shift(settings, late.key) == late
    assert handover_shift(settings, local(0, 30, day=NEXT)).key == "2026-11-20:evening"  # still running
    assert handover_shift(settings, local(17, 0)).key == "2026-11-20:day"  # both run; day ends first
    assert handover_shift(settings, local(2, 0, day=NEXT)).key == "2026-11-20:evening"  # the last one ended
    assert next_shift(settings, shift_instance(settings, day, DAY)).key == "2026-11-20:evening"
    assert next_shift(settings, late).key == "2026-11-21:day"
    assert find_shift(settings, "2026-11-20:night") is None and find_shift(settings, "garbage") is None


def _open_things(db, lead):
    case = Case(ref="C1", kind="repair", status="open", description="电梯故障", created_at=local(9, 0))
    callback = CallbackRequest(phone="+8613812345678", reason="abandoned", status="pending",
                               original_joined_at=local(9, 5), requested_at=local(9, 6))
    alert = Alert(kind="long_call", dedupe_key="long_call:1", text="> 300s", created_at=local(10, 0))
    incident = MajorIncident(title="地下车库水浸", occurred_at=local(11, 0), recorded_at=local(11, 5),
                             recorded_by_id=lead.id, report_due_at=local(0, 0, day=DAY + timedelta(days=2)))
    db.add_all([case, callback, alert, incident])
    db.commit()
    return case, callback, alert, incident


def test_nothing_open_is_dropped(app, db, make_user):
    settings = app.config["HOTLINE"]
    lead, _ = make_user("lin", role="lead")
    make_user("alice")
    make_user("bob")
    lead, alice, bob = (db.scalar(select(User).where(User.name == n)) for n in ("lin", "alice", "bob"))
    case, callback, alert, incident = _open_things(db, lead)
    day, evening = settings.shifts
    first = handover.refresh(db, handover.ensure_log(db, shift_instance(settings, day, DAY), local(17, 30)))
    keys = {(i.kind, i.ref_id) for i in first.items}
    assert keys == {("case", case.id), ("callback", callback.id), ("alert", alert.id), ("incident", incident.id)}
    assert not any(i.carried_over for i in first.items)
    note = {i.id: "等工程部回复" for i in first.items if i.kind == "case"}
    handover.submit(db, first, alice, "电梯问题未解决", note, local(17, 30))
    handover.acknowledge(db, first, bob, "收到", local(17, 35))
    db.commit()
    # The call-back is made; the case, alert and incident report are still open at the next handover.
    callback.status = "done"
    db.commit()
    second = handover.refresh(db, handover.ensure_log(db, shift_instance(settings, evening, DAY), local(1, 0, day=NEXT)))
    assert {(i.kind, i.ref_id) for i in second.items} == {("case", case.id), ("alert", alert.id),
                                                          ("incident", incident.id)}
    assert all(i.carried_over for i in second.items)
    assert handover.earlier_notes(db, second) == {("case", case.id): "等工程部回复"}
    handover.submit(db, second, bob, "", {}, local(1, 0, day=NEXT))
    db.commit()
    # Closed before the following handover: no longer listed; the frozen logs keep what they listed.
    case.status = "resolved"
    alert.acknowledged = True
    incident.report_filed_at = local(9, 0, day=NEXT)
    db.commit()
    third = handover.refresh(db, handover.ensure_log(db, shift_instance(settings, day, NEXT), local(17, 30, day=NEXT)))
    assert third.items == []
    db.refresh(second)
    assert len(second.items) == 3 and len(first.items) == 4


def test_submit_and_acknowledge_rules(app, db, make_user):
    import pytest

    settings = app.config["HOTLINE"]
    make_user("alice")
    make_user("bob")
    alice, bob = (db.scalar(select(User).where(User.name == n)) for n in ("alice", "bob"))
    log = handover.ensure_log(db, shift_instance(settings, settings.shifts[0], DAY), local(17, 0))
    with pytest.raises(handover.HandoverError, match="not submitted"):
        handover.acknowledge(db, log, bob, "", local(17, 0))
    handover.submit(db, log, alice, "ok", {}, local(17, 30))
    with pytest.raises(handover.HandoverError, match="already"):
        handover.submit(db, log, alice, "again", {}, local(17, 31))
    with pytest.raises(handover.HandoverError, match="incoming user"):
        handover.acknowledge(db, log, alice, "", local(17, 32))
    handover.acknowledge(db, log, bob, "", local(17, 33))
    with pytest.raises(handover.HandoverError, match="already"):
        handover.acknowledge(db, log, bob, "", local(17, 34))
    db.commit()
    actions = [a.action for a in db.scalars(select(AuditLog).where(AuditLog.action.like("handover%")))]
    assert actions == ["handover_submitted", "handover_acknowledged"]


def test_handover_pages(client, app, db, make_user):
    clock.follow(lambda: 0.0, start=local(17, 20), app=app)
    lead, _ = make_user("lin", role="lead")
    make_user("alice")
    make_user("bob")
    _open_things(db, db.scalar(select(User).where(User.name == "lin")))
    token = login(client, "alice")
    page = client.get("/console/handover").get_data(as_text=True)  # 17:20: the day shift is handing over
    assert 'data-log="2026-11-20:day"' in page
    assert "电梯故障" in page and "地下车库水浸" in page and "long_call" in page and "abandoned" in page
    log = db.scalar(select(HandoverLog).where(HandoverLog.shift_key == "2026-11-20:day"))
    case_item = next(i for i in log.items if i.kind == "case")
    sent = client.post("/console/handover/2026-11-20:day/submit",
                       data={"csrf_token": token, "notes": "交班:电梯待修", f"note-{case_item.id}": "已催工程部"})
    assert sent.status_code == 302
    own = client.post("/console/handover/2026-11-20:day/acknowledge", data={"csrf_token": token})
    assert own.status_code == 400
    client.post("/console/logout", data={"csrf_token": token})
    token = login(client, "bob")
    page = client.get("/console/handover").get_data(as_text=True)
    assert "已催工程部" in page and "交班:电梯待修" in page
    ack = client.post("/console/handover/2026-11-20:day/acknowledge", data={"csrf_token": token, "note": "收到"})
    assert ack.status_code == 302
    assert "data-acknowledged" in client.get("/console/handover/2026-11-20:day").get_data(as_text=True)
    assert client.get("/console/handover/2026-11-20:night").status_code == 404
    assert client.post("/console/handover/nope/submit", data={"csrf_token": token}).status_code == 404
    # The evening shift's draft lists the same open items, marked as carried over.
    evening = client.get("/console/handover/2026-11-20:evening").get_data(as_text=True)
    assert evening.count("上班次遗留") == 4 and "已催工程部" in evening
