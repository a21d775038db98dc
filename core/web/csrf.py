"""CSRF protection (Flask-WTF) for every state-changing request outside the exempt prefixes.

``/api/`` is authenticated by bearer tokens, ``/ivr/`` by Twilio's signature and
``/simulator/`` is the fake Twilio (its own REST auth) — except its control API
(``/simulator/control/``), which a lead's console session may call and so needs the token
unless the request carries a bearer token; everything else — the console and any
page a part builds on it — needs the token (form field ``csrf_token`` or header ``X-CSRFToken``).
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from core.access import bearer_token
from core.web.auth import wants_json

EXEMPT_PREFIXES = ("/api/", "/ivr/", "/simulator/")
SESSION_PREFIXES = ("/simulator/control/",)  # under an exempt prefix, yet reached with the session

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # we call protect() ourselves, by path
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid for the session: agents stay all day
    csrf.init_app(app)

    @app.before_request
    def _csrf_by_path():
        if not app.config.get("WTF_CSRF_ENABLED", True):
            return None
        if request.path.startswith(EXEMPT_PREFIXES) and not _session_request_to_control():
            return None
        csrf.protect(apply_exemptions=True)
        return None

    def _session_request_to_control() -> bool:
        # Signed out: no CSRF question, the control API's own guard answers 401.
        return (request.path.startswith(SESSION_PREFIXES) and bearer_token() is None
                and bool(current_user and current_user.is_authenticated))

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        if wants_json() or request.path.startswith(("/api/", *SESSION_PREFIXES)):
            return jsonify(error=f"csrf_token: {exc.description}"), 400
        return render_template("console/error.html", status=400, message=exc.description), 400
