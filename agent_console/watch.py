"""What changed, so the pages can be told (no polling loop in the browser).

The caller's path changes presence, offers, calls and queue entries in many places, not all
of them signalled; so the console watches the ORM itself: after a flush it notes which users,
calls and queue rows changed, after the commit it hands them to this app's ``Notifier``, a
thread that coalesces bursts and pushes ``desk`` (per agent), ``agents`` and ``queue`` (leads)
through the broker. Rolled-back changes are never announced. Signals
(``presence_changed``…) feed the same notifier.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from core.models import Call, CallbackRequest, QueueEntry, User
from ivr.models import Offer

log = logging.getLogger(__name__)
_APPS: weakref.WeakValueDictionary[int, Flask] = weakref.WeakValueDictionary()
_installed = False


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


class Notifier:
    """Coalesces changes and pushes them from one thread per app (``flush`` for tests)."""

    def __init__(self, app: Flask, debounce_s: float = 0.05):
        self.app = app
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
                push(self.app, batch)
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


def push(app: Flask, batch: Dirty) -> None:
    from agent_console import desk, lead

    users = set(batch.users)
    for sid in batch.calls:
        users.update(desk.agents_of_call(app, sid))
    for user_id in sorted(users):
        desk.push_desk(app, user_id)
    if batch.agents or users or batch.calls:
        lead.push_agents(app)
    if batch.queue:
        lead.push_queue(app)


def _changed(obj: Any, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _after_flush(session: Session, _context: Any) -> None:
    dirty: Dirty = session.info.setdefault("console_dirty", Dirty())
    for obj in list(session.new) + list(session.dirty):
        loaded = inspect(obj).dict  # never load anything inside a flush
        if isinstance(obj, User):
            if obj in session.new or _changed(obj, "presence", "active"):
                dirty.users.add(loaded["id"])
                dirty.agents = True
        elif isinstance(obj, Call):
            if obj in session.new or _changed(obj, "status", "answered_at", "ended_at", "agent_id"):
                if loaded.get("call_sid"):
                    dirty.calls.add(loaded["call_sid"])
                if loaded.get("agent_id"):
                    dirty.users.add(loaded["agent_id"])
        elif isinstance(obj, QueueEntry | CallbackRequest):
            dirty.queue = True
        elif isinstance(obj, Offer):
            if loaded.get("agent_id"):
                dirty.users.add(loaded["agent_id"])
            dirty.agents = True


def _after_commit(session: Session) -> None:
    dirty = session.info.pop("console_dirty", None)
    if not dirty:
        return
    app = _APPS.get(id(session.bind))
    notifier = app.extensions.get("console_notifier") if app is not None else None
    if notifier is not None:
        notifier.mark(dirty)


def _after_rollback(session: Session) -> None:
    session.info.pop("console_dirty", None)


def notifier_of(app: Flask) -> Notifier:
    return app.extensions["console_notifier"]


def init_app(app: Flask) -> None:
    global _installed
    notifier = Notifier(app)
    app.extensions["console_notifier"] = notifier
    app.extensions.setdefault("hotline_stoppers", []).append(notifier.stop)
    _APPS[id(app.extensions["db_engine"])] = app
    if not _installed:
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
        _installed = True
