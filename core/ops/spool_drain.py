"""Draining the fault spool as soon as the database answers, and keeping each call's events
in order while it drains.

**The waiter.** While records are pending, one thread per process (``Replayer``) waits to
be woken: by the first request of this process that gets a database connection, and by a
``/healthz`` whose database check passes. It then stores the spool at once; a replay that
stops at a database error waits for the next wake. ``ops.spool_replay_every_s`` is only the
period of a retry nobody woke (no request, no health check).

**One truth per call.** A webhook for a call whose records are still in the spool (its
arrival came during the outage) first stores that call's records itself. Should some still
wait (the database is still gone, or another replay has the turn), a status callback or a
recording for that call is not applied out of order (the call unknown yet → dropped; the
arrival replayed later → ``ringing`` for ever): it joins the spool behind the arrival and
is stored after it. A caller's interactive webhook goes on as usual (the call row is made
now; the arrival record then only adds its ``db_outage`` event).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event

from core.ops.caller_context import caller_locale, webhook_form
from core.ops.fallback import answer_stands, spool_webhook, thanks_and_hangup
from core.ops.spool import Spool, get_spool
from core.twiml import empty, twiml_response

log = logging.getLogger(__name__)


class Replayer:
    """Stores the spool when woken (or every ``ops.spool_replay_every_s``) until it is empty."""

    def __init__(self, app: Flask, spool: Spool):
        self.app = app
        self.spool = spool
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()

    def ensure_running(self) -> None:
        with self._guard:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="hotline-spool-replay", daemon=True)
            self._thread.start()

    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def wake(self) -> None:
        """The database answered someone else: try now (not from the waiter's own queries)."""
        if self.running() and threading.current_thread() is not self._thread:
            self._wake.set()

    def _run(self) -> None:
        period = self.app.config["HOTLINE"].ops.spool_replay_every_s
        while not self._stop.is_set():
            self._wake.wait(period)
            self._wake.clear()
            if self._stop.is_set():
                return
            self._replay_until_stuck()
            if self.spool.pending_count() == 0:
                return

    def _replay_until_stuck(self) -> None:
        """Replay; records written meanwhile (behind a spooled arrival) are taken at once."""
        while True:
            try:
                self.spool.replay(self.app)
            except Exception:  # noqa: BLE001 - keep retrying
                log.exception("spool: replay failed")
                return
            if self.spool.failed or self.spool.pending_count() == 0:
                return

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5)


def get_replayer(app: Flask) -> Replayer | None:
    return app.extensions.get("ops_replayer")


def database_answered(app: Flask) -> None:
    """Call when the database just answered (a passing health check): drain the spool now."""
    replayer = get_replayer(app)
    if replayer is not None:
        replayer.wake()


def _is_event() -> bool:
    """A webhook that reports on a call (status callback, recording) rather than asking what
    the caller hears next."""
    return request.path.endswith("/status") or bool(request.form.get("RecordingUrl"))


def keep_call_order() -> Any:
    """``before_request`` (after the signature check): this call's spooled records first."""
    path = request.path
    if not path.startswith("/ivr/") or path.startswith("/ivr/fallback/") or request.method != "POST":
        return None
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    spool = get_spool(app)
    if spool is None or not spool.has_pending():
        return None
    call_sid = (request.form.get("CallSid") or "").strip()[:64]
    if not call_sid or not spool.pending_for(call_sid):
        return None
    failed_before = g.get("ops_db_failed")
    spool.replay(app, call_sid=call_sid, wait=False)
    g.ops_db_failed = failed_before  # the spool's error is not this webhook's
    if not _is_event() or not spool.pending_for(call_sid):
        return None
    return _spool_behind()


def _spool_behind() -> Any:
    answer_stands()  # answered without the database: the outage fallback must not answer again
    form = webhook_form()
    current_app.logger.info("ivr: %s for a call still in the fault spool; kept behind it", request.path)
    if form.get("RecordingUrl"):
        spool_webhook("recording", form)
        return twiml_response(thanks_and_hangup(current_app.config["HOTLINE"], caller_locale(form)))
    spool_webhook("status", form)
    return twiml_response(empty())


def init_app(app: Flask) -> None:
    spool = get_spool(app)
    if spool is None:
        return
    replayer = Replayer(app, spool)
    app.extensions["ops_replayer"] = replayer
    app.extensions.setdefault("hotline_stoppers", []).append(replayer.stop)

    @event.listens_for(app.extensions["db_engine"], "checkout")
    def _connection_obtained(*_args: Any) -> None:
        if has_request_context():
            replayer.wake()  # a request reached the database: the spool can drain now

    app.before_request(keep_call_order)
    if spool.pending_count():
        try:
            spool.replay(app)  # at start-up: what an earlier outage left behind
        except Exception:  # noqa: BLE001 - start-up must not fail on it
            log.exception("spool: replay at start-up failed")
        if spool.pending_count():
            replayer.ensure_running()
