"""The database gone or locked while calls arrive; Twilio REST faults.

The caller always hears safe TwiML (an apology and ``<Record>``), the message is kept in the
fault spool and stored exactly once when the database is back. Runs on SQLite and, in CI's
second pass, on PostgreSQL (``HOTLINE_TEST_BACKEND=postgresql``).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from core.models import Call, Case, CaseKind
from core.ops.spool import get_spool
from tests.hardening.conftest import db_lock
from tests.twiml import parse

SID = "CA" + "d" * 32
REC = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "1" * 32


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    # A short time box keeps the locked-database test quick (production default 5 s).
    return {"ops": {"webhook_db_budget_s": 0.3, "spool_replay_every_s": 3600}}


def verbs(response: Any) -> list[str]:
    return [el.tag for el in parse(response.data)]


def message_cases(app: Any, call_sid: str) -> list[Case]:
    with app.extensions["db_sessionmaker"]() as s:
        return list(s.scalars(select(Case).join(Call, Case.call_id == Call.id)
                              .where(Call.call_sid == call_sid, Case.kind == CaseKind.MESSAGE)))


def test_caller_during_outage_hears_apology_and_message_is_stored_once_after(app, twilio_post, outage, client):
    outage.begin()
    voice = twilio_post("/ivr/voice", CallSid=SID, From="+8613812345678")
    assert voice.status_code == 200
    doc = parse(voice.data)
    record = doc.find("Record")
    assert doc.find("Say") is not None and record is not None
    assert record.get("action") == "https://hotline.test/ivr/fallback/recording"
    saved = twilio_post("/ivr/fallback/recording", CallSid=SID, From="+8613812345678", RecordingUrl=REC,
                        RecordingDuration="14", CallStatus="in-progress")
    assert saved.status_code == 200 and verbs(saved) == ["Say", "Hangup"]
    done = twilio_post("/ivr/status", CallSid=SID, CallStatus="completed", CallDuration="41")
    assert done.status_code == 200
    assert client.get("/healthz").status_code == 503
    spool = get_spool(app)
    assert spool.pending_count() == 3  # arrival, message, final status

    assert spool.replay(app) == 0  # still down: nothing stored, nothing dropped
    assert spool.pending_count() == 3

    outage.stop()
    assert spool.replay(app) == 3
    assert spool.pending_count() == 0
    cases = message_cases(app, SID)
    assert len(cases) == 1
    assert cases[0].recording_url == REC and cases[0].source == "voicemail"
    assert cases[0].contact_number == "+8613812345678"
    with app.extensions["db_sessionmaker"]() as s:
        call = s.scalar(select(Call).where(Call.call_sid == SID))
        assert call.status == "completed" and call.duration_s == 41
    assert spool.replay(app) == 0
    assert len(message_cases(app, SID)) == 1
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["checks"]["spool"]["pending"] == 0


def test_replayed_twice_from_two_copies_is_stored_once(app, twilio_post, outage):
    """Two workers replaying the same record (or a crash after commit): one case."""
    outage.begin()
    twilio_post("/ivr/fallback/recording", CallSid=SID, From="+8613812345678", RecordingUrl=REC)
    outage.stop()
    spool = get_spool(app)
    (path,) = spool.pending()
    copy = path.read_bytes()
    assert spool.replay(app) == 1
    path.write_bytes(copy)  # the file is back, as if the unlink never happened
    assert spool.replay(app) == 0
    assert spool.pending_count() == 0
    assert len(message_cases(app, SID)) == 1


def test_callers_own_voicemail_action_during_outage_is_kept(app, twilio_post, outage):
    """A message started before the outage (the caller's path's own <Record> action)."""
    outage.begin()
    response = twilio_post("/ivr/voicemail?reason=after_hours", CallSid=SID, RecordingUrl=REC,
                           RecordingDuration="9")
    assert response.status_code == 200 and verbs(response) == ["Say", "Hangup"]
    outage.stop()
    assert get_spool(app).replay(app) == 1
    assert [c.recording_url for c in message_cases(app, SID)] == [REC]


def test_waiting_callers_keep_their_place_and_are_reassured_during_outage(app, twilio_post, outage):
    outage.begin()
    response = twilio_post("/ivr/queue/wait", CallSid=SID, QueuePosition="3", QueueTime="40")
    assert response.status_code == 200
    doc = parse(response.data)
    gather = doc.find("Gather")
    assert gather is not None and "3" in gather.find("Say").text
    assert gather.get("action") == "https://hotline.test/ivr/fallback/leave"
    assert doc.find("Pause") is not None
    assert doc.find("Leave") is None and doc.find("Record") is None  # not allowed in waitUrl
    left = twilio_post("/ivr/fallback/leave", CallSid=SID, Digits="1")
    assert verbs(left) == ["Leave"]
    done = twilio_post("/ivr/queue/done", CallSid=SID, QueueResult="leave", QueueTime="55")
    assert parse(done.data).find("Record") is not None  # Enqueue's action → leave a message


def test_locked_database_is_answered_within_the_time_box(app, twilio_post):
    """Another connection holds the write lock: the webhook gives up after the time box
    (ops.webhook_db_budget_s) instead of waiting out 15 s, and answers the fallback."""
    with db_lock(app):
        response = twilio_post("/ivr/voice", CallSid=SID, From="+8613812345678")
    assert response.status_code == 200
    assert parse(response.data).find("Record") is not None
    assert get_spool(app).replay(app) == 1
    with app.extensions["db_sessionmaker"]() as s:
        assert s.scalar(select(func.count()).select_from(Call).where(Call.call_sid == SID)) == 1


def test_spool_left_by_an_outage_is_replayed_at_start_up(app, make_app, twilio_post, outage):
    outage.begin()
    twilio_post("/ivr/fallback/recording", CallSid=SID, From="+8613812345678", RecordingUrl=REC)
    outage.stop()
    assert get_spool(app).pending_count() == 1
    restarted = make_app({"ops": {"spool_replay_every_s": 3600}})  # same data_dir and database
    assert get_spool(restarted).pending_count() == 0
    assert len(message_cases(restarted, SID)) == 1


def test_unreadable_spool_record_is_set_aside_not_lost(app):
    spool = get_spool(app)
    (spool.dir / "00000000000000000001-1-broken.json").write_bytes(b"\xff\xfe not json")
    assert spool.replay(app) == 0
    assert spool.pending_count() == 0
    assert (spool.dir / "bad" / "00000000000000000001-1-broken.json").exists()


def test_caller_who_hangs_up_during_an_outage_leaves_the_line(app, twilio_post, outage, make_user):
    from core.db import session_scope
    from core.models import QueueEntry, User
    from core.presence import set_presence

    user, _ = make_user("away-agent", endpoint="client:away-agent")
    with session_scope(app) as s:
        set_presence(s, s.get(User, user.id), "away")  # logged in, not free: the caller waits
    twilio_post("/ivr/voice", CallSid=SID)
    joined = twilio_post("/ivr/menu?tries=0", CallSid=SID, Digits="1")
    assert parse(joined.data).find("Enqueue") is not None
    outage.begin()
    twilio_post("/ivr/status", CallSid=SID, CallStatus="completed", CallDuration="80")
    outage.stop()
    assert get_spool(app).replay(app) == 1
    with app.extensions["db_sessionmaker"]() as s:
        statuses = list(s.scalars(select(QueueEntry.status).join(Call, QueueEntry.call_id == Call.id)
                                  .where(Call.call_sid == SID)))
    assert statuses == ["abandoned"]
