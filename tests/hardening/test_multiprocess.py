"""Issue 9.5: several processes on PostgreSQL — gunicorn with 2 workers serves a signed call
flow (requests spread over both workers: each one a new connection), the state each worker
writes is what the next one reads, and a live console update published by a worker reaches a
subscriber in another process (PostgreSQL LISTEN/NOTIFY, not process memory).

Marked ``postgres``; skipped without the server, a failure with CI=true.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, select
from twilio.request_validator import RequestValidator

from tests.conftest import PgDatabase, require_pg

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def served() -> Any:
    """gunicorn -w 2 on a throw-away PostgreSQL database, with an access log naming the pid."""
    require_pg()
    sys.path.insert(0, str(ROOT))
    from bench._harness import AUTH_TOKEN, Server, free_port, stop_app, write_config

    database = PgDatabase()
    tmp = Path(tempfile.mkdtemp(prefix="hotline-mp-"))
    port = free_port()
    config = write_config(tmp, port, database.url)
    from app import create_app
    from core.db import session_scope
    from core.models import Presence
    from core.users import create_user

    app = create_app(environ={"HOTLINE_CONFIG": str(config)})
    with session_scope(app) as s:
        agent, agent_token, _ = create_user(s, "mp-agent", "agent", "mp-password-1", endpoint="client:mp")
        agent.presence = Presence.BUSY  # logged in, not free: callers wait in line
        _, lead_token, _ = create_user(s, "mp-lead", "lead", "mp-password-2")
    stop_app(app)
    server = Server("app:create_app()", port, {"HOTLINE_CONFIG": str(config)}, workers=2, threads=2,
                    log=tmp / "gunicorn.log",
                    extra_args=["--access-logfile", str(tmp / "access.log"),
                                "--access-logformat", "%(p)s %(m)s %(U)s %(s)s"])
    server.__enter__()
    try:
        yield {"base": f"http://127.0.0.1:{port}", "token": AUTH_TOKEN, "agent_token": agent_token,
               "lead_token": lead_token, "database": database, "tmp": tmp, "server": server}
    finally:
        server.__exit__(None, None, None)
        database.drop()


def signed_post(base: str, token: str, path: str, form: dict[str, str]) -> requests.Response:
    signature = RequestValidator(token).compute_signature(base + path, form)
    return requests.post(base + path, data=form, timeout=30,
                         headers={"X-Twilio-Signature": signature, "Connection": "close"})


def test_signed_call_flow_across_two_workers(served):
    base, token = served["base"], served["token"]
    sid = "CA" + uuid.uuid4().hex
    common = {"CallSid": sid, "AccountSid": "AC" + "b" * 32, "From": "+8613812345678", "To": "+8675512345678",
              "Direction": "inbound", "ApiVersion": "2010-04-01"}
    steps = [("/ivr/voice", {"CallStatus": "ringing"}), ("/ivr/menu?tries=0", {"Digits": "1"})]
    steps += [("/ivr/queue/wait", {"QueuePosition": "1", "QueueTime": str(30 * i)}) for i in range(8)]
    steps += [("/ivr/status", {"CallStatus": "completed", "CallDuration": "240"})]
    bodies = []
    for path, extra in steps:
        response = signed_post(base, token, path, {**common, "CallStatus": "in-progress", **extra})
        assert response.status_code == 200, (path, response.text[:300])
        bodies.append(response.text)
    assert "<Enqueue" in bodies[1]
    assert all("第1位" in body for body in bodies[2:10])  # each worker reads the line the other wrote
    # both workers served this call
    access = (served["tmp"] / "access.log").read_text()
    pids = {line.split()[0] for line in access.splitlines() if "/ivr/" in line}
    assert len(pids) == 2, access[-2000:]
    # one Call row, one queue entry, its whole timeline, whichever worker wrote each part
    from core.models import Call, CallEvent, QueueEntry

    engine = create_engine(served["database"].url)
    with engine.connect() as connection:
        call_id, status = connection.execute(select(Call.id, Call.status).where(Call.call_sid == sid)).one()
        kinds = [k for (k,) in connection.execute(select(CallEvent.kind).where(CallEvent.call_id == call_id)
                                                   .order_by(CallEvent.id))]
        entries = connection.execute(select(QueueEntry.status).where(QueueEntry.call_id == call_id)).all()
    engine.dispose()
    assert status == "completed"
    assert kinds.count("reassured") == 8 and "enqueued" in kinds
    assert [e[0] for e in entries] == ["abandoned"]
    # /healthz and /metrics from the workers
    health = requests.get(base + "/healthz", timeout=10).json()
    assert health["checks"]["database"]["ok"] is True
    metrics = requests.get(base + "/metrics", timeout=10).text
    assert re.search(r"^hotline_queue_length 0\.0$", metrics, re.M)


def test_live_update_from_a_worker_reaches_another_process(served):
    """The console's PostgreSQL broker in this test process hears what a gunicorn worker publishes."""
    from agent_console.broker_pg import PostgresBroker
    from core.db import make_engine

    engine = make_engine(served["database"].url)
    broker = PostgresBroker(engine, poll_s=0.2)
    broker.start()
    try:
        assert broker.listening.wait(15), "LISTEN did not start"
        subscription = broker.subscribe(user_id=10**6, role="lead")
        response = requests.post(served["base"] + "/api/agents/me/presence", json={"state": "away"}, timeout=30,
                                 headers={"Authorization": f"Bearer {served['agent_token']}", "Connection": "close"})
        assert response.status_code == 200, response.text
        topics = []
        deadline = time.monotonic() + 20  # bounded wait for the notification
        while time.monotonic() < deadline:
            message = subscription.get(timeout=0.5)
            if message is not None:
                topics.append(message.topic)
                if message.topic in ("agents", "desk", "queue"):
                    break
        assert set(topics) & {"agents", "desk", "queue"}, topics
    finally:
        broker.close()
        engine.dispose()
