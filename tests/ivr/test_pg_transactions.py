"""Seen from PostgreSQL, each caller webhook is one transaction, also when its pooled connection
was just used by other work (a job, a console page): the webhook time box costs no transaction
of its own. Counted below SQLAlchemy, at the driver: every statement psycopg sends on a
connection with no transaction open starts one on the server (what ``pg_stat_database`` counts).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import has_request_context, request
from sqlalchemy import func, select

from core.db import session_scope
from core.models import Call, User
from core.ops import drain
from core.ops.deferred import in_deferred_work
from core.presence import set_presence
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="counts PostgreSQL's own transactions")


def _kind() -> str:
    if has_request_context() and request.path.startswith("/ivr/"):
        return "webhook"
    return "deferred" if in_deferred_work() else "other"


@contextmanager
def server_transactions(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Transactions the server starts, by what ran them (webhook, deferred follow-up, other)."""
    import psycopg
    from psycopg import pq

    started: Counter[str] = Counter()
    execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany

    def opens(cursor: Any) -> None:
        if cursor.connection.info.transaction_status == pq.TransactionStatus.IDLE:
            started[_kind()] += 1

    def counted_execute(cursor: Any, *args: Any, **kwargs: Any) -> Any:
        opens(cursor)
        return execute(cursor, *args, **kwargs)

    def counted_executemany(cursor: Any, *args: Any, **kwargs: Any) -> Any:
        opens(cursor)
        return executemany(cursor, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(psycopg.Cursor, "execute", counted_execute)
        patch.setattr(psycopg.Cursor, "executemany", counted_executemany)
        yield started


def other_work(app: Any) -> None:
    """A job's transaction on the same pool (lifts the webhook time box for itself)."""
    with session_scope(app) as s:
        s.scalar(select(func.count(User.id)))


def test_each_webhook_is_one_transaction_between_other_work(app, twilio_post, make_user, monkeypatch):
    user, _ = make_user("busy-agent", endpoint="client:busy-agent")
    with session_scope(app) as s:
        set_presence(s, s.get(User, user.id), "busy")  # callers wait: no dispatch, no agent leg
    callers = [("CA" + uuid.uuid4().hex, f"+86138123450{n:02d}") for n in range(3)]
    requests = 0
    with server_transactions(monkeypatch) as started:
        for sid, phone in callers:
            steps = [("/ivr/voice", {}), ("/ivr/menu?tries=0", {"Digits": "1"}),
                     ("/ivr/queue/wait", {"QueuePosition": 1, "QueueTime": 0}),
                     ("/ivr/queue/wait", {"QueuePosition": 1, "QueueTime": 30}),
                     ("/ivr/status", {"CallStatus": "completed", "CallDuration": "40"})]
            for path, form in steps:
                assert twilio_post(path, CallSid=sid, From=phone, **form).status_code == 200
                requests += 1
                other_work(app)
        drain(app, 10)
    print(dict(started))
    assert started["webhook"] == requests, started
    assert started["other"] == requests, started  # one per job, its time-box lift inside it
    with session_scope(app) as s:  # the webhooks did their work
        calls = s.scalars(select(Call).where(Call.call_sid.in_([sid for sid, _ in callers]))).all()
        assert len(calls) == 3 and {c.status for c in calls} == {"completed"}
