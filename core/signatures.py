"""Every ``/ivr/`` request must carry a valid ``X-Twilio-Signature``.

The signature is checked with ``twilio.request_validator.RequestValidator`` over the URL
Twilio requested — ``HOTLINE_PUBLIC_URL`` plus the path and query string — and the POST
form. Anything else gets 403 before a view runs, so nothing is written.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Flask, current_app, jsonify, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from twilio.request_validator import RequestValidator

PROTECTED_PREFIX = "/ivr/"


def public_request_url() -> str:
    """The URL as Twilio saw it: public base URL + path (+ query string when present)."""
    base = current_app.config["HOTLINE"].public_url
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def signature_is_valid() -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    validator = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"])
    params = request.form if request.method == "POST" else {}
    url = public_request_url()
    # The URL exactly as configured first (one HMAC); ``validate`` tries it with and without
    # the port, as Twilio's own check does, when that does not match.
    if hmac.compare_digest(validator.compute_signature(url, params).encode(), signature.encode()):
        return True
    return validator.validate(url, params, signature)


def _guard_ivr():
    if not request.path.startswith(PROTECTED_PREFIX):
        return None
    if signature_is_valid():
        return None
    current_app.logger.warning("rejected %s %s: invalid Twilio signature", request.method, request.path)
    return jsonify(error="invalid or missing X-Twilio-Signature"), 403


class WebhookSessions(SecureCookieSessionInterface):
    """Flask's cookie sessions, except for ``/ivr/`` requests: Twilio sends no cookie and keeps
    none, so a webhook gets Flask's null session — no signing serializer built for it, no
    cookie read or written (measured: about 5 % of a wait URL's CPU)."""

    def open_session(self, app: Flask, request: Any) -> SessionMixin | None:
        if request.path.startswith(PROTECTED_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    # Runs before every view (and before 404/405 handling of /ivr/ paths).
    app.before_request(_guard_ivr)
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = WebhookSessions()
