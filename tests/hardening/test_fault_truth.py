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
from core.models import Call, Case, QueueEntry, QueueStatus, User
from core.ops.spool import get_spool
from core.presence import set_presence
from ivr import routing
from ivr.models import Offer
from tests.hardening.conftest import KillConnectionOnce, LockAfterCommit, table_lock
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
    routing.dispatch(app)  # the next dispatch (waitUrl, periodic job) offers the caller
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
