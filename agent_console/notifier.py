"""What the pages must refetch after domain events, coalesced and pushed from one thread.

``agent_console.live`` hands each committed batch of ``core.events`` to ``mark_events``: call
events mark the desks of the agents concerned, the leads' ``agents`` and ``queue`` views (and
everyone's ``queue_summary``); presence events the agent's desk and the ``agents`` view. The app's ``Notifier`` thread waits a
moment for a burst of commits to settle, then builds each page's state once and delivers it to
this process's streams only — and only for pages open here (no reads when nobody watches).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from flask import Flask

from agent_console import desk, lead
from agent_console.broker import LocalBroker, Message
from core.events import (
    CallAnswered,
    CallArrived,
    CallEnded,
    CallOffered,
    CallQueued,
    CallRinging,
    Event,
    ParticipantChanged,
    PresenceChanged,
)
from core.web.auth import LEAD_ROLES

log = logging.getLogger(__name__)
CALL_EVENTS = (CallArrived, CallQueued, CallOffered, CallRinging, CallAnswered, CallEnded)


@dataclass
class Dirty:
    users: set[int] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)
    queue: bool = False
    agents: bool = False

    def merge(self, other: Dirty) -> None:
        self.users |= other.users
        self.calls |= other.calls
        self.queue |= other.queue
        self.agents |= other.agents

    def __bool__(self) -> bool:
        return bool(self.users or self.calls or self.queue or self.agents)


def dirty_of(batch: list[Event]) -> Dirty:
    """Which pages a batch of events changes."""
    dirty = Dirty()
    for item in batch:
        if isinstance(item, PresenceChanged):
            dirty.users.add(item.user_id)
            dirty.agents = True
        elif isinstance(item, ParticipantChanged):  # a lead supervising: the agent's card, the leads' view
            if item.agent_id:
                dirty.users.add(int(item.agent_id))
            dirty.calls.add(item.call_sid)
            dirty.agents = True
        elif isinstance(item, CALL_EVENTS):
            agent_id = getattr(item, "agent_id", None)
            if agent_id:
                dirty.users.add(int(agent_id))
            if item.call_sid:
                dirty.calls.add(item.call_sid)
            dirty.agents = dirty.queue = True
    return dirty


class Notifier:
    """Coalesces changes and pushes them from one thread per app (``flush`` for tests)."""

    def __init__(self, app: Flask, broker: LocalBroker, debounce_s: float = 0.05):
        self.app = app
        self.broker = broker
        self.debounce_s = debounce_s
        self._pending = Dirty()
        self._cond = threading.Condition()
        self._busy = False
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="hotline-console-notify", daemon=True)
        self._thread.start()

    def mark(self, dirty: Dirty) -> None:
        if not dirty:
            return
        with self._cond:
            self._pending.merge(dirty)
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                self._busy = True
            time.sleep(self.debounce_s)  # let a burst of commits arrive
            with self._cond:
                batch, self._pending = self._pending, Dirty()
            try:
                push(self.app, self.broker, batch)
            except Exception:
                log.exception("console: live push failed")
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything marked so far has been pushed."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout=timeout)

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout=2)


def push(app: Flask, broker: LocalBroker, batch: Dirty) -> None:
    """Build and deliver the marked pages that are open in this process."""
    if not broker.subscriber_count():
        return
    users = set(batch.users)
    for sid in batch.calls:
        users.update(desk.agents_of_call(app, sid))
    for user_id in sorted(users):
        if broker.has_audience(users={user_id}):
            state = desk.desk_of(app, user_id)
            if state is not None:
                broker.publish(Message("desk", state, users=frozenset({user_id})))
    leads = frozenset(LEAD_ROLES)
    if (batch.agents or users or batch.calls) and broker.has_audience(roles=leads):
        broker.publish(Message("agents", lead.agents_of(app), roles=leads))
    if batch.queue:
        snapshot = lead.queue_of(app)
        if broker.has_audience(roles=leads):
            broker.publish(Message("queue", snapshot, roles=leads))
        broker.publish(Message("queue_summary", {"size": snapshot["size"],
                                                 "longest_wait_s": snapshot["longest_wait_s"]}))


def notifier_of(app: Flask) -> Notifier:
    return app.extensions["console_notifier"]


def init_app(app: Flask, broker: LocalBroker) -> Notifier:
    notifier = Notifier(app, broker)
    app.extensions["console_notifier"] = notifier
    app.extensions.setdefault("hotline_stoppers", []).append(notifier.stop)
    return notifier
