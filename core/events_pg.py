"""PostgreSQL LISTEN for domain events: every web process hears every committed batch.

Publishing needs nothing here: a commit that carries events runs ``SELECT pg_notify(...)`` in
its own transaction (``core.events``). One daemon thread per process holds a psycopg 3
connection with ``LISTEN hotline_live`` and hands each batch to the process's subscribers.
The thread reconnects after errors.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg
from sqlalchemy import Engine

from core.events import CHANNEL, Event, from_payload

log = logging.getLogger(__name__)


def libpq_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    def __init__(self, engine: Engine, deliver: Callable[[list[Event]], None], poll_s: float = 0.5):
        self._conninfo = libpq_url(engine)
        self._deliver = deliver
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()  # set once LISTEN is in place (tests wait on it)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._listen_forever, name="hotline-events-listen",
                                            daemon=True)
            self._thread.start()

    def _listen_forever(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=self._poll_s):
                            self._on_notify(note.payload)
            except psycopg.Error as exc:
                self.listening.clear()
                if self._stop.is_set():
                    break
                log.warning("events: LISTEN connection lost (%s); reconnecting", exc)
                time.sleep(1.0)

    def _on_notify(self, payload: str) -> None:
        batch = from_payload(payload)
        if batch:
            self._deliver(batch)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._poll_s * 4 + 1)
