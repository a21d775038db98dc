"""Twilio-facing webhooks. Every route here is signature-checked (core.signatures)."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from core.db import session
from core.events import call_status_changed
from core.twiml import twiml_response
from ivr import calls, twiml

bp = Blueprint("ivr", __name__, url_prefix="/ivr")


@bp.post("/voice")
def voice():
    """The number's voice URL: greet (H1) and offer the menu."""
    settings = current_app.config["HOTLINE"]
    s = session()
    call = calls.record_call(s, request.form, settings)
    locale = call.locale or settings.company.default_locale
    calls.add_event(s, call, "greeted", locale=locale)
    s.commit()
    return twiml_response(twiml.greeting(settings, locale))


@bp.post("/status")
def status():
    """The number's status callback: keep the call row's status and duration."""
    s = session()
    call = calls.apply_status_callback(s, request.form)
    s.commit()
    if call is not None:
        call_status_changed.send(current_app._get_current_object(), call_sid=call.call_sid,
                                 status=call.status)
    return twiml_response("<Response/>")
