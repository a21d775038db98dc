"""Live updates to the pages: the broker, ``GET /console/events`` (SSE) and the signal wiring.

Any part can push to pages with ``core.events.live_update.send(app, topic=..., payload=...)``.
The payload may carry ``"audience": {"users": [ids], "roles": ["lead", ...]}`` (removed before
delivery); without it every signed-in user receives the message. Pages listen with
``new EventSource("/console/events")`` and ``addEventListener(topic, ...)``.

The console itself publishes ``desk`` (an agent's presence, ringing leg and call card),
``transcript`` (utterances with flags), ``alert``, ``queue`` and ``agents`` (lead view).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, Response, current_app

from agent_console.blueprint import bp
from agent_console.broker import Broker, LocalBroker, Message, Subscription
from core.events import call_status_changed, live_update, presence_changed, queue_changed
from core.web.auth import LEAD_ROLES, current_console_user, login_required

log = logging.getLogger(__name__)
STREAM_MAX_S = 1800.0  # EventSource reconnects by itself; bounded streams never pile up


def get_broker(app: Flask | None = None) -> Broker:
    return (app or current_app).extensions["console_broker"]


def make_broker(app: Flask) -> Broker:
    engine = app.extensions["db_engine"]
    if engine.dialect.name == "postgresql":
        from agent_console.broker_pg import PostgresBroker

        return PostgresBroker(engine)
    return LocalBroker()


def publish(app: Flask, topic: str, payload: dict[str, Any], users: Iterable[int] = (),
            roles: Iterable[str] = ()) -> None:
    """Send ``payload`` to the pages of ``users`` / ``roles`` (both empty: everyone)."""
    audience = {"users": [int(u) for u in users if u is not None], "roles": list(roles)}
    live_update.send(app, topic=topic, payload={**payload, "audience": audience})


def to_leads(app: Flask, topic: str, payload: dict[str, Any], users: Iterable[int] = ()) -> None:
    publish(app, topic, payload, users=users, roles=LEAD_ROLES)


def _on_live_update(app: Any, topic: str = "", payload: dict[str, Any] | None = None, **_: Any) -> None:
    broker = app.extensions.get("console_broker") if isinstance(app, Flask) else None
    if broker is None or not topic:
        return
    body = dict(payload or {})
    audience = body.pop("audience", None) or {}
    try:
        broker.publish(Message(topic=str(topic), payload=body,
                               users=frozenset(int(u) for u in audience.get("users") or ()),
                               roles=frozenset(str(r) for r in audience.get("roles") or ())))
    except Exception:  # a page update must never break the webhook that caused it
        log.exception("live update %s could not be published", topic)


def sse_format(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def stream(sub: Subscription, heartbeat_s: float, max_s: float, hello: dict[str, Any]) -> Iterator[str]:
    """The SSE body: ``hello``, then messages; a comment heartbeat keeps proxies and the
    disconnect check alive; ends on broker close, after ``max_s`` or when the client goes."""
    import time

    deadline = time.monotonic() + max_s
    try:
        yield "retry: 3000\n" + sse_format("hello", hello)
        while not sub.closed and time.monotonic() < deadline:
            message = sub.get(timeout=heartbeat_s)
            if message is None:
                if sub.closed:
                    break
                yield ": heartbeat\n\n"  # a write to a gone client raises → finally
                continue
            yield sse_format(message.topic, message.payload)
    finally:
        sub.close()


@bp.get("/events")
@login_required()
def events():
    user = current_console_user()
    assert user is not None
    if user.role in LEAD_ROLES:  # long calls (H7) and waits past three rings (H2) raise alerts
        from agent_console.alerts import ensure_sweeper

        ensure_sweeper(current_app._get_current_object())
    sub = get_broker().subscribe(user.id, user.role)
    heartbeat = float(current_app.config.get("CONSOLE_SSE_HEARTBEAT_S", 15.0))
    max_s = float(current_app.config.get("CONSOLE_SSE_MAX_S", STREAM_MAX_S))
    hello = {"user_id": user.id, "role": user.role}
    response = Response(stream(sub, heartbeat, max_s, hello), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response


# -- signals from the other parts ---------------------------------------------------------------

def _safely(fn: Any) -> Any:
    def receiver(sender: Any, **kwargs: Any) -> None:
        app = sender if isinstance(sender, Flask) else None
        if app is None or "console_notifier" not in app.extensions:
            return
        try:
            fn(app, **kwargs)
        except Exception:  # never break the webhook or service that sent the signal
            log.exception("console: handling %s failed", fn.__name__)

    receiver.__name__ = f"console_{fn.__name__}"
    return receiver


def _presence(app: Flask, user_id: int | None = None, **_: Any) -> None:
    from agent_console.watch import Dirty, notifier_of

    notifier_of(app).mark(Dirty(users={int(user_id)} if user_id is not None else set(), agents=True))


def _queue(app: Flask, **_: Any) -> None:
    from agent_console.watch import Dirty, notifier_of

    notifier_of(app).mark(Dirty(queue=True))


def _call_status(app: Flask, call_sid: str | None = None, **_: Any) -> None:
    from agent_console.watch import Dirty, notifier_of

    notifier_of(app).mark(Dirty(calls={call_sid} if call_sid else set(), agents=True))


_RECEIVERS = [_safely(_presence), _safely(_queue), _safely(_call_status)]


def init_app(app: Flask) -> None:
    broker = make_broker(app)
    app.extensions["console_broker"] = broker
    broker.start()
    app.extensions.setdefault("hotline_stoppers", []).append(broker.close)
    # weak=False: the receivers live as long as the process; blinker dedupes by identity.
    live_update.connect(_on_live_update, weak=False)
    presence_changed.connect(_RECEIVERS[0], weak=False)
    queue_changed.connect(_RECEIVERS[1], weak=False)
    call_status_changed.connect(_RECEIVERS[2], weak=False)
