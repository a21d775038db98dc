"""The console's Twilio webhooks (under ``/ivr/``, so the app's guard has already checked the
signature): real-time transcription events, the transfer target's leg and a lead's supervision leg. Bad or missing fields
are answered 200 ``<Response/>`` with nothing stored (Twilio retries errors) — never a 500.
"""

from __future__ import annotations

import logging
from functools import partial

from flask import Blueprint, current_app, request
from sqlalchemy.exc import IntegrityError

from agent_console import lookups, supervise, transcripts, transfer, transfer_legs
from core.db import session
from core.ops import defer
from core.twiml import empty, twiml_response
from core.webhooks import arg_int, arg_text, form_text, safe_webhook

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


@bp.post("/transfer/status")
@quiet
def transfer_status():
    """Status callbacks of a transfer target's leg: the target's desk rings, shows the call,
    consults or takes over; not answered → H11's fallback (``transfer_legs``)."""
    app = current_app._get_current_object()
    s = session()
    status = (request.form.get("CallStatus") or "").strip()
    target_id, number = _int_arg("target"), _int_arg("n")
    if target_id is None or number is None or status not in FINAL | lookups.RINGING | {"in-progress", "answered"}:
        return _empty()
    plan = transfer_legs.leg_status(s, app.config["HOTLINE"], caller_sid=arg_text("call", 64), number=number,
                                    target_id=target_id, sid=form_text("CallSid", 64), status=status,
                                    to=form_text("To", 80) or None, duration=form_text("CallDuration", 10))
    s.commit()
    if plan is not None:
        defer(app, partial(transfer_legs.apply, plan=plan))
    return _empty()


@bp.post("/transfer/unavailable")
def transfer_unavailable():
    """A cold transfer to the lead was not answered: a manager will call back (H11), goodbye."""
    settings = current_app.config["HOTLINE"]
    call = lookups.call_by_sid(session(), form_text("CallSid", 64))
    locale = (call.locale if call else None) or settings.company.default_locale
    return twiml_response(transfer.fallback_twiml(settings, locale))
