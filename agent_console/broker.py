"""Live-update broker: topic + JSON payload, delivered to this process's SSE streams of the
right users.

Interface (``Broker``): ``publish(message)``, ``subscribe(user_id, role) -> Subscription``,
``has_audience(users, roles)``, ``start()``, ``close()``. ``LocalBroker`` fans out in-process;
what crosses processes (gunicorn workers on PostgreSQL) are the domain events of
``core.events``, which each process turns into page messages for its own streams
(``agent_console.live``).

Audience: a message goes to users in ``users`` or with a role in ``roles``; both empty means
every signed-in user. A message larger than ``MAX_WIRE_BYTES`` is replaced by
``{"refresh": true}``, on which pages refetch their state.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

MAX_WIRE_BYTES = 7800


@dataclass(frozen=True)
class Message:
    topic: str
    payload: dict[str, Any]
    users: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)

    def for_user(self, user_id: int, role: str) -> bool:
        if not self.users and not self.roles:
            return True
        return user_id in self.users or role in self.roles

    def to_wire(self) -> str:
        data = {"topic": self.topic, "payload": self.payload, "users": sorted(self.users),
                "roles": sorted(self.roles)}
        text = json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":"))
        if len(text.encode()) > MAX_WIRE_BYTES:
            data["payload"] = {"refresh": True}
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return text

    @classmethod
    def from_wire(cls, text: str) -> Message:
        data = json.loads(text)
        return cls(topic=str(data["topic"]), payload=dict(data.get("payload") or {}),
                   users=frozenset(int(u) for u in data.get("users") or ()),
                   roles=frozenset(str(r) for r in data.get("roles") or ()))


class Subscription:
    """One SSE stream's mailbox. ``get`` returns a Message, or None on timeout / when closed."""

    def __init__(self, broker: LocalBroker, user_id: int, role: str, maxsize: int = 1000):
        self.user_id = user_id
        self.role = role
        self.closed = False
        self._queue: queue.Queue[Message | None] = queue.Queue(maxsize=maxsize)
        self._broker = broker

    def offer(self, message: Message) -> None:
        try:
            self._queue.put_nowait(message)
        except queue.Full:  # a stuck reader: drop it rather than grow without bound
            self.close()

    def get(self, timeout: float) -> Message | None:
        if self.closed:
            return None
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._broker.unsubscribe(self)
            try:
                self._queue.put_nowait(None)  # wake a blocked reader
            except queue.Full:
                pass


class Broker(Protocol):
    def publish(self, message: Message) -> None: ...

    def has_audience(self, users: Iterable[int] = (), roles: Iterable[str] = ()) -> bool: ...

    def subscribe(self, user_id: int, role: str) -> Subscription: ...

    def start(self) -> None: ...

    def close(self) -> None: ...


class LocalBroker:
    """In-process fan-out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: set[Subscription] = set()
        self.closed = False

    def start(self) -> None:
        return None

    def subscribe(self, user_id: int, role: str) -> Subscription:
        sub = Subscription(self, user_id, role)
        with self._lock:
            if self.closed:
                sub.closed = True
            else:
                self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subs)

    def has_audience(self, users: Iterable[int] = (), roles: Iterable[str] = ()) -> bool:
        """Whether a stream here would receive a message for ``users`` / ``roles``."""
        wanted_users, wanted_roles = set(users), set(roles)
        with self._lock:
            return any(s.user_id in wanted_users or s.role in wanted_roles for s in self._subs)

    def deliver(self, message: Message) -> None:
        """Hand ``message`` to this process's matching streams."""
        with self._lock:
            targets = [s for s in self._subs if message.for_user(s.user_id, s.role)]
        for sub in targets:
            sub.offer(message)

    def publish(self, message: Message) -> None:
        self.deliver(Message.from_wire(message.to_wire()))  # same shape as over the wire

    def close(self) -> None:
        with self._lock:
            self.closed = True
            subs = list(self._subs)
        for sub in subs:
            sub.close()
