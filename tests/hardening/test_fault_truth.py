"""What the caller was told and what was stored never disagree, on SQLite and PostgreSQL.

Faults are injected as in ``test_faults``: a table locked just after the caller's place was
committed (the work that follows the commit meets it), a connection killed in the middle of
a webhook's transaction, the database made unreachable.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from core.db import session_scope
from core.models import Call, CallEvent, Case, QueueEntry, QueueStatus, User
from core.ops.spool import get_spool
from core.presence import set_presence
from ivr.models import Offer
from tests.hardening.conftest import ConnectionStorm, KillConnectionOnce, LockAfterCommit, table_lock
from tests.twiml import parse

SID = "CA" + "e" * 32
CALLER = "+8613812345678"


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"ops": {"webhook_db_budget_s": 0.3, "spool_replay_every_s": 3600}}


def free_agent(app: Any, make_user: Any, name: str = "free-agent") -> int:
    user, _ = make_user(name, endpoint=f"client:{name}")
    with session_scope(app) as s:
        set_presence(s, s.get(User, user.id), "available")
    return user.id


def entries(app: Any, sid: str) -> list[str]:
    with session_scope(app) as s:
        return list(s.scalars(select(QueueEntry.status).join(Call, QueueEntry.call_id == Call.id)
                              .where(Call.call_sid == sid)))


def case_kinds(app: Any, sid: str) -> list[str]:
    with session_scope(app) as s:
        return sorted(s.scalars(select(Case.kind).join(Call, Case.call_id == Call.id).where(Call.call_sid == sid)))


def test_dispatch_failing_after_the_caller_joined_keeps_the_enqueue(app, twilio_post, make_user):
    """The caller's place is committed, then dispatch meets a locked ``ivr_offers``: the caller
    hears the Enqueue that matches the stored ``waiting`` entry — not an apology and <Record>
    while still in line — and dispatch offers them once the table is free."""
    free_agent(app, make_user)
    twilio_post("/ivr/voice", CallSid=SID, From=CALLER)
    with LockAfterCommit(app, "/ivr/menu", table_lock(app, ["ivr_offers"])) as lock:
        joined = twilio_post("/ivr/menu?tries=0", CallSid=SID, From=CALLER, Digits="1")
    assert lock.taken
    doc = parse(joined.data)
    assert doc.find("Enqueue") is not None and doc.find("Record") is None
    assert entries(app, SID) == [QueueStatus.WAITING]
    assert get_spool(app).pending_count() == 0  # nothing spooled: the place was stored
    twilio_post("/ivr/queue/wait", CallSid=SID, QueuePosition="1", QueueTime="5")  # dispatch runs again
    assert entries(app, SID) == [QueueStatus.OFFERED]
    with session_scope(app) as s:
        assert s.scalar(select(func.count()).select_from(Offer)) == 1
    twilio_post("/ivr/status", CallSid=SID, CallStatus="completed", CallDuration="30")
    assert "message" not in case_kinds(app, SID)  # never a message case on top of the line


def test_connection_killed_mid_transaction_is_retried_once(app, twilio_post, make_user):
    """A killed connection under the INSERT of the caller's place: the transaction is run
    again on a new connection and the caller is put in line (no apology, no voicemail)."""
    free_agent(app, make_user)
    twilio_post("/ivr/voice", CallSid=SID, From=CALLER)
    with KillConnectionOnce(app, "/ivr/menu", "INSERT INTO queue_entries") as kill:
        joined = twilio_post("/ivr/menu?tries=0", CallSid=SID, From=CALLER, Digits="1")
    assert kill.killed == 1
    doc = parse(joined.data)
    assert doc.find("Enqueue") is not None and doc.find("Record") is None
    assert len(entries(app, SID)) == 1
    assert get_spool(app).pending_count() == 0


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_connection_storm_never_leaves_caller_and_database_disagreeing(app, twilio_post, make_user, seed):
    """One statement in eight of the webhooks loses its connection while callers use the menu
    and an agent is free: each caller in line was told so (Enqueue) and each caller told to
    leave a message is not in line; after the hang-ups no call is left ringing and none has
    both a recovery case and a message case."""
    free_agent(app, make_user)
    sids = [f"CA{n:032d}" for n in range(1, 13)]
    told: dict[str, str] = {}
    with ConnectionStorm(app, rate=0.125, seed=seed) as storm:
        for n, sid in enumerate(sids):
            caller = f"+86139000000{n:02d}"
            greeted = parse(twilio_post("/ivr/voice", CallSid=sid, From=caller).data)
            if greeted.find("Gather") is None:
                told[sid] = "message"
                continue
            answer = parse(twilio_post("/ivr/menu?tries=0", CallSid=sid, From=caller, Digits="1").data)
            told[sid] = "line" if answer.find("Enqueue") is not None else "message"
            assert told[sid] == "line" or answer.find("Record") is not None
            in_line = [e for e in entries(app, sid) if e in (QueueStatus.WAITING, QueueStatus.OFFERED)]
            assert bool(in_line) == (told[sid] == "line"), (sid, told[sid], entries(app, sid))
    assert storm.killed > 0
    for sid in sids:
        twilio_post("/ivr/status", CallSid=sid, CallStatus="completed", CallDuration="40")
    get_spool(app).replay(app)
    for sid in sids:
        assert call_of(app, sid).status == "completed"
        kinds = case_kinds(app, sid)
        assert not ("recovery" in kinds and "message" in kinds), (sid, kinds)


# -- a call whose arrival is still in the spool --------------------------------------------------

def call_of(app: Any, sid: str) -> Call:
    with session_scope(app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == sid))
        assert call is not None, f"no Call row for {sid}"
        s.expunge(call)
        return call


def wait_until_drained(app: Any, within_s: float = 30) -> bool:
    """The spool's waiter stores records on its own thread: wait (bounded) until it is empty."""
    import time

    spool = get_spool(app)
    deadline = time.monotonic() + within_s
    while spool.pending_count() and time.monotonic() < deadline:
        time.sleep(0.05)
    return spool.pending_count() == 0


def test_final_status_arriving_just_after_the_database_returns_is_kept(app, twilio_post, outage):
    """The arrival is still spooled when the final status comes: the status must not be
    dropped as "unknown call", and the call must not stay ``ringing``."""
    outage.begin()
    twilio_post("/ivr/voice", CallSid=SID, From=CALLER, CallStatus="ringing")
    outage.stop()
    done = twilio_post("/ivr/status", CallSid=SID, CallStatus="completed", CallDuration="33")
    assert done.status_code == 200
    get_spool(app).replay(app)
    call = call_of(app, SID)
    assert call.status == "completed" and call.duration_s == 33
    assert get_spool(app).pending_count() == 0


def test_status_for_a_spooled_call_is_spooled_and_applied_in_order(app, twilio_post, outage):
    """Another worker is replaying the spool right now: the status callback cannot overtake
    the arrival, so it joins the spool behind it and is applied after it."""
    outage.begin()
    twilio_post("/ivr/voice", CallSid=SID, From=CALLER, CallStatus="ringing")
    outage.stop()
    spool = get_spool(app)
    with spool.replaying():  # held as by a replay in progress
        twilio_post("/ivr/status", CallSid=SID, CallStatus="completed", CallDuration="21")
        assert spool.pending_count() == 2
    spool.replay(app)
    call = call_of(app, SID)
    assert call.status == "completed" and call.duration_s == 21
    with session_scope(app) as s:
        kinds = list(s.scalars(select(CallEvent.kind).join(Call).where(Call.call_sid == SID).order_by(CallEvent.id)))
    assert kinds[0] == "db_outage" and "status" in kinds


def test_spool_drains_as_soon_as_health_returns(app, twilio_post, outage, client):
    """Not on the 10-s timer (here an hour): the first health check that reaches the database
    wakes the waiter, and the outage's calls are in the database."""
    outage.begin()
    twilio_post("/ivr/voice", CallSid=SID, From=CALLER)
    assert client.get("/healthz").status_code == 503
    outage.stop()
    assert client.get("/healthz").status_code == 200
    assert wait_until_drained(app)
    assert call_of(app, SID).call_sid == SID


def test_spool_drains_on_the_next_request_that_reaches_the_database(app, twilio_post, outage):
    outage.begin()
    twilio_post("/ivr/voice", CallSid=SID, From=CALLER)
    outage.stop()
    other = "CA" + "f" * 32
    assert parse(twilio_post("/ivr/voice", CallSid=other, From="+8613900000001").data).find("Gather") is not None
    assert wait_until_drained(app)
    assert call_of(app, SID).call_sid == SID


# -- recovery and language, the same as a live call ------------------------------------------

def test_hang_up_replayed_from_the_spool_gets_the_recovery_call_back(app, sim, twilio_post, outage, make_user):
    """As a live hang-up after a wait longer than ``queue.short_abandon_s``: out of the line,
    a recovery call-back and its case."""
    from core.models import CallbackRequest, CaseKind

    user, _ = make_user("away-agent", endpoint="client:away-agent")
    with session_scope(app) as s:
        set_presence(s, s.get(User, user.id), "away")  # logged in, not free: the caller waits
    twilio_post("/ivr/voice", CallSid=SID, From=CALLER)
    assert parse(twilio_post("/ivr/menu?tries=0", CallSid=SID, Digits="1").data).find("Enqueue") is not None
    sim.advance(60)  # the app's clock: a minute in line
    outage.begin()
    twilio_post("/ivr/status", CallSid=SID, CallStatus="completed", CallDuration="80")
    outage.stop()
    assert get_spool(app).replay(app) == 1
    assert entries(app, SID) == [QueueStatus.ABANDONED]
    with session_scope(app) as s:
        requests = list(s.scalars(select(CallbackRequest)))
        assert [(r.reason, r.phone) for r in requests] == [("abandoned", CALLER)]
    assert case_kinds(app, SID) == [CaseKind.RECOVERY]


def test_fallback_speaks_the_language_the_caller_chose(app, twilio_post, outage):
    twilio_post("/ivr/voice", CallSid=SID, From=CALLER)
    english = parse(twilio_post("/ivr/menu?tries=0", CallSid=SID, Digits="9").data)
    assert english.find(".//Say").get("language") == "en-US"
    outage.begin()
    answer = parse(twilio_post("/ivr/menu?tries=0", CallSid=SID, Digits="1").data)
    assert answer.find("Record") is not None
    say = answer.find("Say")
    assert say.get("language") == "en-US"
    from ivr import prompts

    settings = app.config["HOTLINE"]
    assert say.text == " ".join([prompts.text(settings, "error", "en"), prompts.text(settings, "leave_message", "en")])
    outage.stop()
    # the same caller's next call, arriving while the database is still gone, is in English too
    again = "CA" + "a" * 32
    outage.begin()
    second = parse(twilio_post("/ivr/voice", CallSid=again, From=CALLER).data)
    assert second.find("Say").get("language") == "en-US"
    outage.stop()
    get_spool(app).replay(app)
    assert call_of(app, again).locale == "en"


def test_calls_created_from_the_spool_keep_their_language(app, twilio_post, outage):
    outage.begin()
    answer = parse(twilio_post("/ivr/voice", CallSid=SID, From=CALLER).data)
    outage.stop()
    get_spool(app).replay(app)
    default = app.config["HOTLINE"].company.default_locale
    assert answer.find("Say").get("language") == app.config["HOTLINE"].voices[default].say_language
    assert call_of(app, SID).locale == default


def test_transcript_arriving_during_an_outage_is_kept_with_the_message(app, twilio_post, outage):
    """An English caller's message was stored; Twilio's transcription callback (which also
    carries RecordingUrl) comes while the database is gone: the text is not lost."""
    rec = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "2" * 32
    twilio_post("/ivr/voice", CallSid=SID, From=CALLER)
    twilio_post("/ivr/voicemail?reason=no_agents", CallSid=SID, RecordingUrl=rec, RecordingDuration="12")
    outage.begin()
    answer = twilio_post("/ivr/voicemail/transcript", CallSid=SID, RecordingUrl=rec, RecordingSid="RE" + "2" * 32,
                         TranscriptionStatus="completed", TranscriptionText="Water leaking in flat 12B " * 30)
    assert answer.status_code == 200
    outage.stop()
    get_spool(app).replay(app)
    with session_scope(app) as s:
        cases = list(s.scalars(select(Case).join(Call, Case.call_id == Call.id).where(Call.call_sid == SID)))
        assert len(cases) == 1 and cases[0].recording_url == rec
        assert cases[0].transcript == ("Water leaking in flat 12B " * 30).strip()
