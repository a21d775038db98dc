"""Each caller webhook reads what it needs and writes once: a bounded number of SQL statements
and exactly one commit per request, counted with SQLAlchemy's engine events on the request's
own thread (work deferred until after the response is not part of the webhook).

The same test runs on SQLite and on PostgreSQL (``HOTLINE_TEST_BACKEND=postgresql``).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event, select

from core.db import session_scope
from core.models import Call, QueueEntry, User
from core.ops import drain
from core.presence import set_presence
from tests.twiml import parse

BUDGET = {"voice": 4, "menu": 6, "wait": 4, "status": 6, "conference": 4}


@dataclass
class Tally:
    statements: list[str] = field(default_factory=list)
    commits: int = 0


@contextmanager
def counting(app: Any) -> Iterator[Tally]:
    """Statements and commits run by this thread (the request's) while the block runs."""
    engine = app.extensions["db_engine"]
    tally = Tally()
    me = threading.get_ident()

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == me:
            tally.statements.append(statement.split("\n")[0][:120])

    def on_commit(_conn: Any) -> None:
        if threading.get_ident() == me:
            tally.commits += 1

    drain(app, 10)  # earlier requests' follow-up work is not this request's
    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        yield tally
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)


def _agent(app: Any, make_user: Callable[..., Any], name: str, presence: str) -> int:
    user, _ = make_user(name, endpoint=f"client:{name}")
    with session_scope(app) as s:
        set_presence(s, s.get(User, user.id), presence)
    return user.id


def _queued_caller(app: Any, twilio_post: Callable[..., Any], sid: str, phone: str) -> None:
    assert twilio_post("/ivr/voice", CallSid=sid, From=phone).status_code == 200
    assert twilio_post("/ivr/menu?tries=0", CallSid=sid, From=phone, Digits="1").status_code == 200
    drain(app, 10)


def _check(tally: Tally, route: str) -> None:
    listing = "\n".join(tally.statements)
    print(f"{route}: {len(tally.statements)} statements, {tally.commits} commit(s)\n{listing}")
    assert len(tally.statements) <= BUDGET[route], f"{route}: {len(tally.statements)} statements\n{listing}"
    assert tally.commits == 1, f"{route}: {tally.commits} commits\n{listing}"


@pytest.mark.parametrize("known_caller", [False, True])
def test_voice_reads_once_and_commits_once(app, twilio_post, known_caller):
    phone = "+8613812340001"
    if known_caller:
        twilio_post("/ivr/voice", CallSid="CA" + uuid.uuid4().hex, From=phone)
    sid = "CA" + uuid.uuid4().hex
    with counting(app) as tally:
        response = twilio_post("/ivr/voice", CallSid=sid, From=phone)
    assert response.status_code == 200
    assert parse(response.data).find("Gather") is not None  # the greeting and the menu
    _check(tally, "voice")


@pytest.mark.parametrize("free_agent", [False, True])
def test_menu_choice_joins_the_line_in_one_transaction(app, twilio_post, make_user, free_agent):
    _agent(app, make_user, "busy1", "busy")
    if free_agent:
        _agent(app, make_user, "free1", "available")
    sid, phone = "CA" + uuid.uuid4().hex, "+8613812340002"
    twilio_post("/ivr/voice", CallSid=sid, From=phone)
    with counting(app) as tally:
        response = twilio_post("/ivr/menu?tries=0", CallSid=sid, From=phone, Digits="1")
    assert parse(response.data).find("Enqueue") is not None
    _check(tally, "menu")
    drain(app, 10)
    with session_scope(app) as s:
        entry = s.scalar(select(QueueEntry).join(Call).where(Call.call_sid == sid))
        assert entry is not None
        assert entry.status == ("offered" if free_agent else "waiting")  # dispatch ran after the answer


@pytest.mark.parametrize("ahead", [0, 3])
def test_wait_loop_reads_once_and_commits_once(app, twilio_post, make_user, ahead):
    _agent(app, make_user, "busy2", "busy")
    for n in range(ahead):
        _queued_caller(app, twilio_post, "CA" + uuid.uuid4().hex, f"+86138123410{n:02d}")
    sid, phone = "CA" + uuid.uuid4().hex, "+8613812340003"
    _queued_caller(app, twilio_post, sid, phone)
    for round_ in range(2):  # the first fetch also starts the wait; later ones only reassure
        with counting(app) as tally:
            response = twilio_post("/ivr/queue/wait", CallSid=sid, From=phone, QueuePosition=ahead + 1,
                                   QueueTime=30 * round_)
        assert parse(response.data).find("Gather") is not None or parse(response.data).find("Say") is not None
        _check(tally, "wait")
        if round_:  # a later fetch reads the line with the call (the first may re-count from QueueTime)
            assert len(tally.statements) <= 3, "\n".join(tally.statements)
    with session_scope(app) as s:
        entry = s.scalar(select(QueueEntry).join(Call).where(Call.call_sid == sid))
        assert entry is not None and entry.reassurances == 2


@pytest.mark.parametrize("in_line", [False, True])
def test_status_callback_reads_once_and_commits_once(app, twilio_post, make_user, in_line):
    _agent(app, make_user, "busy3", "busy")
    sid, phone = "CA" + uuid.uuid4().hex, "+8613812340004"
    if in_line:
        _queued_caller(app, twilio_post, sid, phone)  # hangs up after a short wait: abandoned
    else:
        twilio_post("/ivr/voice", CallSid=sid, From=phone)
    with counting(app) as tally:
        response = twilio_post("/ivr/status", CallSid=sid, From=phone, CallStatus="completed",
                               CallDuration="12")
    assert response.status_code == 200
    _check(tally, "status")
    with session_scope(app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == sid))
        assert call is not None and call.status == "completed" and call.duration_s == 12
        entry = s.scalar(select(QueueEntry).where(QueueEntry.call_id == call.id))
        assert (entry.status if entry else None) == ("abandoned" if in_line else None)


def test_conference_event_reads_once_and_commits_once(app, twilio_post):
    sid, phone = "CA" + uuid.uuid4().hex, "+8613812340005"
    twilio_post("/ivr/voice", CallSid=sid, From=phone)
    conference_sid = "CF" + uuid.uuid4().hex
    for n, (event_name, label) in enumerate([("participant-join", "caller"), ("participant-hold", "caller")]):
        with counting(app) as tally:
            response = twilio_post("/ivr/conference/status", ConferenceSid=conference_sid,
                                   FriendlyName=f"call-{sid}", StatusCallbackEvent=event_name, CallSid=sid,
                                   ParticipantLabel=label, Muted="false", Hold=str(n == 1).lower(),
                                   SequenceNumber=str(n + 1))
        assert response.status_code == 200
        _check(tally, "conference")
    with session_scope(app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == sid))
        assert call is not None and call.conference_sid == conference_sid
        kinds = [(e.kind, e.detail.get("event"), e.detail.get("hold")) for e in call.events if e.kind == "conference"]
        assert kinds == [("conference", "participant-join", False), ("conference", "participant-hold", True)]

