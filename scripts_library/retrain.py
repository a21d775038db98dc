"""Training the learned layer in the background, one library at a time, the newest wins.

A lead's save must not wait for the learned layer (10–20 s of CPU, far more on a busy machine):
the service puts the new library in place at once with the previous model and asks this worker
for the new one. One daemon thread trains, one job at a time; a newer job for the same library
replaces a waiting one and cancels a running one (the solver checks between iterations), so
only the newest library's model is ever installed. ``status`` says, per library, whether its
model is ready or since when it is retraining.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .learned_fit import Cancelled

log = logging.getLogger(__name__)

#: trains a model; the argument says whether the job was superseded (then stop early)
Work = Callable[[Callable[[], bool]], object]
#: installs the trained model (called in the worker thread)
Done = Callable[[object], None]


@dataclass
class _Job:
    work: Work
    done: Done
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    cancelled: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Status:
    """``state``: ``ready`` | ``retraining`` | ``failed``; ``since``: when it started (UTC)."""

    state: str
    since: datetime | None = None
    error: str = ""


class Retrainer:
    """The background worker (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._waiting: dict[str, _Job] = {}
        self._running: tuple[str, _Job] | None = None
        self._failed: dict[str, Status] = {}
        self._thread: threading.Thread | None = None

    def submit(self, name: str, work: Work, done: Done) -> None:
        """Train ``name``'s model with ``work`` and hand it to ``done``, replacing any older job."""
        with self._lock:
            old = self._waiting.get(name)
            job = _Job(work, done, since=old.since if old else datetime.now(UTC))
            if self._running is not None and self._running[0] == name:
                self._running[1].cancelled.set()
                job.since = self._running[1].since
            self._waiting[name] = job
            self._failed.pop(name, None)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="learned-layer-training", daemon=True)
                self._thread.start()
            self._lock.notify_all()

    def cancel_all(self) -> None:
        """Drop every waiting job and stop the running one (their results could not be installed)."""
        with self._lock:
            self._waiting.clear()
            if self._running is not None:
                self._running[1].cancelled.set()
            self._lock.notify_all()

    def status(self, name: str) -> Status:
        with self._lock:
            job = self._waiting.get(name) or (self._running[1] if self._running and self._running[0] == name else None)
            if job is not None:
                return Status("retraining", job.since)
            return self._failed.get(name, Status("ready"))

    def wait(self, name: str, timeout: float | None = None) -> bool:
        """Block until ``name`` has no waiting or running job; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: name not in self._waiting and not (
                self._running and self._running[0] == name), timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._waiting:
                    self._thread = None
                    return
                name = next(iter(self._waiting))
                job = self._waiting.pop(name)
                self._running = (name, job)
            try:
                result = job.work(job.cancelled.is_set)
                if not job.cancelled.is_set():
                    job.done(result)
            except Cancelled:
                pass  # a newer library of the same name is waiting
            except Exception as exc:  # the worker survives any failure of one job
                log.exception("training the learned layer of %s failed", name)
                with self._lock:
                    self._failed[name] = Status("failed", datetime.now(UTC), str(exc)[:500])
            finally:
                with self._lock:
                    self._running = None
                    self._lock.notify_all()
