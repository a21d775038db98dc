"""A webhook slower than Twilio's 15 s limit must be impossible by design.

Database waits are time-boxed (test_faults.py::test_locked_database_is_answered_within_the_time_box).
Here: REST work started by a webhook (placing an agent's leg when a caller joins) must not hold
the TwiML back — a Twilio API that hangs would otherwise hang the caller's webhook too. It runs
after the response (``core.ops.defer``).
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from core.db import session_scope
from core.models import User
from core.presence import set_presence
from core.telephony.gateway import get_gateway
from tests.conftest import PUBLIC_URL, sign, twilio_form


class BlockingTransport:
    """REST requests wait until released (at most ``limit_s``), like a Twilio API that hangs."""

    def __init__(self, inner: Any, limit_s: float = 20):
        self.inner, self.limit_s = inner, limit_s
        self.release = threading.Event()
        self.entered = threading.Event()

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.set()
        self.release.wait(self.limit_s)
        return self.inner.request(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_twiml_does_not_wait_for_rest_work(app, client, twilio_post, make_user):
    user, _ = make_user("boxed", endpoint="client:boxed")
    with session_scope(app) as s:
        set_presence(s, s.get(User, user.id), "available")
    sid = "CA" + uuid.uuid4().hex
    assert twilio_post("/ivr/voice", CallSid=sid).status_code == 200
    client_ = get_gateway(app).client
    blocking = BlockingTransport(client_.http_client)
    client_.http_client = blocking
    answered = threading.Event()
    result: dict[str, Any] = {}

    def call_webhook() -> None:
        params = twilio_form(app, CallSid=sid, Digits="1")
        path = "/ivr/menu?tries=0"
        with app.app_context():  # not twilio_post: that one also waits for the deferred work
            result["response"] = client.post(path, data=params, base_url=PUBLIC_URL, headers={
                "X-Twilio-Signature": sign(app, PUBLIC_URL + path, params)})
        answered.set()

    worker = threading.Thread(target=call_webhook, daemon=True)
    worker.start()
    try:
        assert blocking.entered.wait(10), "the webhook never placed the agent's leg"
        # The REST request is hanging now; the caller's TwiML must already be on its way.
        assert answered.wait(5), "the webhook waited for a hanging REST request"
        assert result["response"].status_code == 200
    finally:
        blocking.release.set()
        worker.join(30)
        client_.http_client = blocking.inner


def test_deferred_work_runs_after_the_view_with_an_app_context(app, client):
    from flask import current_app

    from core.ops import defer, drain

    seen: list[Any] = []
    release = threading.Event()

    def work(a: Any) -> None:
        release.wait(10)
        seen.append(current_app.name == a.name)

    def broken(_a: Any) -> None:
        raise RuntimeError("boom")

    defer(app, work)
    defer(app, broken)  # logged, not raised
    assert seen == []  # still waiting: the caller of defer was not held
    release.set()
    assert drain(app, 10)
    assert seen == [True]
