"""Several processes on PostgreSQL — gunicorn with 2 workers serves a signed call
flow (requests spread over both workers: each one a new connection), the state each worker
writes is what the next one reads, and a domain event committed by a worker reaches a console
in another process, which turns it into a page update (PostgreSQL LISTEN/NOTIFY, not process
memory).

Marked ``postgres``; skipped without the server, a failure with CI=true.
"""

from __future__ import annotations

import re
import subprocess
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


def worker_pids(served: Any) -> set[str]:
    access = (served["tmp"] / "access.log").read_text()
    return {line.split()[0] for line in access.splitlines() if line.strip()}


def signed_post(base: str, token: str, path: str, form: dict[str, str]) -> requests.Response:
    signature = RequestValidator(token).compute_signature(base + path, form)
    return requests.post(base + path, data=form, timeout=30,
                         headers={"X-Twilio-Signature": signature, "Connection": "close"})


def play_call_flow(served: dict[str, Any]) -> None:
    """One signed call (voice → menu → 8 waitUrl → status), each request on a new connection,
    checked in its answers and in the database."""
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


def test_signed_call_flow_across_two_workers(served):
    # Which worker accepts a connection is the kernel's choice; on a loaded machine one worker
    # can win a whole call. Play calls (each fully checked) until one spanned both workers.
    seen: set[str] = set()
    for _attempt in range(6):
        log_before = (served["tmp"] / "access.log").read_text()
        play_call_flow(served)
        new_lines = (served["tmp"] / "access.log").read_text()[len(log_before):].splitlines()
        pids = {line.split()[0] for line in new_lines if "/ivr/" in line}
        seen |= pids
        if len(pids) == 2:
            break
    assert len(pids) == 2, f"six calls, each served by one worker only (workers seen: {seen})"
    # /healthz and /metrics from the workers
    base = served["base"]
    health = requests.get(base + "/healthz", timeout=10).json()
    assert health["checks"]["database"]["ok"] is True
    metrics = requests.get(base + "/metrics", timeout=10).text
    assert re.search(r"^hotline_queue_length 0\.0$", metrics, re.M)


def test_live_update_from_a_worker_reaches_another_process(served):
    """A console app in this test process hears the presence change a gunicorn worker commits and
    shows it on a lead's page (the ``agents`` view) and on the agent's desk."""
    from agent_console.live import get_broker
    from app import create_app
    from bench._harness import stop_app
    from core import events
    from core.db import session_scope
    from core.models import User

    app = create_app(environ={"HOTLINE_CONFIG": str(served["tmp"] / "hotline.yaml")})
    try:
        with session_scope(app) as s:
            lead_id = s.scalar(select(User.id).where(User.name == "mp-lead"))
            agent_id = s.scalar(select(User.id).where(User.name == "mp-agent"))
        assert events.hub_of(app).listener.listening.wait(15), "LISTEN did not start"
        subscription = get_broker(app).subscribe(user_id=lead_id, role="lead")
        desk = get_broker(app).subscribe(user_id=agent_id, role="agent")
        response = requests.post(served["base"] + "/api/agents/me/presence", json={"state": "away"}, timeout=30,
                                 headers={"Authorization": f"Bearer {served['agent_token']}", "Connection": "close"})
        assert response.status_code == 200, response.text
        topics = []
        deadline = time.monotonic() + 20  # bounded wait for the notification
        while time.monotonic() < deadline:
            message = subscription.get(timeout=0.5)
            if message is not None:
                topics.append(message.topic)
                if message.topic == "agents":
                    break
        assert "agents" in topics, topics
        assert any(a["name"] == "mp-agent" and a["presence"] == "away" for a in message.payload["agents"]), \
            message.payload
        state = desk.get(timeout=10)
        assert state is not None and state.topic == "desk" and state.payload["presence"]["state"] == "away"
    finally:
        stop_app(app)


def test_separate_scheduler_process_is_the_leader_seen_by_the_web_workers(served):
    """`flask --app app scheduler run` beside gunicorn: the web workers' /healthz and /metrics
    name its lease (read from the database), and it releases the lease on SIGTERM."""
    import os
    import signal

    config = served["tmp"] / "hotline.yaml"
    env = {**os.environ, "HOTLINE_CONFIG": str(config)}
    # The bench configuration disables the scheduler for web workers; this process enables it.
    env["HOTLINE_CONFIG"] = str(_with_scheduler(config))
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "scheduler", "run", "--for", "60"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert '"scheduler"' in line, line
        deadline = time.monotonic() + 30
        leader = None
        while time.monotonic() < deadline and not leader:
            leader = requests.get(served["base"] + "/healthz", timeout=10).json()["checks"]["scheduler"]["leader"]
            if not leader:
                time.sleep(0.5)
        assert leader and leader.split(":")[1] == str(proc.pid), leader
        metrics = requests.get(served["base"] + "/metrics", timeout=10).text
        assert re.search(r"^hotline_scheduler_leader 1\.0$", metrics, re.M)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    scheduler = requests.get(served["base"] + "/healthz", timeout=10).json()["checks"]["scheduler"]
    assert scheduler["leader"] is None  # released on SIGTERM


def _with_scheduler(config: Path) -> Path:
    text = config.read_text(encoding="utf-8").replace("scheduler:\n  enabled: false", "scheduler:\n  enabled: true")
    path = config.with_name("scheduler.yaml")
    path.write_text(text, encoding="utf-8")
    return path
