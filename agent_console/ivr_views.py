"""The console's Twilio webhooks (under ``/ivr/``, so the app's guard has already checked the
signature): real-time transcription events, the manager transfer and a lead's supervision leg. Bad or missing fields
are answered 200 ``<Response/>`` with nothing stored (Twilio retries errors) — never a 500.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, request
from sqlalchemy.exc import IntegrityError

from agent_console import lookups, supervise, transcripts, transfer
from core.db import session, utcnow
from core.events import publish, status_event
from core.models import Call, CallEvent, Presence, User
from core.presence import announce, set_presence
from core.twiml import absolute_url, empty, hangup, twiml_response
from core.webhooks import arg_int, form_text, safe_webhook

bp = Blueprint("console_ivr", __name__, url_prefix="/ivr")
log = logging.getLogger(__name__)
FINAL = lookups.FINAL


def _empty():
    return twiml_response(empty())


#: Events (transcripts, the lead's leg's status) that fail are answered ``<Response/>``, never a 500.
quiet = safe_webhook(_empty)


def _int_arg(name: str) -> int | None:
    """An id from our own URL (``lead``, ``agent``), None when missing or odd."""
    return arg_int(name) or None


@bp.post("/transcription")
@quiet
def transcription():
    """``<Start><Transcription statusCallbackUrl=…>`` events (Twilio's documentation)."""
    app = current_app._get_current_object()
    s = session()
    try:
        heard = transcripts.record(s, app.config["HOTLINE"], request.form)
        if heard is None:
            return _empty()
        transcripts.publish_heard(s, heard)  # announced with this commit
        s.commit()
    except transcripts.BadEvent as exc:
        log.info("transcription event ignored: bad %s", exc)
        s.rollback()
        return _empty()
    except IntegrityError:  # the same event twice at once (a retry): stored once
        s.rollback()
        return _empty()
    return _empty()


@bp.post("/supervise/status")
@quiet
def supervise_status():
    """Status callback of a lead's supervision leg: a phone that never answered is shown."""
    s = session()
    if supervise.leg_status(s, (request.args.get("call") or "")[:64], form_text("CallSid", 64),
                            form_text("CallStatus", 20)):
        s.commit()
    return _empty()


def _caller_call():
    return lookups.call_by_sid(session(), form_text("CallSid", 64))


@bp.post("/transfer/manager")
def transfer_manager():
    """Runs on the caller's call after the redirect: hold message, then ring the lead."""
    settings = current_app.config["HOTLINE"]
    s = session()
    call, lead_id, agent_id = _caller_call(), _int_arg("lead"), _int_arg("agent")
    lead = s.get(User, lead_id) if lead_id else None
    locale = (call.locale if call else None) or settings.company.default_locale
    if call is None or lead is None or not lead.endpoint:
        return twiml_response(transfer.fallback_twiml(settings, locale))
    s.add(CallEvent(call=call, kind="transfer_ringing", detail={"lead": lead.name}))
    s.commit()
    return twiml_response(transfer.transfer_twiml(
        settings, locale, lead.endpoint,
        action=absolute_url(settings, "/ivr/transfer/manager/done", lead=lead.id, agent=agent_id),
        status=absolute_url(settings, "/ivr/transfer/manager/status", lead=lead.id, parent=call.call_sid),
        transcription=absolute_url(settings, "/ivr/transcription"),
        timeout_s=settings.routing.agent_answer_timeout_s))


@bp.post("/transfer/manager/status")
@quiet
def transfer_status():
    """Status callbacks of the lead's leg: the lead's desk rings, shows the call, ends it."""
    s = session()
    sid = form_text("CallSid", 64)
    status = (request.form.get("CallStatus") or "").strip()
    lead_id = _int_arg("lead")
    parent = (request.form.get("ParentCallSid") or request.args.get("parent") or "").strip()[:64]
    if not sid or lead_id is None or s.get(User, lead_id) is None or status not in FINAL | lookups.RINGING | {
            "in-progress", "answered"}:
        return _empty()
    leg = lookups.call_by_sid(s, sid)
    previous = leg.status if leg is not None else None
    if leg is None:
        leg = Call(call_sid=sid, parent_call_sid=parent or None, direction="outbound-dial", purpose="transfer",
                   to_number=(request.form.get("To") or "")[:80] or None, agent_id=lead_id, status="ringing",
                   started_at=utcnow())
        s.add(leg)
    status = "in-progress" if status == "answered" else status
    if previous != status and (changed := status_event(sid, status, lead_id)) is not None:
        publish(s, changed)
    leg.status = status
    now = utcnow()
    if status == "in-progress" and leg.answered_at is None:
        leg.answered_at = now
    if status in FINAL:
        leg.ended_at = leg.ended_at or now
        duration = request.form.get("CallDuration", "")
        leg.duration_s = float(duration) if duration.isdigit() else (now - leg.started_at).total_seconds()
    s.commit()
    return _empty()


@bp.post("/transfer/manager/done")
def transfer_done():
    """The lead's ``<Dial>`` ended: talked → the lead wraps up; not answered → call-back case."""
    app = current_app._get_current_object()
    settings = app.config["HOTLINE"]
    s = session()
    call, lead_id, agent_id = _caller_call(), _int_arg("lead"), _int_arg("agent")
    dial_status = form_text("DialCallStatus", 20)
    lead = s.get(User, lead_id) if lead_id else None
    locale = (call.locale if call else None) or settings.company.default_locale
    answered = dial_status in ("completed", "answered")
    new_state = None
    if lead is not None and lead.presence == Presence.BUSY:
        new_state = Presence.WRAP_UP if answered else Presence.AWAY  # like an agent who missed a call
        set_presence(s, lead, new_state)
    if call is None:
        s.commit()
        if new_state and lead is not None:
            announce(app, lead.id, new_state)
        return _empty()
    s.add(CallEvent(call=call, kind="manager_transfer_done", detail={"status": dial_status}))
    if not answered:
        transfer.manager_callback(s, settings, call, agent_id, f"lead did not answer ({dial_status or 'unknown'})")
    s.commit()
    if new_state and lead is not None:
        announce(app, lead.id, new_state)
    if answered:
        return twiml_response(hangup())
    return twiml_response(transfer.fallback_twiml(settings, locale))
