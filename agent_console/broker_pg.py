"""PostgreSQL LISTEN/NOTIFY broker: every web process sees every live update.

``publish`` runs ``SELECT pg_notify('hotline_live', <json>)`` on the app's engine (committed at
once); one daemon thread per process holds a psycopg 3 connection with ``LISTEN hotline_live``
and fans each notification out to the local streams. The thread reconnects after errors.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg
from sqlalchemy import Engine, text

from agent_console.broker import LocalBroker, Message

CHANNEL = "hotline_live"
log = logging.getLogger(__name__)


def libpq_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresBroker(LocalBroker):
    def __init__(self, engine: Engine, poll_s: float = 0.5):
        super().__init__()
        self._engine = engine
        self._conninfo = libpq_url(engine)
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()  # set once LISTEN is in place (tests wait on it)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._listen_forever, name="hotline-live-listen",
                                            daemon=True)
            self._thread.start()

    def publish(self, message: Message) -> None:
        with self._engine.begin() as connection:
            connection.execute(text("SELECT pg_notify(:channel, :payload)"),
                               {"channel": CHANNEL, "payload": message.to_wire()})

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
                log.warning("live updates: LISTEN connection lost (%s); reconnecting", exc)
                time.sleep(1.0)

    def _on_notify(self, payload: str) -> None:
        try:
            message = Message.from_wire(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("live updates: ignored a malformed notification")
            return
        self.deliver(message)

    def close(self) -> None:
        self._stop.set()
        super().close()
        if self._thread is not None:
            self._thread.join(timeout=self._poll_s * 4 + 1)
