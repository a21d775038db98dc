"""Webhooks that cannot be slow and cannot fail: time boxes and the database-outage fallback.

**Time boxes** (a webhook slower than Twilio's 15-second limit is impossible by design):
while a ``/ivr/`` request holds a database connection, waits are bounded by
``ops.webhook_db_budget_s`` — SQLite's ``busy_timeout`` (set on the pooled connection only when
it changes between webhook and other use), PostgreSQL's ``statement_timeout`` and
``lock_timeout`` (every connection opens with them; other work lifts them inside its own
transaction, so a webhook's one transaction is all it costs the server) — and PostgreSQL connection attempts by
``ops.db_connect_timeout_s``. The Twilio REST client gets an HTTP timeout
(``ops.rest_timeout_s``).

**Outage fallback**: a SQLAlchemy ``handle_error`` listener marks the request when the
database is unavailable (OperationalError / InterfaceError / disconnect: gone, locked,
read-only, timed out). Whatever the view then answered (the caller's path catches its own
errors), an ``after_request`` hook replaces it on ``/ivr/`` with TwiML that needs no
database, and writes what must not be lost to the fault spool (``core.ops.spool``):

- a caller (voice URL, menu, queue result, …): an apology and ``<Record>`` whose action is
  ``/ivr/fallback/recording`` (that route never touches the database: it spools the message);
- a recording action (a form with ``RecordingUrl``): the message is spooled, "thank you";
- a call recording's status callback (``RecordingStatus``): spooled, empty answer;
- the waitUrl: a reassurance with Twilio's own ``QueuePosition`` and a pause, so waiting
  callers keep their place and are still reassured every ``queue.reassure_every_s``; key 1
  leaves the line to leave a message;
- status callbacks: spooled, empty answer; agent legs: an apology and hang-up.

A 500 handler gives the same answers for any ``/ivr/`` error no view caught: never a 500.

**One truth**: once a webhook committed what its TwiML tells the caller (``answer_stands``,
called by the caller's path right after its commit), a database error in the work that
follows (dispatch, placing calls) never replaces that answer. A transaction whose
connection was lost (``connection_lost``) is run once more by the caller's path before any
apology. The fallback speaks the caller's language — what the request already knew, else
what this process last saw for the CallSid or the caller's number (``remember_locale``),
else the company default — with the library's wording (the caller's path registers it as
``app.extensions["caller_wording"]``; the outage hold line is the library's ``outage_hold``);
only ``LAST_RESORT``, for a library that cannot be read, is written here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, has_app_context, has_request_context, jsonify, request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from twilio.twiml.voice_response import Gather, VoiceResponse

from core.ops.caller_context import LOCALE_MEMORY, LocaleMemory, caller_locale, webhook_form
from core.ops.deferred import in_deferred_work
from core.ops.metrics import DB_FALLBACKS
from core.ops.spool import get_spool
from core.twiml import absolute_url, empty, leave, say, twiml_response

log = logging.getLogger(__name__)

WEBHOOK_PREFIX = "/ivr/"
CallerWording = Callable[..., str]
FALLBACK_PREFIX = "/ivr/fallback/"
MAX_MESSAGE_S = 120

#: The one line that is not the library's: what a call says when the library itself cannot be
#: read (its files missing or broken), so even then the caller hears an apology in their
#: language. Every other line — the outage's too — is a library prompt (``ivr.prompts.text``).
LAST_RESORT: dict[str, str] = {
    "zh-CN": "非常抱歉,系统暂时无法为您接通。",
    "en": "We are sorry, we cannot connect your call right now.",
}

#: ``app.extensions`` key of the caller's path's ``text(settings, prompt_id, locale, **context)``
#: (the library's wording), registered by the part that speaks to callers.
WORDING = "caller_wording"


def set_caller_wording(app: Flask, text: CallerWording) -> None:
    """The caller's path owns every text a caller hears: it registers ``text(settings,
    prompt_id, locale, **context)`` here (``ivr.init_app``), so the fallback speaks the same words."""
    app.extensions[WORDING] = text


def _prompt(settings: Any, locale: str, *prompt_ids: str, **context: Any) -> str:
    wording = current_app.extensions.get(WORDING) if has_app_context() else None
    if wording is None:
        return LAST_RESORT.get(locale, LAST_RESORT["en"])
    lines = [wording(settings, prompt_id, locale, **context) for prompt_id in prompt_ids]
    return "".join(lines) if locale == "zh-CN" else " ".join(lines)


# -- TwiML (pure functions) -----------------------------------------------------------------

def apology_and_record(settings: Any, locale: str) -> VoiceResponse:
    response = VoiceResponse()
    say(response, _prompt(settings, locale, "error", "leave_message"), settings, locale)
    response.record(action=absolute_url(settings, f"{FALLBACK_PREFIX}recording"), method="POST",
                    max_length=MAX_MESSAGE_S, timeout=5, play_beep=True)
    say(response, _prompt(settings, locale, "closing"), settings, locale)
    response.hangup()
    return response


def thanks_and_hangup(settings: Any, locale: str, key: str = "saved") -> VoiceResponse:
    response = VoiceResponse()
    ids = {"agent": ("outage_agent",), "saved": ("message_saved", "closing")}.get(key, ("closing",))
    text = _prompt(settings, locale, *ids)
    say(response, text, settings, locale)
    response.hangup()
    return response


def hold_in_line(settings: Any, locale: str, position: int) -> VoiceResponse:
    """waitUrl during an outage: reassure (H3) and pause; key 1 leaves to leave a message."""
    response = VoiceResponse()
    gather = Gather(input="dtmf", num_digits=1, timeout=3, action=absolute_url(settings, f"{FALLBACK_PREFIX}leave"),
                    method="POST")
    say(gather, _prompt(settings, locale, "outage_hold", position=position), settings, locale)
    response.append(gather)
    # speaking ≈ 8-10 s + 3 s listening; the rest of the interval is a pause
    response.pause(length=max(1, int(settings.queue.reassure_every_s) - 15))
    return response


# -- the outage flag ------------------------------------------------------------------------

def _on_db_error(context: Any) -> None:
    exc = context.sqlalchemy_exception
    if context.is_disconnect or isinstance(exc, OperationalError | InterfaceError):
        if has_request_context():
            g.ops_db_failed = True


def connection_lost(exc: BaseException) -> bool:
    """The database connection under this error was lost (killed, reset, closed): the
    transaction did not happen and can be run again on a new connection."""
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def forget_failure() -> None:
    """The failed transaction is being run again: its error no longer decides the answer."""
    g.ops_db_failed = False


def answer_stands() -> None:
    """This request's commit stored what its answer tells the caller: a database error after
    it (work that follows the commit) must not replace the answer with the fallback."""
    g.ops_answer_stands = True


def spool_webhook(kind: str, form: dict[str, str]) -> None:
    spool = get_spool(current_app._get_current_object())  # type: ignore[attr-defined]
    if spool is None:
        return
    try:
        spool.append(kind, path=request.path, form=form, locale=caller_locale(form))
    except OSError:
        log.exception("spool: could not write a %s record", kind)
        return
    current_app.extensions["ops_replayer"].ensure_running()


def fallback_response():
    """The database-free answer for this ``/ivr/`` request (spooling what must be kept)."""
    settings = current_app.config["HOTLINE"]
    path = request.path
    form = webhook_form()
    locale = caller_locale(form)
    rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
    DB_FALLBACKS.labels(route=rule).inc()
    if path.startswith(FALLBACK_PREFIX):
        return None
    if form.get("RecordingStatus"):  # a call recording's status callback, not a message left
        spool_webhook("call_recording", form)
        return twiml_response(empty())
    if form.get("RecordingUrl"):
        spool_webhook("recording", form)
        return twiml_response(thanks_and_hangup(settings, locale))
    if path == "/ivr/queue/wait":
        raw = (form.get("QueuePosition") or "1")[:6]
        position = int(raw) if raw.isdigit() and int(raw) > 0 else 1
        return twiml_response(hold_in_line(settings, locale, position))
    if path.endswith("/status") or (form.get("CallStatus") in {"completed", "busy", "failed", "no-answer",
                                                                 "canceled"}):
        spool_webhook("status", form)
        return twiml_response(empty())
    if path.startswith("/ivr/agent/"):
        return twiml_response(thanks_and_hangup(settings, locale, "agent"))
    spool_webhook("call", form)
    return twiml_response(apology_and_record(settings, locale))


def _after(response: Any) -> Any:
    if not g.get("ops_db_failed") or g.get("ops_answer_stands") or not request.path.startswith(WEBHOOK_PREFIX) \
            or response.status_code == 403:
        return response
    current_app.logger.warning("ivr: database unavailable; answered %s with the fallback", request.path)
    replaced = fallback_response()
    return replaced if replaced is not None else response


def _internal_error(exc: Any):
    if request.path.startswith("/api/"):
        return jsonify(error="internal error"), 500
    if not request.path.startswith(WEBHOOK_PREFIX):
        return exc
    original = getattr(exc, "original_exception", None)
    current_app.logger.error("ivr: %s failed: %r", request.path, original)
    g.ops_db_failed = False  # answered here; _after must not answer twice
    replaced = fallback_response()
    if replaced is None:  # a fallback route itself failed (disk full?): still safe TwiML
        replaced = twiml_response(thanks_and_hangup(current_app.config["HOTLINE"], caller_locale(), "closing"))
    return replaced


# -- fallback routes (no database) -----------------------------------------------------------

def fallback_recording():
    """The fallback ``<Record>`` action: spool the message (never the database), thank the caller."""
    spool_webhook("recording", webhook_form())
    return twiml_response(thanks_and_hangup(current_app.config["HOTLINE"], caller_locale()))


def fallback_leave():
    """Key 1 during an outage's wait: leave the line; Enqueue's action then offers a message."""
    if (request.form.get("Digits") or "")[:1] == "1":
        return twiml_response(leave())
    return twiml_response(empty())


# -- time boxes ------------------------------------------------------------------------------

def _install_time_boxes(app: Flask) -> None:
    settings = app.config["HOTLINE"]
    engine = app.extensions["db_engine"]
    budget_ms = int(settings.ops.webhook_db_budget_s * 1000)
    sqlite = engine.dialect.name == "sqlite"
    event.listen(engine, "handle_error", _on_db_error)
    if sqlite:
        _sqlite_time_box(engine, budget_ms)
    else:
        _postgresql_time_box(engine, budget_ms, settings.ops.db_connect_timeout_s)


def _time_boxed() -> bool:
    """A webhook, or its follow-up work (no switching back and forth)."""
    return (has_request_context() and request.path.startswith(WEBHOOK_PREFIX)) or in_deferred_work()


def _sqlite_time_box(engine: Any, budget_ms: int) -> None:
    """``busy_timeout`` (a connection setting, no transaction) set on checkout when it changes."""
    @event.listens_for(engine, "checkout")
    def _budget(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        wanted = budget_ms if _time_boxed() else 15000  # core.db's busy_timeout
        if record.info.get("ops_budget_ms") == wanted:
            return
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(wanted)}")
        finally:
            cursor.close()
        record.info["ops_budget_ms"] = wanted


def _postgresql_time_box(engine: Any, budget_ms: int, connect_timeout_s: float) -> None:
    """Every connection opens with the webhook budget as its ``statement_timeout`` and
    ``lock_timeout``; any other transaction lifts both for itself alone (``SET LOCAL``, sent as
    its first statement, inside it). A webhook thus runs exactly its own one transaction: no
    ``SET`` committed on the side when a pooled connection passes between a webhook and a job."""
    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _rec: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        cparams.setdefault("connect_timeout", connect_timeout_s)
        budget = f"-c statement_timeout={budget_ms} -c lock_timeout={budget_ms}"
        cparams["options"] = f"{cparams['options']} {budget}" if cparams.get("options") else budget

    engine.dispose()  # connections opened before (migrations) are opened again with the budget

    @event.listens_for(engine, "begin")
    def _unbounded(connection: Any) -> None:
        if _time_boxed():
            return
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute("SELECT set_config('statement_timeout', '0', true), set_config('lock_timeout', '0', true)")
        finally:
            cursor.close()


def _rest_timeout(app: Flask) -> None:
    gateway = app.extensions.get("gateway")
    http_client = getattr(getattr(gateway, "client", None), "http_client", None)
    if http_client is not None and hasattr(http_client, "timeout") and http_client.timeout is None:
        http_client.timeout = app.config["HOTLINE"].ops.rest_timeout_s


def init_app(app: Flask) -> None:
    app.extensions["ops_locales"] = LocaleMemory(LOCALE_MEMORY)
    _install_time_boxes(app)
    _rest_timeout(app)
    app.after_request(_after)
    app.register_error_handler(500, _internal_error)
    app.add_url_rule(f"{FALLBACK_PREFIX}recording", "ops_fallback_recording", fallback_recording, methods=["POST"])
    app.add_url_rule(f"{FALLBACK_PREFIX}leave", "ops_fallback_leave", fallback_leave, methods=["POST"])
