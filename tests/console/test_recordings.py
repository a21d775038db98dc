"""Call recordings end to end through the simulator and a real database: the disclosure line
before the agent joins, the recording started after the bridge (dual channel), the status
callback's row and timeline, pause/resume from the card and the API, the audited proxy (lead
200, the agent who took the call 200, another agent 403, signed-out 401, unknown 404), and the
retention purge on the simulator's clock."""

from __future__ import annotations

import io
import wave
from typing import Any

import pytest
from sqlalchemy import select

from core.cases import open_case
from core.db import utcnow
from core.models import AuditLog, Call, Case
from core.ops import get_spool
from ivr.recording_models import Recording
from scheduler.engine import tick
from scheduler.recording_retention import purge_expired
from tests.console.conftest import connect
from tests.hardening.conftest import Outage
from tests.ivr.test_statement_budget import counting

pytestmark = pytest.mark.slow


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"recording": {"enabled": True, "channels": "dual", "disclosure": True, "retention_days": 90}}


def _recording(db: Any, call_sid: str) -> Recording:
    db.expire_all()
    rows = db.scalars(select(Recording).where(Recording.call_sid == call_sid)).all()
    assert len(rows) == 1
    return rows[0]


def _call_and_hang_up(sim: Any, desk: Any, caller: Any, talk_s: float = 40) -> tuple[str, Any]:
    alice = desk("alice")
    assert alice.post("/console/api/presence", {"state": "available"}).status_code == 200
    sid = caller(talk_s=talk_s)
    connect(sim, alice)
    return sid, alice


def _wav_seconds(data: bytes) -> tuple[int, float]:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnchannels(), w.getnframes() / w.getframerate()


def test_bridged_call_is_recorded_and_played_through_the_proxy(app, sim, db, desk, caller, client):
    sid, alice = _call_and_hang_up(sim, desk, caller, talk_s=40)
    timeline = sim.timeline(sid)
    said = [e["text"] for e in timeline if e["verb"] == "say"]
    disclosure = said.index("为了保证服务质量，您的通话可能会被录音。")
    bridged_at = next(e["t"] for e in timeline if e["verb"] == "bridged")
    assert next(e["t"] for e in timeline if e["verb"] == "say" and e["text"] == said[disclosure]) < bridged_at
    assert sim.run_until(lambda: sim.call(sid)["status"] == "completed", max_seconds=120)
    sim.run_until_idle(max_seconds=60)
    rec = _recording(db, sid)
    assert rec.recording_sid.startswith("RE") and rec.status == "completed" and rec.channels == 2
    assert rec.source == "StartCallRecordingAPI" and rec.started_at is not None
    assert 38 <= rec.duration_s <= 48  # the caller talks 40 s after the bridge (+ "connecting you")
    kinds = [e.kind for e in db.scalar(select(Call).where(Call.call_sid == sid)).events]
    assert "recording_disclosed" in kinds and "recording" in kinds

    url = f"/console/recordings/{rec.recording_sid}.wav"
    assert client.get(url).status_code == 401  # signed out
    lead = desk("lena", role="lead")
    played = lead.client.get(url)
    assert played.status_code == 200 and played.mimetype == "audio/wav"
    channels, seconds = _wav_seconds(played.data)
    assert channels == 2 and round(seconds) == rec.duration_s
    assert rec.media_url not in played.get_data(as_text=False).decode("latin-1")
    assert alice.client.get(url).status_code == 200  # the agent who took the call
    assert desk("bob").client.get(url).status_code == 403  # any other agent
    assert lead.client.get("/console/recordings/RE0000.wav").status_code == 404
    db.expire_all()
    plays = db.scalars(select(AuditLog).where(AuditLog.action == "recording_played")).all()
    assert sorted(p.user_id for p in plays) == sorted([lead.user_id, alice.user_id])

    # the case page of the call shows the player to the lead, not to another agent
    call = db.scalar(select(Call).where(Call.call_sid == sid))
    case = open_case(db, app.config["HOTLINE"], kind="repair", description="漏水", call_id=call.id)
    db.commit()
    page = lead.client.get(f"/console/cases/{case.ref}").get_data(as_text=True)
    assert f'src="{url}"' in page and "api.twilio" not in page and "/simulator/" not in page
    assert url not in desk("carol").client.get(f"/console/cases/{case.ref}").get_data(as_text=True)


def test_pause_and_resume_shorten_the_recording(app, sim, db, desk, caller, client):
    sid, alice = _call_and_hang_up(sim, desk, caller, talk_s=60)
    sim.advance(2)
    assert _recording(db, sid).status == "in-progress"
    assert 'id="recording-btn"' in alice.client.get("/console/").get_data(as_text=True)  # the card's button
    paused = alice.post("/console/api/recording", {"action": "pause"})
    assert paused.status_code == 200 and paused.get_json()["status"] == "paused"
    sim.advance(20)
    bob = desk("bob")
    refused = client.post(f"/api/calls/{sid}/recording", json={"action": "resume"},
                          headers={"Authorization": f"Bearer {bob.api_token}"})
    assert refused.status_code == 403
    resumed = client.post(f"/api/calls/{sid}/recording", json={"action": "resume"},
                          headers={"Authorization": f"Bearer {alice.api_token}"})
    assert resumed.status_code == 200 and resumed.get_json()["status"] == "in-progress"
    assert sim.run_until(lambda: sim.call(sid)["status"] == "completed", max_seconds=120)
    sim.run_until_idle(max_seconds=60)
    rec = _recording(db, sid)
    assert 38 <= rec.duration_s <= 48  # 60 s talked, 20 s of it paused (left out)
    lead = desk("lena", role="lead")
    _channels, seconds = _wav_seconds(lead.client.get(f"/console/recordings/{rec.recording_sid}.wav").data)
    assert round(seconds) == rec.duration_s
    after = client.post(f"/api/calls/{sid}/recording", json={"action": "pause"},
                        headers={"Authorization": f"Bearer {alice.api_token}"})
    assert after.status_code == 409  # nothing is being recorded any more
    db.expire_all()
    audited = [a.action for a in db.scalars(select(AuditLog).where(AuditLog.target == sid))]
    assert audited.count("recording_paused") == 1 and audited.count("recording_resumed") == 1
    kinds = [e.kind for e in db.scalar(select(Call).where(Call.call_sid == sid)).events]
    assert "recording_paused" in kinds and "recording_resumed" in kinds


def test_bad_requests(app, desk, client):
    alice = desk("alice")
    assert alice.post("/console/api/recording", {"action": "stop"}).status_code == 400
    assert alice.post("/console/api/recording", {"action": "pause"}).status_code == 404  # no call
    headers = {"Authorization": f"Bearer {alice.api_token}"}
    assert client.post("/api/calls/CA1/recording", json={"action": "pause"}, headers=headers).status_code == 404
    assert client.post("/api/calls/CA1/recording", json={"action": 3}, headers=headers).status_code == 400
    assert client.post("/api/calls/CA1/recording", json={"action": "pause"}).status_code == 401


def test_retention_deletes_old_recordings_at_twilio(app, sim, db, desk, caller):
    sid, _alice = _call_and_hang_up(sim, desk, caller, talk_s=10)
    assert sim.run_until(lambda: sim.call(sid)["status"] == "completed", max_seconds=120)
    sim.run_until_idle(max_seconds=60)
    rec = _recording(db, sid)
    assert tick(app, followups=False, dispatch=False).hooks["purge_expired"] == 0  # 90 days have not passed
    assert not sim.recordings[rec.recording_sid].get("deleted")
    sim.advance(91 * 86400)
    assert tick(app, followups=False, dispatch=False).hooks["purge_expired"] == 1
    assert sim.recordings[rec.recording_sid]["deleted"]
    rec = _recording(db, sid)
    assert rec.status == "deleted" and rec.deleted_at is not None
    lead = desk("lena", role="lead")
    assert lead.client.get(f"/console/recordings/{rec.recording_sid}.wav").status_code == 404
    assert purge_expired(app, utcnow(app)) == 0  # idempotent
    rec.deleted_at, rec.status = None, "completed"  # a crash after Twilio's delete, before the mark
    db.commit()
    assert purge_expired(app, utcnow(app)) == 1  # Twilio's 404 counts as deleted


def test_status_webhook_is_signed_bounded_and_keeps_the_final_status(app, db, twilio_post, client):
    rsid = "RE" + "a" * 32
    base = {"RecordingSid": rsid, "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/" + rsid,
            "RecordingChannels": "2", "RecordingSource": "StartCallRecordingAPI",
            "RecordingStartTime": "Tue, 01 Dec 2026 03:00:00 +0000", "ErrorCode": "0"}
    assert client.post("/ivr/recording/status", data={**base, "RecordingStatus": "completed"}).status_code == 403
    done = twilio_post("/ivr/recording/status", **base, RecordingStatus="completed", RecordingDuration="42")
    assert done.status_code == 204
    late = twilio_post("/ivr/recording/status", **base, RecordingStatus="in-progress")  # arrives out of order
    assert late.status_code == 204
    for bad in ({"RecordingSid": "nope"}, {"RecordingStatus": "exploded"}, {"RecordingDuration": "x" * 50}):
        assert twilio_post("/ivr/recording/status", **{**base, "RecordingStatus": "completed", **bad}).status_code == 204
    rows = db.scalars(select(Recording)).all()
    assert len(rows) == 1
    assert (rows[0].status, rows[0].duration_s, rows[0].channels) == ("completed", 42, 2)
    assert rows[0].started_at.isoformat() == "2026-12-01T03:00:00"


def test_status_webhook_stays_cheap(app, db, twilio_post):
    """Two reads (the recording, the call), the upsert and the timeline line; one commit."""
    call_sid = "CA" + "b" * 32
    twilio_post("/ivr/voice", CallSid=call_sid)  # the call is known
    form = {"CallSid": call_sid, "RecordingSid": "RE" + "c" * 32, "RecordingStatus": "in-progress",
            "RecordingUrl": "https://api.twilio.com/x", "RecordingChannels": "2"}
    for status in ("in-progress", "completed"):
        with counting(app) as tally:
            assert twilio_post("/ivr/recording/status", **{**form, "RecordingStatus": status}).status_code == 204
        assert tally.commits == 1 and len(tally.statements) <= 4, tally.statements


def test_status_callback_during_a_database_outage_is_stored_afterwards(app, db, twilio_post):
    rsid, call_sid = "RE" + "f" * 32, "CA" + "f" * 32
    twilio_post("/ivr/voice", CallSid=call_sid)
    outage = Outage(app)
    outage.start()
    try:
        answered = twilio_post("/ivr/recording/status", CallSid=call_sid, RecordingSid=rsid,
                               RecordingStatus="completed", RecordingDuration="33", RecordingChannels="2",
                               RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/" + rsid)
        assert answered.status_code == 200  # Twilio gets an answer at once; the callback is spooled
    finally:
        outage.stop()
    assert get_spool(app).replay(app) == 1
    db.expire_all()
    rec = db.scalar(select(Recording).where(Recording.recording_sid == rsid))
    assert (rec.status, rec.duration_s, rec.channels, rec.call_sid) == ("completed", 33, 2, call_sid)
    assert db.scalars(select(Case)).all() == []  # not mistaken for a message left
