"""Hotline: the application factory and the entry point.

``python app.py`` serves the console and webhooks (simulator mode without Twilio
credentials); ``flask --app app ...`` runs the command line; gunicorn serves
``'app:create_app(start_background=True)'``.
"""

from __future__ import annotations

import secrets
import socket
import sys
from typing import Any

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.serving import make_server

import agent_console
import ivr
import reports
import scheduler
import scripts_library.api
from core import api, db, limits, ops, signatures, users, web
from core.clock import utcnow
from core.config import ConfigError, Settings, load_settings
from core.paths import data_dir, database_url
from core.secrets import stored_secret
from core.telephony import setup as telephony
from ivr.hours import hours_status

PARTS = (ivr, scripts_library.api, agent_console, scheduler, reports)


def create_app(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None,
               start_background: bool = False) -> Flask:
    """Build the app. Raises ConfigError (naming the setting) on bad configuration."""
    settings = load_settings(environ, overrides)
    app = api.new_app(__name__)
    app.config["HOTLINE"] = settings
    app.extensions["app_factory"] = create_app  # copies of this app (flask simulate call's sandbox)
    app.config["MAX_CONTENT_LENGTH"] = settings.server.max_body_bytes
    _open_database(app, settings)
    app.secret_key = settings.server.secret_key or stored_secret(app, "session_key",
                                                                  lambda: secrets.token_hex(32))
    telephony.init_app(app, settings)
    signatures.init_app(app)
    api.init_app(app)
    limits.init_app(app)  # body size (413) and JSON depth (400) before any view reads the body
    users.init_app(app)
    ops.init_app(app)  # logs, /metrics, /healthz, security headers, fault spool, webhook time boxes
    web.init_app(app)  # the console's shell: CSRF, sign-in, nav registry, base template
    for part in PARTS:
        part.init_app(app)
    if start_background:
        start_background_services(app)
    return app


def _open_database(app: Flask, settings: Settings) -> None:
    data_dir(settings).mkdir(parents=True, exist_ok=True)
    url = database_url(settings)
    try:
        db.init_app(app, url)
        db.migrate(db.engine_of(app))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise ConfigError(f"invalid setting database.url (HOTLINE_DATABASE_URL): cannot open "
                          f"{db.engine_of(app).url.render_as_string(hide_password=True)}: {reason}") from exc


def start_background_services(app: Flask) -> None:
    """The simulator's real-time clock and the scheduler (only in a serving process)."""
    sim = app.extensions.get("simulator")
    if sim is not None:
        sim.start_realtime()
    for part in PARTS:
        start = getattr(part, "start_background", None)
        if start is not None:
            start(app)


def listen(host: str, port: int) -> socket.socket:
    """Bind the serving socket before anything says the hotline is running."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def print_banner(app: Flask, settings: Settings) -> None:
    base = settings.public_url
    print(f"Hotline is running ({settings.telephony_mode} telephony).")
    print(f"  Agent console:      {base}/console/")
    print(f"  Voice webhook:      POST {base}/ivr/voice")
    print(f"  Status callback:    POST {base}/ivr/status")
    if settings.telephony_mode == "simulator":
        print(f"  Simulator (Twilio REST): {base}/simulator/2010-04-01/Accounts/{app.config['TWILIO_ACCOUNT_SID']}")
    print(hours_status(settings, utcnow(app)))
    sys.stdout.flush()


def main() -> int:
    try:
        settings = load_settings()
        sock = listen(settings.server.host, settings.server.port)
    except ConfigError as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"hotline: cannot listen on {settings.server.host}:{settings.server.port}: {exc.strerror or exc} "
              "(set HOTLINE_PORT / server.port, or stop the program using it)", file=sys.stderr)
        return 2
    try:
        app = create_app(start_background=True)
    except ConfigError as exc:
        sock.close()
        print(f"hotline: {exc}", file=sys.stderr)
        return 2
    server = make_server(settings.server.host, settings.server.port, app, threaded=True, fd=sock.fileno())
    print_banner(app, app.config["HOTLINE"])
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
