"""Live updates to the pages: the broker, ``GET /console/events`` (SSE) and the event wiring.

The pages follow the domain events of ``core.events`` (published by the services after their
commit, heard in every web process): call and presence events mark pages to refetch
(``agent_console.notifier`` builds ``desk`` per agent, ``agents``, ``queue`` and
``queue_summary`` once per burst); ``AlertRaised`` becomes the leads' ``alert``; a ``Notice``
is a ready-made message (``transcript``, ``alert_ack``, ``incident``, ``campaign``…). Any part
sends one with ``publish(app, topic, payload, users=..., roles=...)`` (no users and roles:
every signed-in user). Pages listen with ``new EventSource("/console/events")`` and
``addEventListener(topic, ...)``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, Response, current_app

from agent_console import notifier
from agent_console.alerts import ensure_sweeper
from agent_console.blueprint import bp
from agent_console.broker import Broker, LocalBroker, Message, Subscription
from core.events import AlertRaised, Event, Notice, emit, subscribe
from core.web.auth import LEAD_ROLES, current_console_user, login_required

log = logging.getLogger(__name__)
STREAM_MAX_S = 1800.0  # EventSource reconnects by itself; bounded streams never pile up


def get_broker(app: Flask | None = None) -> Broker:
    return (app or current_app).extensions["console_broker"]


def publish(app: Flask, topic: str, payload: dict[str, Any], users: Iterable[int] = (),
            roles: Iterable[str] = ()) -> None:
    """Send ``payload`` to the pages of ``users`` / ``roles`` (both empty: everyone), in every
    web process; the change it reports must already be committed."""
    emit(app, Notice(topic=topic, payload=payload, users=tuple(int(u) for u in users if u is not None),
                     roles=tuple(roles)))


def to_leads(app: Flask, topic: str, payload: dict[str, Any], users: Iterable[int] = ()) -> None:
    publish(app, topic, payload, users=users, roles=LEAD_ROLES)


def message_of(item: Event) -> Message | None:
    """The page message an alert or a notice is (None for events that mark pages to refetch)."""
    if isinstance(item, Notice) and item.topic:
        return Message(topic=item.topic, payload=dict(item.payload), users=frozenset(item.users),
                       roles=frozenset(item.roles))
    if isinstance(item, AlertRaised):
        return Message(topic="alert", payload=dict(item.payload), roles=frozenset(LEAD_ROLES))
    return None


def on_events(broker: Broker, pages: notifier.Notifier) -> Any:
    """The subscriber that turns a committed batch of events into this process's page updates."""
    def handle(batch: list[Event]) -> None:
        pages.mark(notifier.dirty_of(batch))
        for item in batch:
            message = message_of(item)
            if message is not None:
                broker.publish(message)

    return handle


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
        ensure_sweeper(current_app._get_current_object())
    sub = get_broker().subscribe(user.id, user.role)
    heartbeat = float(current_app.config.get("CONSOLE_SSE_HEARTBEAT_S", 15.0))
    max_s = float(current_app.config.get("CONSOLE_SSE_MAX_S", STREAM_MAX_S))
    hello = {"user_id": user.id, "role": user.role}
    response = Response(stream(sub, heartbeat, max_s, hello), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response


def init_app(app: Flask) -> None:
    broker = LocalBroker()
    app.extensions["console_broker"] = broker
    broker.start()
    app.extensions.setdefault("hotline_stoppers", []).append(broker.close)
    pages = notifier.init_app(app, broker)
    subscribe(app, on_events(broker, pages))
