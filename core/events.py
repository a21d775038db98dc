"""Domain events: what happened on the call path, announced once after it is committed.

A service function that changes something the pages show calls ``publish(session, event)``.
The event waits on the session and is delivered only when that session commits (a rollback
drops it): on PostgreSQL the commit itself carries it — one ``SELECT pg_notify(...)`` per
commit, inside the same transaction, batching every event of that commit — and one listening
thread per process (``core.events_pg``) hands each batch to that process's subscribers; on
SQLite (one process) the batch is handed to the subscribers right after the commit.
Work already committed (a page message built after the fact) uses ``emit(app, event)``.

Subscribers (``subscribe(app, handler)``) receive each batch as a list of events, in every
web process. The console turns them into page updates (``agent_console.live``).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from flask import Flask
from sqlalchemy import Engine, String, bindparam, event, func, select, text
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.sql.dml import Insert

log = logging.getLogger(__name__)
CHANNEL = "hotline_live"
MAX_NOTIFY_BYTES = 7800  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more
PENDING = "hotline_pending_events"
HUB = "hotline_event_hub"
LAST_WRITE = "hotline_last_write"
KINDS: dict[str, type[Event]] = {}


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            KINDS[cls.kind] = cls

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class CallArrived(Event):
    """A call leg reached a webhook for the first time."""

    kind: ClassVar[str] = "call_arrived"
    call_sid: str


@dataclass(frozen=True)
class CallQueued(Event):
    """A caller is (again) waiting in line, or asked to be called back keeping their place."""

    kind: ClassVar[str] = "call_queued"
    call_sid: str | None
    callback: bool = False


@dataclass(frozen=True)
class CallOffered(Event):
    """Routing reserved an agent for a caller (or a due call-back)."""

    kind: ClassVar[str] = "call_offered"
    call_sid: str | None
    agent_id: int


@dataclass(frozen=True)
class CallRinging(Event):
    """A leg rings (the agent's phone: the desk shows the answer button)."""

    kind: ClassVar[str] = "call_ringing"
    call_sid: str
    agent_id: int | None = None


@dataclass(frozen=True)
class CallAnswered(Event):
    """A leg was answered, or a caller was connected to their agent."""

    kind: ClassVar[str] = "call_answered"
    call_sid: str
    agent_id: int | None = None


@dataclass(frozen=True)
class CallEnded(Event):
    """A leg ended, or a caller left the line (hung up, call-back, voicemail)."""

    kind: ClassVar[str] = "call_ended"
    call_sid: str | None
    agent_id: int | None = None


@dataclass(frozen=True)
class ParticipantChanged(Event):
    """Someone besides the caller and the agent joined, changed or left a call's room (a lead
    listening, coaching or barged in), or a lead asked to: the agent's desk and the leads' view."""

    kind: ClassVar[str] = "participant_changed"
    call_sid: str
    agent_id: int | None = None


@dataclass(frozen=True)
class PresenceChanged(Event):
    kind: ClassVar[str] = "presence_changed"
    user_id: int
    presence: str


@dataclass(frozen=True)
class AlertRaised(Event):
    """An alert for the team leads (long call H7, wait past the threshold H2, forbidden phrasing…)."""

    kind: ClassVar[str] = "alert"
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice(Event):
    """A ready-made page message: ``topic`` + ``payload`` for ``users`` / ``roles`` (both empty:
    every signed-in user) — transcripts, acknowledged alerts, incidents, campaign progress."""

    kind: ClassVar[str] = "notice"
    topic: str
    payload: dict[str, Any] = field(default_factory=dict)
    users: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()


LEG_ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def status_event(call_sid: str, status: str | None, agent_id: int | None = None) -> Event | None:
    """The event a leg's new Twilio status means to the pages (ringing, answered, ended), if any."""
    if status == "ringing":
        return CallRinging(call_sid=call_sid, agent_id=agent_id)
    if status == "in-progress":
        return CallAnswered(call_sid=call_sid, agent_id=agent_id)
    if status in LEG_ENDED:
        return CallEnded(call_sid=call_sid, agent_id=agent_id)
    return None


def from_dict(data: Any) -> Event | None:
    """The event a wire dict describes; None for unknown kinds or bad fields."""
    if not isinstance(data, dict):
        return None
    cls = KINDS.get(str(data.get("kind")))
    if cls is None:
        return None
    try:
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        if cls is Notice:
            values["users"] = tuple(int(u) for u in values.get("users") or ())
            values["roles"] = tuple(str(r) for r in values.get("roles") or ())
        return cls(**values)
    except (TypeError, ValueError):
        return None


def _wire(item: Event) -> str:
    text_ = json.dumps(item.to_dict(), ensure_ascii=False, default=str, separators=(",", ":"))
    if len(text_.encode()) > MAX_NOTIFY_BYTES - 2 and isinstance(item, Notice | AlertRaised):
        data = item.to_dict()
        data["payload"] = {"refresh": True}  # too large for NOTIFY: the page refetches
        text_ = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text_


def to_payloads(batch: Iterable[Event]) -> list[str]:
    """The batch as JSON arrays, each small enough for one NOTIFY."""
    payloads: list[str] = []
    current: list[str] = []
    size = 2
    for item in batch:
        wire = _wire(item)
        if current and size + len(wire.encode()) + 1 > MAX_NOTIFY_BYTES:
            payloads.append("[" + ",".join(current) + "]")
            current, size = [], 2
        current.append(wire)
        size += len(wire.encode()) + 1
    if current:
        payloads.append("[" + ",".join(current) + "]")
    return payloads


def from_payload(payload: str) -> list[Event]:
    try:
        data = json.loads(payload)
    except ValueError:
        log.warning("events: ignored a malformed notification")
        return []
    items = data if isinstance(data, list) else [data]
    return [e for e in (from_dict(d) for d in items) if e is not None]


def notify_statement(payloads: list[str]) -> tuple[Any, dict[str, str]]:
    """One ``SELECT pg_notify(...), pg_notify(...)`` for every payload of a commit."""
    return _notify_text(len(payloads)), notify_params(payloads)


def notify_params(payloads: list[str]) -> dict[str, str]:
    return {"channel": CHANNEL, **{f"p{i}": p for i, p in enumerate(payloads)}}


@functools.lru_cache(maxsize=16)
def _notify_text(count: int) -> Any:
    return text("SELECT " + ", ".join(f"pg_notify(:channel, :p{i})" for i in range(count)))


@functools.lru_cache(maxsize=256)
def _carrying(write: Insert, count: int) -> Any:
    """``WITH last_write AS (INSERT …) SELECT pg_notify(…), …``, built once per INSERT shape
    and number of payloads (the values are bind parameters, see ``notify_params``)."""
    notices = [func.pg_notify(bindparam("channel", type_=String), bindparam(f"p{i}", type_=String))
               for i in range(count)]
    return select(*notices).add_cte(write.cte("last_write"))


Handler = Callable[[list[Event]], None]


class EventHub:
    """One app's subscribers and its transport (in-process, or PostgreSQL LISTEN/NOTIFY)."""

    def __init__(self, engine: Engine, listener: Callable[[Engine, Handler], Any] | None = None):
        self.engine = engine
        self._listener_factory = listener
        self.uses_notify = engine.dialect.name == "postgresql"
        self._handlers: list[Handler] = []
        self._lock = threading.Lock()
        self.listener: Any = None

    def subscribe(self, handler: Handler) -> None:
        with self._lock:
            self._handlers.append(handler)
        if self.uses_notify and self.listener is None and self._listener_factory is not None:
            self.listener = self._listener_factory(self.engine, self.deliver)
            self.listener.start()

    def deliver(self, batch: list[Event]) -> None:
        """Hand a committed batch to this process's subscribers (never raises)."""
        with self._lock:
            handlers = list(self._handlers)
        for handler in handlers:
            try:
                handler(batch)
            except Exception:  # a page update must never break the work that caused it
                log.exception("events: a subscriber failed")

    def emit(self, batch: list[Event]) -> None:
        """Announce events whose change is already committed (PostgreSQL: a NOTIFY of its own)."""
        if not batch:
            return
        if not self.uses_notify:
            self.deliver(batch)
            return
        statement, params = notify_statement(to_payloads(batch))
        try:
            with self.engine.begin() as connection:
                connection.execute(statement, params)
        except Exception:
            log.exception("events: could not notify")

    def close(self) -> None:
        if self.listener is not None:
            self.listener.close()


# -- the session side: events wait on the session until it commits ---------------------------

def publish(s: Session, *events: Event) -> None:
    """Announce ``events`` when ``s`` commits (dropped on rollback). Not inside a savepoint."""
    s.info.setdefault(PENDING, []).extend(events)


def pending(s: Session) -> list[Event]:
    return list(s.info.get(PENDING) or ())


@dataclass(frozen=True)
class LastWrite:
    """The commit's last write: an INSERT (built once per shape, see ``write_last``) and its values."""

    statement: Insert
    params: dict[str, Any]


def write_last(s: Session, build: Callable[[Session], LastWrite | None]) -> None:
    """Register the commit's last write: ``build(s)`` returns one INSERT and its values (or None),
    run just before ``s`` commits. On PostgreSQL that INSERT also carries the commit's
    notification — one statement, ``WITH last_write AS (INSERT …) SELECT pg_notify(…)`` — so a
    webhook that writes its timeline and announces its events still makes a single round trip for
    both. The INSERT should be built once per shape (its values bind parameters): the statement
    that carries it is then built once too, and neither is compiled again."""
    s.info[LAST_WRITE] = build


def _before_commit(s: Session) -> None:
    if s.in_nested_transaction():
        return
    build = s.info.pop(LAST_WRITE, None)
    write = build(s) if build is not None else None
    hub: EventHub | None = s.info.get(HUB)
    batch = s.info.get(PENDING)
    notify = bool(batch) and hub is not None and hub.uses_notify
    if write is not None and notify:
        payloads = to_payloads(batch)
        s.execute(_carrying(write.statement, len(payloads)),  # sent on commit, dropped on rollback
                  {**write.params, **notify_params(payloads)})
    elif write is not None:
        s.execute(write.statement, write.params)
    elif notify:
        statement, params = notify_statement(to_payloads(batch))
        s.execute(statement, params)  # part of this transaction: sent on commit, dropped on rollback


def _after_commit(s: Session) -> None:
    if s.in_nested_transaction():
        return
    batch = s.info.pop(PENDING, None)
    hub: EventHub | None = s.info.get(HUB)
    if batch and hub is not None and not hub.uses_notify:
        hub.deliver(batch)


def _after_soft_rollback(s: Session, previous: SessionTransaction) -> None:
    if not previous.nested:
        s.info.pop(PENDING, None)
        s.info.pop(LAST_WRITE, None)


def install(app: Flask, maker: sessionmaker, engine: Engine,
            listener: Callable[[Engine, Handler], Any] | None = None) -> EventHub:
    """Give ``app`` its hub and make the sessions of ``maker`` deliver what they publish;
    ``listener(engine, deliver)`` starts this process's PostgreSQL LISTEN thread
    (``core.events_pg.Listener``) when the first page subscribes."""
    hub = EventHub(engine, listener)
    app.extensions["events"] = hub
    app.extensions.setdefault("hotline_stoppers", []).append(hub.close)
    maker.configure(info={HUB: hub})
    event.listen(maker, "before_commit", _before_commit)
    event.listen(maker, "after_commit", _after_commit)
    event.listen(maker, "after_soft_rollback", _after_soft_rollback)
    return hub


def hub_of(app: Flask) -> EventHub:
    return app.extensions["events"]


def subscribe(app: Flask, handler: Handler) -> None:
    hub_of(app).subscribe(handler)


def emit(app: Flask, *events: Event) -> None:
    hub = app.extensions.get("events")
    if hub is not None:
        hub.emit(list(events))
