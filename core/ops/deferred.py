"""Work that must follow a webhook's commit but must not hold its TwiML back.

A webhook has 15 s in all (Twilio); REST calls to Twilio (placing an agent's leg, redirecting
a call) have their own latency, retries and back-off. ``defer(app, fn)`` runs ``fn(app)`` on a
small per-app thread pool, inside an app context, after the view returned; errors are logged
with the call's ``call_sid`` (taken when deferred), never raised into a request.

    from core.ops import defer
    for action in step.after:
        defer(app, action)        # instead of action(app) before returning the TwiML

``drain(app, timeout_s)`` waits until deferred work is done (tests, shutdown).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from flask import Flask, has_request_context, request

log = logging.getLogger(__name__)
WORKERS = 4
_worker = threading.local()  # set inside deferred work: draining there would wait for itself


class Deferred:
    def __init__(self, app: Flask, workers: int = WORKERS):
        self.app = app
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hotline-deferred")
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def submit(self, fn: Callable[[Flask], Any]) -> Future[Any]:
        call_sid = None
        if has_request_context() and request.path.startswith("/ivr/"):
            call_sid = request.form.get("CallSid")

        def run() -> Any:
            _worker.active = True
            with self.app.app_context():
                try:
                    return fn(self.app)
                except Exception:  # noqa: BLE001 - after the response nobody else would see it
                    log.exception("deferred work failed", extra={"call_sid": call_sid})
                    return None
                finally:
                    _worker.active = False

        future = self._pool.submit(run)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    def drain(self, timeout_s: float = 30) -> bool:
        if getattr(_worker, "active", False):
            return False  # called from deferred work itself (e.g. a simulated REST call)
        with self._lock:
            pending = set(self._pending)
        done, not_done = wait(pending, timeout=timeout_s)
        return not not_done

    def stop(self) -> None:
        self.drain(30)
        self._pool.shutdown(wait=True)


def in_deferred_work() -> bool:
    """True inside work run by ``defer`` (a webhook's follow-up: time-boxed like the webhook)."""
    return bool(getattr(_worker, "active", False))


def _deferred(app: Flask) -> Deferred:
    deferred = app.extensions.get("ops_deferred")
    if deferred is None:
        deferred = Deferred(app)
        app.extensions["ops_deferred"] = deferred
        app.extensions.setdefault("hotline_stoppers", []).append(deferred.stop)
    return deferred


def defer(app: Flask, fn: Callable[[Flask], Any]) -> Future[Any]:
    """Run ``fn(app)`` after the current request, on the app's small thread pool."""
    return _deferred(app).submit(fn)


def drain(app: Flask, timeout_s: float = 30) -> bool:
    """Wait for deferred work; True when all of it finished within ``timeout_s``."""
    deferred = app.extensions.get("ops_deferred")
    return True if deferred is None else deferred.drain(timeout_s)
