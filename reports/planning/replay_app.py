"""The replay's own app: what makes it a throw-away copy that is cheap to run.

``replay_settings``: the live settings pointed at a throw-away database, the simulator on
its manual clock, no scheduler, no learned layer of the library (nobody's speech is checked).

``fresh_database``: the throw-away database starts as a copy of an empty migrated one, made once
per set of migrations in the system's temporary directory (migrating takes most of a second of
CPU, copying the file milliseconds).
``throwaway_pragmas``: the database is thrown away, so no fsync and temp tables in memory.
``no_live_transcription``: ``<Start>``/``<Stop>`` ``<Transcription>`` are skipped by the
replay's simulator (transcripts are not part of service level or abandonment).
``inline_deferred``: work a webhook leaves for after its response runs in the replay's own
thread, in order, before the simulator's next event (where the clock waited for the thread pool).
``direct_webhooks``: the simulator calls the app's WSGI entry directly (no test client) and keeps
only a count of its webhook requests, not each request and response; the app's REST requests
to the simulator go straight to the simulator's REST API (Twilio's side), not through the app.
``cpu_split``: the CPU time the replay spent in the webhooks and in their follow-up work.
``stop``: the simulator, deferred work and database connections of the app, when done.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections import deque
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

from sqlalchemy import event

from core.config import Settings, _deep_merge
from core.ops.deferred import Deferred, in_deferred_work
from core.telephony.sim_sandbox import migrated_template
from core.telephony.simulator import DirectWsgiTransport, SimulatorHttpClient

PUBLIC_URL = "https://replay.hotline.invalid"


def replay_settings(base: Settings, overrides: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """The base settings on a throw-away database in ``workdir`` and a manual simulator clock,
    with the scenario's ``overrides``."""
    dumped = base.model_dump(mode="json")
    dumped["server"] = {**dumped["server"], "public_url": PUBLIC_URL, "data_dir": str(workdir / "data"),
                        "secret_key": "replay"}
    dumped["database"] = {"url": f"sqlite:///{workdir / 'replay.db'}"}
    dumped["telephony"] = {**dumped["telephony"], "mode": "simulator", "simulator_clock": "manual",
                           "account_sid": None, "auth_token": None, "simulator_calls_per_second": 1000}
    dumped["queue"] = {**dumped["queue"], "max_size": 5000}
    dumped["scheduler"] = {**dumped["scheduler"], "enabled": False}
    dumped["ops"] = {**dumped["ops"], "log_format": "text"}
    dumped["library"] = {**dumped["library"], "learned": False}  # agents' speech is never checked
    return _deep_merge(dumped, overrides)


TEMPLATES = Path(tempfile.gettempdir()) / "hotline-replay-templates"


def fresh_database(workdir: Path) -> None:
    """``workdir``/replay.db, unless it is there: a copy of the empty migrated template (the
    app then has nothing to migrate)."""
    workdir.mkdir(parents=True, exist_ok=True)
    if not (workdir / "replay.db").exists():
        shutil.copyfile(migrated_template(TEMPLATES), workdir / "replay.db")


def throwaway_pragmas(engine: Any) -> None:
    """The replay database is thrown away: no fsync, journal in memory (several times faster)."""
    @event.listens_for(engine, "connect")
    def _fast(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    engine.dispose()


def _skip_transcription(_sim: Any, _leg: Any, _el: Any, _url: str | None) -> Any:
    """``<Start>``/``<Stop>`` ``<Transcription>`` in a replay: no transcript, no callbacks."""
    return None
    yield  # pragma: no cover - a verb is a generator


def no_live_transcription(sim: Any) -> None:
    sim.verbs = {**sim.verbs, "Start": _skip_transcription, "Stop": _skip_transcription}


class _Queued(Executor):
    """Runs nothing until ``run_pending``, which runs what was submitted, in order, in the
    calling thread (work submitted meanwhile included)."""

    def __init__(self) -> None:
        self._queue: deque[tuple[Future[Any], Any, tuple[Any, ...], dict[str, Any]]] = deque()
        self.cpu_s = 0.0  # CPU time of the replay's thread spent running the work

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self._queue.append((future, fn, args, kwargs))
        return future

    def run_pending(self) -> None:
        if not self._queue:
            return
        began = time.thread_time()
        while self._queue:
            future, fn, args, kwargs = self._queue.popleft()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args, **kwargs))
                except BaseException as exc:  # noqa: BLE001 - handed over like the pool does
                    future.set_exception(exc)

        self.cpu_s += time.thread_time() - began

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if wait:
            self.run_pending()


class InlineDeferred(Deferred):
    """``core.ops.defer`` for the replay: the same wrapper (app context, errors logged, no
    draining from inside deferred work), run when the simulator's clock settles."""

    def __init__(self, app: Any) -> None:
        super().__init__(app, workers=1)
        self._pool.shutdown(wait=False)  # no thread was started yet
        self._pool = _Queued()  # type: ignore[assignment]

    @property
    def cpu_s(self) -> float:
        """CPU time of the replay's thread spent running deferred work so far."""
        return self._pool.cpu_s  # type: ignore[attr-defined]

    def drain(self, timeout_s: float = 30) -> bool:
        if in_deferred_work():
            return False
        self._pool.run_pending()  # type: ignore[attr-defined]
        return True


def inline_deferred(app: Any) -> None:
    old = app.extensions.get("ops_deferred")
    if old is not None:
        old.stop()
    deferred = InlineDeferred(app)
    app.extensions["ops_deferred"] = deferred
    app.extensions.setdefault("hotline_stoppers", []).append(deferred.stop)
    app.extensions["simulator"].clock.settle = deferred.drain


class _TimedTransport(DirectWsgiTransport):
    """``DirectWsgiTransport`` adding up the CPU time of the replay's thread inside the app."""

    cpu_s = 0.0

    def request(self, method: str, url: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        began = time.thread_time()
        try:
            return super().request(method, url, params, headers)
        finally:
            self.cpu_s += time.thread_time() - began


def cpu_split(app: Any) -> dict[str, float]:
    """CPU seconds of the replay's thread so far: in the webhooks, in their follow-up work."""
    return {"webhooks": app.extensions["simulator"].transport.cpu_s,
            "follow_up": app.extensions["ops_deferred"].cpu_s}


def direct_webhooks(app: Any) -> None:
    sim = app.extensions["simulator"]
    sim.transport = _TimedTransport(app)
    sim.keep_requests = False
    app.extensions["gateway"].client.http_client = SimulatorHttpClient(sim, direct=True)


def stop(app: Any) -> None:
    sim = app.extensions.get("simulator")
    if sim is not None:
        sim.stop()
    for stopper in app.extensions.get("hotline_stoppers", []):
        stopper()
    app.extensions["db_engine"].dispose()
