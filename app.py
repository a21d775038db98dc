"""Hotline: the application factory and the entry point (Contract 1).

``python app.py`` serves the console and webhooks (simulator mode without Twilio
credentials); ``flask --app app ...`` runs the command line; gunicorn serves
``'app:create_app(start_background=True)'``.
"""

from __future__ import annotations

import secrets
import sys
from typing import Any

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

import agent_console
import ivr
import reports
import scheduler
import scripts_library.api
from core import api, db, limits, ops, signatures, users
from core.config import ConfigError, Settings, load_settings
from core.paths import data_dir, database_url
from core.secrets import stored_secret
from core.telephony import setup as telephony
from core.telephony import simulate_cli

PARTS = (ivr, scripts_library.api, agent_console, scheduler, reports)


def create_app(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None,
               start_background: bool = False) -> Flask:
    """Build the app. Raises ConfigError (naming the setting) on bad configuration."""
    settings = load_settings(environ, overrides)
    app = Flask(__name__)
    app.config["HOTLINE"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.server.max_body_bytes
    _open_database(app, settings)
    app.secret_key = settings.server.secret_key or stored_secret(app, "session_key",
                                                                  lambda: secrets.token_hex(32))
    telephony.init_app(app, settings)
    signatures.init_app(app)
    api.init_app(app)
    limits.init_app(app)  # body size (413) and JSON depth (400) before any view reads the body
    users.init_app(app)
    simulate_cli.init_app(app)
    ops.init_app(app)  # logs, /metrics, /healthz, security headers, fault spool, webhook time boxes
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


def main() -> int:
    try:
        app = create_app(start_background=True)
    except ConfigError as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return 2
    settings: Settings = app.config["HOTLINE"]
    base = settings.public_url
    print(f"Hotline is running ({settings.telephony_mode} telephony).")
    print(f"  Agent console:      {base}/console/")
    print(f"  Voice webhook:      POST {base}/ivr/voice")
    print(f"  Status callback:    POST {base}/ivr/status")
    if settings.telephony_mode == "simulator":
        print(f"  Simulator (Twilio REST): {base}/simulator/2010-04-01/Accounts/{app.config['TWILIO_ACCOUNT_SID']}")
    sys.stdout.flush()
    app.run(host=settings.server.host, port=settings.server.port, threaded=True, use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
