"""The simulator's clock: one event queue ordered by (virtual time, sequence number).

Three ways to move time, all over the same queue, so a run is deterministic:

- **manual** (tests): ``advance(seconds)`` runs every event due up to ``now + seconds`` in
  order, then sets ``now``; ``run_until_idle(max_seconds)`` runs until nothing is pending.
- **auto** (``flask simulate call``): ``run_until(predicate, max_seconds)`` jumps from event
  to event until the predicate holds; ``start()`` does the same in a background thread.
- **realtime** (a person in the console): ``start_realtime()`` starts a daemon thread that
  sleeps until the next event's wall-clock due time; a ``threading.Condition`` wakes it
  when an earlier event is scheduled. ``stop()`` ends it.

Events run one at a time, in the thread that moves the clock, and never under the engine's
state lock (each event takes it for as long as it mutates state). Before each event the clock
calls ``settle`` (when set): the app waits there for work its webhooks left for after their
response (placing calls, dispatch), so a manual or jumping clock stays deterministic.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

_log = logging.getLogger(__name__)


@dataclass(order=True)
class Event:
    due: float
    seq: int
    fn: Callable[[], None] = field(compare=False)
    label: str = field(default="", compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class Clock:
    """Virtual time plus the event queue. ``now`` is seconds since the simulator started."""

    def __init__(self) -> None:
        self._heap: list[Event] = []
        self._seq = 0
        self._cond = threading.Condition(threading.Lock())
        self._now = 0.0
        self._runner: threading.Thread | None = None
        self._stopping = False
        self._realtime = False
        self._wall0 = 0.0  # monotonic wall time matching virtual time _virt0
        self._virt0 = 0.0
        self._processing = threading.Lock()
        self.errors: list[str] = []
        self.settle: Callable[[], None] | None = None  # run before each event (see the module doc)

    # -- time ---------------------------------------------------------------------------
    @property
    def now(self) -> float:
        if self._realtime:
            return max(self._now, self._virt0 + (time.monotonic() - self._wall0))
        return self._now

    # -- scheduling ---------------------------------------------------------------------
    def schedule(self, delay: float, fn: Callable[[], None], label: str = "") -> Event:
        """Run ``fn`` ``delay`` virtual seconds from now (0 = after what is already due now)."""
        with self._cond:
            self._seq += 1
            event = Event(self.now + max(0.0, delay), self._seq, fn, label)
            heapq.heappush(self._heap, event)
            self._cond.notify_all()
        return event

    def pending(self) -> int:
        with self._cond:
            return sum(1 for e in self._heap if not e.cancelled)

    def next_due(self) -> float | None:
        with self._cond:
            self._drop_cancelled()
            return self._heap[0].due if self._heap else None

    def _drop_cancelled(self) -> None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)

    def _settle(self) -> None:
        if self.settle is not None:
            self.settle()

    def _pop_due(self, until: float) -> Event | None:
        self._settle()
        with self._cond:
            self._drop_cancelled()
            if self._heap and self._heap[0].due <= until:
                return heapq.heappop(self._heap)
            return None

    def _run(self, event: Event, swallow: bool = False) -> None:
        self._now = max(self._now, event.due)
        try:
            event.fn()
        except Exception:
            # A bug in an event must not kill the real-time thread; tests see it raised.
            self.errors.append(f"{event.label}: {traceback.format_exc()}")
            _log.exception("simulator event %s failed", event.label)
            if not swallow:
                raise

    def _guard(self) -> None:
        if not self._processing.acquire(blocking=False):
            raise RuntimeError("the simulator clock is already being advanced (re-entrant call "
                               "from a webhook, or the real-time thread is running)")

    # -- manual / auto ------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Run every event due up to ``now + seconds`` in order, then set ``now`` there."""
        self._guard()
        try:
            target = self._now + seconds
            while (event := self._pop_due(target)) is not None:
                self._run(event)
            self._now = max(self._now, target)
        finally:
            self._processing.release()

    def try_advance(self, seconds: float) -> bool:
        """``advance`` unless the clock is already being advanced (then False, nothing done)."""
        if self._processing.locked():
            return False
        self.advance(seconds)
        return True

    def run_until(self, predicate: Callable[[], bool], max_seconds: float = 3600.0) -> bool:
        """Jump from event to event until ``predicate()`` holds (True) or nothing is pending
        or ``max_seconds`` of virtual time have passed (False)."""
        self._guard()
        try:
            limit = self._now + max_seconds
            while not (self._settle() or predicate()):
                event = self._pop_due(limit)
                if event is None:
                    return predicate()
                self._run(event)
            return True
        finally:
            self._processing.release()

    def run_until_idle(self, max_seconds: float = 3600.0) -> bool:
        """Run events until none is pending (True) or ``max_seconds`` pass (False)."""
        return self.run_until(lambda: self.next_due() is None, max_seconds)

    # -- background threads -------------------------------------------------------------
    def start(self, realtime: bool) -> None:
        if self._runner is not None:
            return
        self._stopping = False
        if realtime:
            self._wall0, self._virt0 = time.monotonic(), self._now
            self._realtime = True
        self._runner = threading.Thread(target=self._loop, name="simulator-clock", daemon=True)
        self._runner.start()

    def stop(self) -> None:
        runner = self._runner
        if runner is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if runner is not threading.current_thread():
            runner.join(timeout=5)
        self._now = self.now
        self._realtime = False
        self._runner = None

    def _loop(self) -> None:
        with self._processing:
            while True:
                with self._cond:
                    if self._stopping:
                        return
                    self._drop_cancelled()
                    if not self._heap:
                        self._cond.wait(timeout=1.0)
                        continue
                    due = self._heap[0].due
                    if self._realtime:
                        delay = due - self.now
                        if delay > 0:
                            self._cond.wait(timeout=delay)
                            continue
                    event = heapq.heappop(self._heap)
                self._run(event, swallow=True)
