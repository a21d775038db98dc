"""Outbound campaign calls: Twilio-facing webhooks under ``/ivr/outbound/`` (signature-checked by
the app's global ``/ivr/`` guard); what the call says is built by ``outbound_script``.

- ``POST /ivr/outbound/answer?attempt=ID`` — the call's Url. With answering-machine detection
  (``MachineDetection=DetectMessageEnd``) Twilio asks it after detection: ``AnsweredBy`` =
  ``machine_end_*`` → the voicemail message is left after the beep, then hang up; a person →
  the script in the H20 order (automated mode) or the main queue with a case preview
  (agent-assisted mode).
- ``POST /ivr/outbound/input?attempt=ID&step=N`` — a Gather's answer (keypad or speech).
- ``POST /ivr/outbound/noinput?attempt=ID&step=N&tries=K`` — after a Gather heard nothing.
- ``POST /ivr/outbound/status?attempt=ID`` — status callbacks (``CallStatus``, ``CallDuration``,
  ``AnsweredBy``): the attempt and its contact are settled here (retries, cap, completion).

Bad or unknown input never gives a 500: unknown attempts get a polite ``<Hangup/>``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app
from sqlalchemy import and_, func, or_, select
from twilio.twiml.voice_response import VoiceResponse

from core.config import Settings
from core.db import session, utcnow
from core.models import Call, Presence, QueueEntry, QueueStatus, User
from core.twiml import absolute_url, empty, hangup, twiml_response
from core.webhooks import arg_int, form_text, safe_webhook
from ivr import queue as ivr_queue
from scheduler import engine, followup
from scheduler.dnc import add_dnc
from scheduler.models import Attempt, DialMode, Mode
from scheduler.outbound_script import Run, enqueue_twiml, hangup_twiml, voicemail_twiml
from scheduler.script import Step
from scheduler.script_answers import interpret

log = logging.getLogger(__name__)

bp = Blueprint("scheduler_outbound", __name__, url_prefix="/ivr/outbound")

OPT_OUT_DIGIT = "9"  # "press 9 to stop these calls"
MAX_TRIES = 2  # a question is asked at most twice (then the call goes on / ends politely)
MACHINE = ("machine_end_beep", "machine_end_silence", "machine_end_other", "machine_start")


def _attempt_id() -> int:
    return arg_int("attempt")


def _int_arg(key: str, default: int = 0) -> int:
    return arg_int(key, default, hi=99_999)


def _hang_up() -> Any:
    return twiml_response(hangup())


#: Never a 500 to Twilio: roll back and hang up politely (``core.webhooks.safe_webhook``).
safe = safe_webhook(_hang_up)


def _run() -> Run | None:
    attempt = session().get(Attempt, _attempt_id()) if _attempt_id() else None
    if attempt is None:
        return None
    sid = form_text("CallSid", 64)
    if sid and attempt.call_sid is None:
        # The webhook can come before the REST answer was stored: adopt the CallSid.
        clash = session().scalar(select(Attempt.id).where(Attempt.call_sid == sid))
        if clash is None:
            attempt.call_sid = sid
    elif sid and attempt.call_sid != sid:
        return None  # not this attempt's call
    return Run(current_app.config["HOTLINE"], attempt)


def _call_row(run: Run) -> Call:
    """The shared Call row for this leg (purpose ``campaign``), with the preview in ``extra``."""
    s = run.s
    sid = run.attempt.call_sid or form_text("CallSid", 64)
    call = s.scalar(select(Call).where(Call.call_sid == sid))
    if call is None:
        contact = run.contact
        call = Call(call_sid=sid, direction="outbound-api", purpose="campaign",
                    from_number=form_text("From", 80) or None, to_number=contact.phone, status="in-progress",
                    locale=run.locale, started_at=utcnow(), answered_by=run.attempt.answered_by,
                    extra={"campaign_id": run.campaign.id, "campaign": run.campaign.name,
                           "contact_id": contact.id, "attempt_id": run.attempt.id, "case_ref": contact.case_ref,
                           "preview": {"name": contact.name, "note": contact.note, "case_ref": contact.case_ref,
                                       "purpose": run.campaign.purpose, "context": contact.context}})
        s.add(call)
        s.flush()
    return call


@bp.post("/answer")
@safe
def answer():
    run = _run()
    if run is None:
        return _hang_up()
    attempt = run.attempt
    now = utcnow()
    answered_by = form_text("AnsweredBy", 30)
    if answered_by:
        attempt.answered_by = answered_by
    attempt.answered_at = attempt.answered_at or now
    _call_row(run)
    if answered_by in MACHINE and run.campaign.machine_retry:
        run.finish("machine")  # retried later instead of a voicemail (the campaign's choice)
        response = VoiceResponse()
        response.hangup()
    elif answered_by in MACHINE:
        run.finish("voicemail")
        message = run.text("voicemail", run.campaign.voicemail_text)
        response = voicemail_twiml(run.settings, run.locale, message)
    elif answered_by == "fax":
        run.finish("fax")
        response = hangup()
    elif run.campaign.mode == Mode.AGENT_ASSISTED:
        response = _to_agent(run)
    else:
        response = run.render_from(0)
    run.s.commit()
    if run.campaign.mode == Mode.AGENT_ASSISTED and attempt.result == "connected":
        engine._routing_dispatch(current_app._get_current_object())
    return twiml_response(response)


def _to_agent(run: Run) -> VoiceResponse:
    """Agent-assisted: the contact joins the main line with a case preview; routing connects the
    next available agent (ivr.routing), who sees the preview on the call card — in preview mode
    the agent who clicked Dial."""
    settings = run.settings
    call = _call_row(run)
    if run.campaign.dial_mode == DialMode.PREDICTIVE and _free_agents(run.s, settings) <= _waiting(run.s):
        # Dialed ahead and nobody is free: the abandon message at once, never silence; retried later.
        run.finish("abandoned")
        return hangup_twiml(settings, run.locale, [run.text("outbound_abandon")])
    # Just below emergencies (H5): we called them, they should not wait behind the whole line.
    preview_agent = run.attempt.agent_id if run.campaign.dial_mode == DialMode.PREVIEW else None
    ivr_queue.join(run.s, settings, call, skill=None, priority=max(1, settings.routing.emergency_priority - 1),
                   now=utcnow(), for_agent=preview_agent)  # preview: the agent who clicked Dial takes it
    run.finish("connected")
    return enqueue_twiml(settings, run.locale, [run.text("agent_connect")],
                         wait_url=absolute_url(settings, "/ivr/queue/wait"),
                         action=absolute_url(settings, "/ivr/queue/done"))


def _free_agents(s: Any, settings: Settings) -> int:
    """Agents routing can give this caller now: available, or with their wrap-up over (routing
    ends it on its next pass, as ``ivr.routing.anyone_free`` counts them)."""
    wrap_up_over = utcnow() - timedelta(seconds=settings.routing.wrap_up_s)
    return s.scalar(select(func.count()).select_from(User).where(
        User.active.is_(True), User.endpoint.is_not(None),
        or_(User.presence == Presence.AVAILABLE,
            and_(User.presence == Presence.WRAP_UP, User.presence_since <= wrap_up_over)))) or 0


def _waiting(s: Any) -> int:
    """Callers in line not yet offered to an agent (an offered one has its agent reserved)."""
    return s.scalar(select(func.count()).select_from(QueueEntry).where(QueueEntry.status == QueueStatus.WAITING)) or 0


@bp.post("/input")
@safe
def gather_input():
    run = _run()
    if run is None:
        return _hang_up()
    index = _int_arg("step")
    if index >= len(run.steps):
        return twiml_response(run.render_from(len(run.steps)))
    step = run.steps[index]
    if run.campaign.optout_key and form_text("Digits", 10) == OPT_OUT_DIGIT:
        response = _opt_out(run)
        run.s.commit()
        return twiml_response(response)
    answer = interpret(step.kind, form_text("Digits", 10), form_text("SpeechResult"), run.locale)
    if answer is None:
        response = _no_answer(run, index, _int_arg("tries"))
    else:
        response = _answered(run, index, step, answer, speech=form_text("SpeechResult"))
    run.s.commit()
    return twiml_response(response)


@bp.post("/noinput")
@safe
def no_input():
    run = _run()
    if run is None:
        return _hang_up()
    response = _no_answer(run, _int_arg("step"), _int_arg("tries"))
    run.s.commit()
    return twiml_response(response)


def _opt_out(run: Run) -> VoiceResponse:
    """The contact pressed the opt-out key: on the do-not-call list at once (every campaign)."""
    add_dnc(run.s, run.settings, run.contact.phone, f"pressed {OPT_OUT_DIGIT} on a campaign call "
            f"(campaign {run.campaign.id}, attempt {run.attempt.id})", source="opt_out_key")
    run.record("opted_out", True)
    run.attempt.result = "opted_out"
    return hangup_twiml(run.settings, run.locale, [run.text("outbound_optout_done")])


def _no_answer(run: Run, index: int, tries: int) -> VoiceResponse:
    if index >= len(run.steps):
        return run.render_from(len(run.steps))
    if tries + 1 < MAX_TRIES:
        return run.render_from(index, [run.text("no_input")], tries=tries + 1)
    step = run.steps[index]
    if step.kind in ("verify", "convenient"):
        # Nobody answers the opening questions: try again later (counts as an attempt).
        run.attempt.result = "no_response"
        return hangup_twiml(run.settings, run.locale, [run.text("outbound_retry_later")])
    run.record(step.id, None)  # unanswered question: go on with the script
    return run.render_from(index + 1)


def _answered(run: Run, index: int, step: Step, answer: str, speech: str = "") -> VoiceResponse:
    kind = step.kind
    if kind == "verify":
        run.record("identity_verified", answer == "yes")
        if answer == "no":
            run.attempt.result = "wrong_person"
            return hangup_twiml(run.settings, run.locale, [run.text("wrong_person")])
        return run.render_from(index + 1)
    if kind == "convenient":
        if answer == "no":
            run.attempt.result = "reschedule"  # H20: try another time (with another agent)
            return hangup_twiml(run.settings, run.locale, [run.text("outbound_retry_later")])
        return run.render_from(index + 1)
    if kind == "confirm":
        run.record(step.id, answer == "yes")
        if answer == "no":
            # H20: a new need without an answer → a follow-up case under the original, to the lead.

            followup.open_followup_case(run.s, run.settings, run.contact, speech or "not clear after call-back")
            return run.render_from(index + 1, [run.text("outbound_followup")])
        return run.render_from(index + 1)
    if kind == "satisfied":
        run.record("satisfied", answer == "yes")
        return run.render_from(index + 1)
    # scale (H18/H19)
    run.record(step.id, answer)
    return run.render_from(index + 1)


@bp.post("/status")
@safe
def status():
    """Status callbacks: settle the attempt (and its contact) on a final status."""
    attempt = session().get(Attempt, _attempt_id()) if _attempt_id() else None
    response = twiml_response(empty())
    if attempt is None:
        return response
    s = session()
    sid = form_text("CallSid", 64)
    if sid and attempt.call_sid not in (None, sid):
        return response
    settings = current_app.config["HOTLINE"]
    call_status = form_text("CallStatus", 20)
    became_final = engine.apply_call_status(s, settings, attempt, call_status, call_sid=sid or None,
                                            answered_by=form_text("AnsweredBy", 30) or None,
                                            duration=form_text("CallDuration", 10) or None)
    call = s.scalar(select(Call).where(Call.call_sid == (attempt.call_sid or sid))) if sid else None
    if call is not None and call_status:
        call.status = call_status
        if became_final:
            call.ended_at = call.ended_at or utcnow()
            call.duration_s = attempt.duration_s
    s.commit()
    if became_final:
        engine._publish(current_app._get_current_object(), "campaign", {"id": attempt.campaign_id})
    return response
