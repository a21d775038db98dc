"""``/ivr/status`` without the ORM (``ivr.hotstatus``): what a caller hanging up in line and a
call ending normally leave behind — rows, timeline, live events, statements — and the rarer
paths still answered by the ORM code in the same, single transaction."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from core import clock, events
from core.db import session_scope
from core.models import Call, CallbackRequest, CallEvent, Case, CaseKind, QueueEntry
from tests.console.test_live import heard, wait_for
from tests.ivr.test_statement_budget import _agent, _queued_caller, counting


def _rows(app: Any, sid: str) -> tuple[Call, QueueEntry | None, list[CallEvent]]:
    with session_scope(app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == sid))
        entry = s.scalar(select(QueueEntry).where(QueueEntry.call_id == call.id))
        timeline = list(s.scalars(select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.id)))
        s.expunge_all()
    return call, entry, timeline


def test_caller_hanging_up_in_line_abandons_it_without_the_orm(app, twilio_post, make_user):
    _agent(app, make_user, "busy", "busy")
    sid, phone = "CA" + uuid.uuid4().hex, "+8613812349001"
    _queued_caller(app, twilio_post, sid, phone)
    got = heard(app)
    with counting(app) as tally:
        response = twilio_post("/ivr/status", CallSid=sid, From=phone, CallStatus="completed", CallDuration="12",
                               AnsweredBy="human")
    assert response.status_code == 200
    assert len(tally.statements) <= 4 and tally.commits == 1, "\n".join(tally.statements)
    assert not any("FROM calls" in st and "queue_entries.id AS" in st for st in tally.statements)  # no ORM read
    call, entry, timeline = _rows(app, sid)
    assert (call.status, call.duration_s, call.answered_by) == ("completed", 12, "human")
    assert call.ended_at is not None and call.wait_s is not None and call.wait_s >= 0
    assert entry is not None and entry.status == "abandoned" and entry.ended_at == call.ended_at
    assert [e.kind for e in timeline][-2:] == ["status", "abandoned"]
    assert timeline[-2].detail == {"status": "completed"} and "waited_s" in timeline[-1].detail
    assert wait_for(lambda: sum(isinstance(e, events.CallEnded) and e.call_sid == sid for e in got) == 2)
    with session_scope(app) as s:  # a short wait: no recovery call-back
        assert s.scalar(select(func.count()).select_from(CallbackRequest)) == 0


def test_call_ending_outside_the_line_keeps_status_and_duration(app, twilio_post):
    sid, phone = "CA" + uuid.uuid4().hex, "+8613812349002"
    got = heard(app)
    twilio_post("/ivr/voice", CallSid=sid, From=phone)
    twilio_post("/ivr/status", CallSid=sid, From=phone, CallStatus="in-progress")
    twilio_post("/ivr/status", CallSid=sid, From=phone, CallStatus="completed")
    twilio_post("/ivr/status", CallSid=sid, From=phone, CallStatus="completed")  # Twilio retries: no change
    call, entry, timeline = _rows(app, sid)
    assert entry is None and call.status == "completed"
    assert call.duration_s == (call.ended_at - call.started_at).total_seconds()
    assert [e.kind for e in timeline].count("status") == 2
    # the status callbacks announce the answer and the end once each (the arrival, announced by
    # /ivr/voice, may reach this subscriber late on PostgreSQL: only these two kinds are compared)
    kinds = ("CallAnswered", "CallEnded")
    assert wait_for(lambda: [type(e).__name__ for e in got if getattr(e, "call_sid", None) == sid
                             and type(e).__name__ in kinds] == list(kinds), timeout=10)


def test_long_wait_still_brings_the_recovery_call_back_in_one_commit(app, twilio_post, make_user):
    _agent(app, make_user, "busy", "busy")
    sid, phone = "CA" + uuid.uuid4().hex, "+8613812349003"
    _queued_caller(app, twilio_post, sid, phone)
    later = clock.utcnow(app) + timedelta(seconds=app.config["HOTLINE"].queue.short_abandon_s + 60)
    with clock.kept(app), counting(app) as tally:
        clock.clock_of(app).source = lambda: later
        response = twilio_post("/ivr/status", CallSid=sid, From=phone, CallStatus="completed")
    assert response.status_code == 200 and tally.commits == 1
    _call, entry, timeline = _rows(app, sid)
    assert entry is not None and entry.status == "abandoned"
    assert "recovery_callback" in [e.kind for e in timeline]
    with session_scope(app) as s:
        request = s.scalar(select(CallbackRequest).where(CallbackRequest.phone == phone))
        assert request is not None and request.reason == "abandoned"
        assert s.get(Case, request.case_id).kind == CaseKind.RECOVERY
