"""Twilio-facing webhooks. Every route here is signature-checked (core.signatures).

Views stay thin: read and bound the request values, run one ``ivr.flow`` step, commit, run
what must follow the commit (dispatch, placing calls), return TwiML. Any internal error is
answered with a safe apology and voicemail TwiML — never a 500.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, current_app, g, request, send_file
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from core.db import engine_of, session, utcnow
from core.events import publish, write_last
from core.ops import defer
from core.ops.caller_context import remember_locale
from core.ops.fallback import answer_stands
from core.ops.metrics import record_call_status
from core.twiml import absolute_url, twiml_response
from core.webhooks import (
    CALL_STATUSES,
    arg_int,
    arg_text,
    form_choice,
    form_int,
    form_text,
    safe_webhook,
)
from ivr import (
    bridge,
    bridge_control,
    callback_flow,
    calls,
    flow,
    hotpath,
    hotstatus,
    prompts,
    queue,
    requeue,
    twiml,
)
from ivr.calls import FINAL_STATUSES

bp = Blueprint("ivr", __name__, url_prefix="/ivr")
media = Blueprint("ivr_media", __name__, url_prefix="/media")


def _step(purpose: str = "caller", known_only: bool = False, with_entry: bool = False) -> flow.Step:
    """The webhook's call, read in one SELECT: created on first sight (``known_only=False``),
    with its latest queue entry when the step needs it (``with_entry``)."""
    settings = current_app.config["HOTLINE"]
    s: Session = session()
    call, entry, anyone_free = None, None, None
    now = utcnow()
    sid = form_text("CallSid", 64)
    if sid and with_entry:
        call, entry, values = calls.find_call_with_entry(s, sid, queue.anyone_free_columns,
                                                         queue.anyone_free_params(settings, now))
        anyone_free = bool(values[0]) if values is not None else None
    elif sid:
        call = calls.find_call(s, sid) if known_only else calls.record_call(s, request.form, settings, purpose)
    locale = prompts.locale_of(call.locale if call else None, settings)
    if call is not None and call.locale is None:
        call.locale = locale  # the language the caller hears, recorded from the first webhook
    g.ivr_locale = locale  # an apology or the outage fallback speaks it too
    return flow.Step(s=s, settings=settings, call=call, locale=locale, now=now, entry=entry,
                     entry_loaded=with_entry, anyone_free=anyone_free)


def _finish(step: flow.Step, response: VoiceResponse | None = None):
    """Commit, then answer. Once the commit stored what the TwiML tells the caller (their
    place in line, a message…), the answer stands (``_answer``)."""
    step.s.commit()
    locale = step.call.locale if step.call is not None and step.call.locale else step.locale
    return _answer(locale, step.after, response)


def _answer(locale: str, after: list[Callable[[Flask], None]], response: VoiceResponse | None):
    """The webhook's answer, once its transaction is committed. Work that follows the commit
    (dispatch, placing calls, ending legs: Twilio REST requests) runs after the response, in
    order, on the app's deferred-work pool (``core.ops.defer``); a failure there is logged and
    the periodic dispatch picks up what is left."""
    remember_locale(request.form, locale)
    answer_stands()
    if after:
        defer(current_app._get_current_object(), functools.partial(run_follow_up, actions=list(after)))  # type: ignore[attr-defined]
    return twiml_response(response if response is not None else twiml.empty())


def run_follow_up(app: Flask, actions: list[Callable[[Flask], None]]) -> None:
    """A webhook's follow-up work, one action after the other (one failing does not stop the rest)."""
    for action in actions:
        try:
            action(app)
        except Exception:  # noqa: BLE001 - the rest still runs
            app.logger.exception("ivr: follow-up work failed")


def replayed_call_end(s: Session, app: Flask, call: Any, status: str, when: Any) -> list[Callable[[Flask], None]]:
    """A final status stored from the fault spool gets what a live ``/ivr/status`` gets: the
    caller leaves the line, a long wait brings the recovery call-back and case, the agent's
    ringing leg is ended (returned as work for after the commit)."""
    settings = app.config["HOTLINE"]
    step = flow.Step(s=s, settings=settings, call=call, locale=prompts.locale_of(call.locale, settings), now=when)
    bridge.caller_status(step, status)
    step.after.append(lambda _app: record_call_status(status))
    return step.after


@bp.record_once
def _register_replay(state: Any) -> None:
    state.app.extensions["ops_spool_call_ended"] = replayed_call_end


def _apology() -> Any:
    """The caller's path failed: apologise and offer a message in their language."""
    settings = current_app.config["HOTLINE"]
    locale = prompts.locale_of(g.get("ivr_locale"), settings)
    return twiml_response(twiml.voicemail(
        settings, locale, [prompts.text(settings, "error", locale), prompts.text(settings, "leave_message", locale)],
        action=absolute_url(settings, "/ivr/voicemail", reason="error"), max_length=flow.MAX_MESSAGE_S))


#: On an internal error: roll back, apologise and offer a message (never a 500); a lost
#: database connection is run once more first (``core.webhooks.safe_webhook``).
safe = safe_webhook(_apology)


# -- the caller ---------------------------------------------------------------------------------

@bp.post("/voice")
@safe
def voice():
    """The number's voice URL: greet (H1) and offer the menu; after hours, a message (H4)."""
    step = _step()
    return _finish(step, flow.voice(step))


@bp.post("/menu")
@safe
def menu():
    step = _step()
    response = flow.menu_choice(step, form_text("Digits", 20), form_text("SpeechResult"), arg_int("tries"))
    return _finish(step, response)


@bp.post("/no-agents")
@safe
def no_agents():
    step = _step()
    return _finish(step, flow.no_agents_choice(step, form_text("Digits", 20), arg_text("option")))


@bp.post("/queue/wait")
@safe
def queue_wait():
    """waitUrl of the main line: one transaction on a plain connection, no ORM session
    (``ivr.hotpath``). Unknown CallSids get a sensible reassurance too."""
    settings = current_app.config["HOTLINE"]
    now = utcnow()
    hold = queue.hold_audio_path(settings)
    hold_s = queue.wav_seconds(hold) if hold else None
    with engine_of().begin() as conn:  # committed at the end of the block, rolled back on error
        read = hotpath.read_wait(conn, settings, form_text("CallSid", 64), now)
        g.ivr_locale = read.locale  # an apology or the outage fallback speaks it too
        response, after = hotpath.answer_wait(
            conn, settings, read, now, twilio_position=form_int("QueuePosition", 1, 1, 100_000),
            queue_time=form_int("QueueTime", 0, 0, 10**7),
            hold_url=absolute_url(settings, "/media/hold.wav") if hold_s else None, hold_s=hold_s)
    return _answer(read.locale, after, response)


@bp.post("/queue/option")
@safe
def queue_option():
    step = _step(known_only=True, with_entry=True)
    return _finish(step, flow.queue_option(step, form_text("Digits", 20), form_text("SpeechResult")))


@bp.post("/queue/done")
@safe
def queue_done():
    """Enqueue's action: QueueResult (bridged, hangup = abandoned, leave, queue-full, error)."""
    step = _step(known_only=True, with_entry=True)
    result = form_text("QueueResult", 40)
    queue_time = form_int("QueueTime", 0, 0, 10**7)
    offer_id = arg_int("offer")
    if offer_id:  # the caller's <Dial><Conference> action: it left the call's room
        return _finish(step, bridge.handoff_done(step, offer_id, result))
    return _finish(step, flow.queue_done(step, result, queue_time))


@bp.post("/queue/handoff")
@safe
def queue_handoff():
    """The caller, redirected out of the line when an agent answered: into the call's room."""
    step = _step(known_only=True)
    return _finish(step, bridge.handoff(step, arg_int("offer")))


# -- the agent's leg ----------------------------------------------------------------------------

@bp.post("/agent/answer")
@safe
def agent_answer():
    step = _step(purpose="agent_leg")
    return _finish(step, bridge.agent_answer(step, arg_int("offer")))


@bp.post("/agent/status")
@safe
def agent_status():
    step = _step(known_only=True)
    status = form_choice("CallStatus", CALL_STATUSES)
    if step.call is not None:
        calls.apply_status_callback(step.s, request.form, step.call)
    bridge.agent_status(step, arg_int("offer"), status)
    return _finish(step)


@bp.post("/agent/dial-done")
@safe
def agent_dial_done():
    step = _step(known_only=True)
    return _finish(step, bridge.dial_done(step, arg_int("offer"), form_text("DialCallStatus", 20)))


# -- the call's room (a conference) ------------------------------------------------------------

@bp.post("/conference/status")
@safe
def conference_status():
    """Conference events: the conference SID and each participant event on the caller's call."""
    settings = current_app.config["HOTLINE"]
    s: Session = session()
    sid = bridge.room_call_sid(form_text("FriendlyName", 100))
    call = calls.find_call(s, sid) if sid else None
    step = flow.Step(s=s, settings=settings, call=call, locale=prompts.locale_of(call.locale if call else None,
                                                                                 settings), now=utcnow())
    bridge.conference_event(step, conference_sid=form_text("ConferenceSid", 64),
                            event=form_text("StatusCallbackEvent", 40), label=form_text("ParticipantLabel", 40),
                            participant=form_text("CallSid", 64), muted=form_text("Muted", 5),
                            hold=form_text("Hold", 5), sequence=form_int("SequenceNumber", 0, 0, 10**9),
                            reason=form_text("ReasonConferenceEnded", 60), coaching=form_text("Coaching", 5))
    return _finish(step)


@bp.post("/conference/hold")
@safe
def conference_hold():
    """holdUrl of a caller on hold: the hold line and hold audio, looped by Twilio (H3)."""
    step = _step(known_only=True)
    settings = step.settings
    hold = queue.hold_audio_path(settings)
    hold_s = queue.wav_seconds(hold) if hold else None
    hold_url = absolute_url(settings, "/media/hold.wav") if hold_s else None
    return _finish(step, bridge_control.hold_twiml(settings, step.locale, hold_url, hold_s,
                                                   line=arg_text("line", 20) or "manager_hold"))


@bp.post("/transfer/queue")
@safe
def transfer_queue():
    """A caller transferred to a queue/skill (redirected out of the room): back in line at the front."""
    step = _step(known_only=True)
    return _finish(step, requeue.front_of_line(step, arg_text("skill", 30)))


@bp.post("/conference/digits")
@safe
def conference_digits():
    """announceUrl of the agent's keypad: ``<Play digits>`` to the caller's leg (``d`` = the keys)."""
    step = _step(known_only=True)
    return _finish(step, bridge_control.digits_twiml(arg_text("d", bridge_control.MAX_DIGITS)))


# -- call-backs ---------------------------------------------------------------------------------

@bp.post("/callback/confirm")
@safe
def callback_confirm():
    step = _step(known_only=True)
    return _finish(step, callback_flow.callback_confirm(step, arg_int("cb"), form_text("Digits", 20), bool(arg_int("silent"))))


@bp.post("/callback/number")
@safe
def callback_number():
    step = _step(known_only=True)
    return _finish(step, callback_flow.callback_number(step, arg_int("entry"), arg_int("cb"), form_text("Digits", 30),
                                              arg_int("tries")))


@bp.post("/callback/answer")
@safe
def callback_answer():
    step = _step(purpose="callback")
    return _finish(step, callback_flow.callback_answer(step, arg_int("offer"), form_text("AnsweredBy", 30)))


@bp.post("/callback/status")
@safe
def callback_status():
    step = _step(known_only=True)
    if step.call is not None:
        calls.apply_status_callback(step.s, request.form, step.call)
    callback_flow.callback_status(step, arg_int("offer"), form_choice("CallStatus", CALL_STATUSES))
    return _finish(step)


# -- messages -----------------------------------------------------------------------------------

@bp.post("/voicemail")
@safe
def voicemail():
    step = _step()
    url = form_text("RecordingUrl", 500)
    if not url.startswith(("https://", "http://")):
        url = ""
    reason = arg_text("reason") or "message"
    duration = form_int("RecordingDuration", 0, 0, 10**6)
    return _finish(step, flow.voicemail_done(step, reason, url, duration))


@bp.post("/voicemail/transcript")
@safe
def voicemail_transcript():
    step = _step(known_only=True)
    flow.voicemail_transcript(step, form_text("TranscriptionText", 10_000))
    return _finish(step)


# -- the number's status callback ---------------------------------------------------------------

@bp.post("/status")
@safe
def status():
    """The number's status callback: keep the call row's status and duration; a caller who hung
    up in line abandons it. The common paths without the ORM (``ivr.hotstatus``), on the
    session's connection: the others continue in the same transaction (``_status_orm``)."""
    settings = current_app.config["HOTLINE"]
    s: Session = session()
    now = utcnow()
    sid = form_text("CallSid", 64)
    read = hotstatus.read_status(s.connection(), settings, sid, request.form.get("CallStatus") or "", now) \
        if sid else None
    if read is None:  # an unknown call: nothing to keep
        s.commit()
        return _answer(prompts.locale_of(None, settings), [], None)
    if read.orm:
        return _status_orm()
    locale = prompts.locale_of(read.row.locale, settings)
    g.ivr_locale = locale  # an apology or the outage fallback speaks it too
    applied = hotstatus.apply_status(s.connection(), read, request.form, locale, now)
    if applied.last_write is not None:
        last = applied.last_write
        write_last(s, lambda _s: last)  # on PostgreSQL it carries the events' notification
    publish(s, *applied.events)
    s.commit()
    response = _answer(locale, applied.after, None)
    record_call_status(applied.status)
    return response


def _status_orm():
    """The status callback's rarer paths with the ORM: an agent's leg ending, an offer to
    cancel, a long wait's recovery call-back and case."""
    step = _step(known_only=True, with_entry=True)
    call = calls.apply_status_callback(step.s, request.form, step.call) if step.call is not None else None
    status_value = form_choice("CallStatus", CALL_STATUSES)
    if status_value in FINAL_STATUSES:
        bridge.caller_status(step, status_value)
    response = _finish(step)
    if call is not None:
        record_call_status(call.status)
    return response


# -- hold audio (served outside /ivr/: Twilio fetches <Play> media unsigned) --------------------

@media.get("/hold.wav")
def hold_audio():
    path = queue.hold_audio_path(current_app.config["HOTLINE"])
    if path is None:
        return {"error": "no hold audio configured"}, 404
    return send_file(path, mimetype="audio/wav", max_age=3600)
