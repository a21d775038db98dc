"""Live updates: the broker's audiences, the SSE stream (first event with a timeout, closes
cleanly), what the console pushes after commits, domain events (once after commit, never on
rollback, a bounded number per call) and PostgreSQL LISTEN/NOTIFY."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from agent_console.broker import LocalBroker, Message
from agent_console.live import get_broker, publish, stream
from agent_console.notifier import notifier_of
from core import events
from core.db import session_scope
from core.events import Notice, PresenceChanged, emit
from core.events_pg import Listener
from core.models import Presence, User
from core.presence import set_presence
from tests.conftest import require_pg
from tests.console.conftest import connect


def test_messages_reach_only_their_audience():
    broker = LocalBroker()
    agent, lead, other = broker.subscribe(1, "agent"), broker.subscribe(2, "lead"), broker.subscribe(3, "agent")
    broker.publish(Message("desk", {"n": 1}, users=frozenset({1})))
    broker.publish(Message("alert", {"n": 2}, roles=frozenset({"lead"})))
    broker.publish(Message("queue_summary", {"n": 3}))
    assert [m.topic for m in iter(lambda: agent.get(0.01), None)] == ["desk", "queue_summary"]
    assert [m.topic for m in iter(lambda: lead.get(0.01), None)] == ["alert", "queue_summary"]
    assert [m.topic for m in iter(lambda: other.get(0.01), None)] == ["queue_summary"]
    broker.close()
    assert agent.closed and broker.subscriber_count() == 0


def test_too_large_for_notify_becomes_a_refresh_hint():
    wire = Message("queue", {"rows": ["x" * 100] * 200}).to_wire()
    assert json.loads(wire)["payload"] == {"refresh": True}


def test_stream_says_hello_heartbeats_and_ends_when_the_broker_closes():
    broker = LocalBroker()
    sub = broker.subscribe(1, "agent")
    body = stream(sub, heartbeat_s=0.05, max_s=10, hello={"user_id": 1})
    assert "event: hello" in next(body)
    assert next(body) == ": heartbeat\n\n"
    broker.publish(Message("desk", {"k": "v"}))
    assert next(body).startswith("event: desk\ndata: {\"k\": \"v\"}")
    broker.close()
    assert list(body) == []


def read_events(response: Any, count: int, timeout: float = 5.0) -> list[tuple[str, dict[str, Any]]]:
    """The first ``count`` SSE events of a streamed test-client response (heartbeats skipped)."""
    events: list[tuple[str, dict[str, Any]]] = []
    chunks = iter(response.response)
    deadline = time.monotonic() + timeout
    while len(events) < count:
        assert time.monotonic() < deadline, f"only {events} arrived in {timeout}s"
        chunk = next(chunks)
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        for block in text.split("\n\n"):
            lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
            if "event" in lines:
                events.append((lines["event"], json.loads(lines["data"])))
    return events


@pytest.fixture
def fast_heartbeat(app):
    app.config["CONSOLE_SSE_HEARTBEAT_S"] = 0.05
    return app


def test_sse_needs_sign_in(client):
    response = client.get("/console/events", headers={"Accept": "text/event-stream"})
    assert response.status_code == 401


def test_sse_first_event_and_a_pushed_desk(fast_heartbeat, app, desk):
    alice = desk("alice")
    notifier_of(app).flush()  # the sign-in's own push is out of the way
    response = alice.client.get("/console/events", buffered=False)
    assert response.mimetype == "text/event-stream"
    try:
        assert read_events(response, 1)[0] == ("hello", {"user_id": alice.user_id, "role": "agent"})
        with session_scope(app) as s:  # any part changing presence (here: the shared service)
            set_presence(s, s.get(User, alice.user_id), Presence.AVAILABLE)
        event, payload = read_events(response, 1)[0]
        assert event == "desk" and payload["presence"]["state"] == "available"
    finally:
        response.close()
    assert get_broker(app).subscriber_count() == 0  # closed with the response


def test_other_parts_push_with_a_notice(fast_heartbeat, app, desk):
    alice, lead = desk("alice"), desk("lin", role="lead")
    streams = {d.name: d.client.get("/console/events", buffered=False) for d in (alice, lead)}
    try:
        for response in streams.values():
            read_events(response, 1)
        emit(app, Notice(topic="campaign", payload={"id": 7}, roles=("lead",)))
        publish(app, "note", {"to": "alice"}, users=[alice.user_id])
        assert read_events(streams["lin"], 1) == [("campaign", {"id": 7})]
        assert read_events(streams["alice"], 1) == [("note", {"to": "alice"})]
    finally:
        for response in streams.values():
            response.close()


def heard(app) -> list[events.Event]:
    """Every event this app's subscribers receive from now on (delivery is asynchronous on
    PostgreSQL: read it through ``wait_for``)."""
    got: list[events.Event] = []
    events.subscribe(app, got.extend)
    hub = events.hub_of(app)
    if hub.listener is not None:
        assert hub.listener.listening.wait(10)
    return got


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_rolled_back_changes_are_not_announced(app, desk):
    alice = desk("alice")
    notifier_of(app).flush()
    got = heard(app)
    sub = get_broker(app).subscribe(alice.user_id, "agent")
    with app.extensions["db_sessionmaker"]() as s:
        set_presence(s, s.get(User, alice.user_id), Presence.AVAILABLE)
        s.flush()
        s.rollback()
    with app.extensions["db_sessionmaker"]() as s:  # a savepoint's rollback keeps what came before
        set_presence(s, s.get(User, alice.user_id), Presence.BUSY)
        savepoint = s.begin_nested()
        s.get(User, alice.user_id).display_name = "Alice"
        savepoint.rollback()
        s.commit()
    assert wait_for(lambda: len(got) == 1)
    assert got == [PresenceChanged(user_id=alice.user_id, presence="busy")]  # once, the committed one
    notifier_of(app).flush()
    message = sub.get(1.0)
    assert message is not None and message.topic == "desk" and message.payload["presence"]["state"] == "busy"
    assert sub.get(0.2) is None


def test_one_call_publishes_a_bounded_number_of_events(app, sim, desk, caller):
    alice = desk("alice")
    alice.post("/console/api/presence", {"state": "available"})
    got = heard(app)
    caller()
    connect(sim, alice)
    assert alice.post("/console/api/hangup").status_code == 200
    sim.advance(10)  # both legs end
    kinds = [e.kind for e in got]
    for kind in ("call_arrived", "call_queued", "call_offered", "call_ringing", "call_answered", "call_ended",
                 "presence_changed"):
        assert kind in kinds, kinds
    assert len(kinds) <= 12, kinds  # the ORM-wide watcher fired 51 times for one call
    assert kinds.count("call_arrived") == 1 and kinds.count("call_queued") == 1  # waitUrls add none


@pytest.mark.postgres
def test_postgresql_listen_notify_reaches_every_process(tmp_path):
    """Two hubs on two engines stand for two web processes: a commit in one is heard by both,
    carried by the commit itself (one ``pg_notify`` statement, no transaction of its own)."""
    require_pg()
    from flask import Flask
    from sqlalchemy import event as sa_event
    from sqlalchemy import text
    from sqlalchemy.orm import sessionmaker

    from core import db as core_db
    from tests.conftest import PgDatabase

    database = PgDatabase()
    engines = [core_db.make_engine(database.url) for _ in range(2)]
    makers = [sessionmaker(bind=engine) for engine in engines]
    hubs = [events.install(Flask(f"p{i}"), maker, engine, Listener) for i, (maker, engine) in enumerate(zip(makers, engines, strict=True))]
    got: list[list[events.Event]] = [[], []]
    statements: list[str] = []
    sa_event.listen(engines[0], "before_cursor_execute", lambda *a: statements.append(a[2]))
    try:
        for hub, sink in zip(hubs, got, strict=True):
            hub.subscribe(sink.extend)
            assert hub.listener.listening.wait(5)
        with makers[0]() as s:
            events.publish(s, Notice(topic="desk", payload={"hello": "世界"}, users=(1,)),
                           PresenceChanged(user_id=1, presence="away"))
            s.execute(text("SELECT 1"))
            s.commit()
        with makers[0]() as s:
            events.publish(s, PresenceChanged(user_id=2, presence="busy"))
            s.execute(text("SELECT 1"))
            s.rollback()
        assert wait_for(lambda: len(got[0]) == 2 and len(got[1]) == 2)
        for sink in got:
            assert sink == [Notice(topic="desk", payload={"hello": "世界"}, users=(1,)),
                            PresenceChanged(user_id=1, presence="away")]
        assert sum("pg_notify" in sql for sql in statements) == 1  # one statement for the batch
        assert not any(sql.strip().upper().startswith("BEGIN") for sql in statements)
        time.sleep(0.3)
        assert len(got[1]) == 2  # the rolled-back one never arrives
        done = threading.Event()
        threading.Thread(target=lambda: (hubs[1].close(), done.set())).start()
        assert done.wait(5)  # the LISTEN thread stops promptly
    finally:
        for hub in hubs:
            hub.close()
        for engine in engines:
            engine.dispose()
        database.drop()


def test_a_large_batch_is_split_and_an_oversized_notice_becomes_a_refresh_hint():
    big = Notice(topic="transcript", payload={"text": "字" * 5000})
    small = [PresenceChanged(user_id=i, presence="busy") for i in range(300)]
    payloads = events.to_payloads([big, *small])
    assert len(payloads) > 1 and all(len(p.encode()) < events.MAX_NOTIFY_BYTES for p in payloads)
    batch = [e for p in payloads for e in events.from_payload(p)]
    assert batch[0] == Notice(topic="transcript", payload={"refresh": True}) and batch[1:] == small
    assert events.from_payload("not json") == [] and events.from_payload('[{"kind": "nope"}]') == []


def test_the_app_announces_through_postgresql_on_postgresql(app):
    engine = app.extensions["db_engine"]
    assert events.hub_of(app).uses_notify == (engine.dialect.name == "postgresql")
