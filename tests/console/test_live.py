"""Live updates: the broker's audiences, the SSE stream (first event with a timeout, closes
cleanly), what the console pushes after commits, and PostgreSQL LISTEN/NOTIFY."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from agent_console.broker import LocalBroker, Message
from agent_console.live import get_broker, publish, stream
from agent_console.watch import notifier_of
from core.db import session_scope
from core.events import live_update
from core.models import Presence, User
from core.presence import announce, set_presence
from tests.conftest import require_pg


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


def test_other_parts_push_with_live_update(fast_heartbeat, app, desk):
    alice, lead = desk("alice"), desk("lin", role="lead")
    streams = {d.name: d.client.get("/console/events", buffered=False) for d in (alice, lead)}
    try:
        for response in streams.values():
            read_events(response, 1)
        live_update.send(app, topic="campaign", payload={"id": 7, "audience": {"roles": ["lead"]}})
        publish(app, "note", {"to": "alice"}, users=[alice.user_id])
        assert read_events(streams["lin"], 1) == [("campaign", {"id": 7})]
        assert read_events(streams["alice"], 1) == [("note", {"to": "alice"})]
    finally:
        for response in streams.values():
            response.close()


def test_rolled_back_changes_are_not_announced(app, desk):
    alice = desk("alice")
    notifier_of(app).flush()
    sub = get_broker(app).subscribe(alice.user_id, "agent")
    with app.extensions["db_sessionmaker"]() as s:
        set_presence(s, s.get(User, alice.user_id), Presence.AVAILABLE)
        s.flush()
        s.rollback()
    notifier_of(app).flush()
    assert sub.get(0.1) is None
    announce(app, alice.user_id, Presence.AWAY)  # a signal from another part does push
    notifier_of(app).flush()
    message = sub.get(1.0)
    assert message is not None and message.topic == "desk"


@pytest.mark.postgres
def test_postgresql_listen_notify_reaches_every_process(tmp_path):
    require_pg()
    from agent_console.broker_pg import PostgresBroker
    from core import db as core_db
    from tests.conftest import PgDatabase

    database = PgDatabase()
    engines = [core_db.make_engine(database.url) for _ in range(2)]
    brokers = [PostgresBroker(engine, poll_s=0.05) for engine in engines]  # two "processes"
    try:
        for broker in brokers:
            broker.start()
            assert broker.listening.wait(5)
        subs = [broker.subscribe(1, "agent") for broker in brokers]
        lead_sub = brokers[1].subscribe(2, "lead")
        brokers[0].publish(Message("desk", {"hello": "世界"}, users=frozenset({1})))
        for sub in subs:
            message = sub.get(5)
            assert message is not None and message.payload == {"hello": "世界"}
        assert lead_sub.get(0.3) is None  # not its audience
        done = threading.Event()
        threading.Thread(target=lambda: (brokers[1].close(), done.set())).start()
        assert done.wait(5)  # the LISTEN thread stops promptly
    finally:
        for broker in brokers:
            broker.close()
        for engine in engines:
            engine.dispose()
        database.drop()


def test_console_uses_the_postgresql_broker_on_postgresql(app):
    from agent_console.broker_pg import PostgresBroker

    engine = app.extensions["db_engine"]
    assert isinstance(get_broker(app), PostgresBroker) == (engine.dialect.name == "postgresql")
