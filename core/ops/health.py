"""``GET /healthz``: database ping, gateway mode, fault spool, and the checks parts add
(``add_health_check(app, name, check)``: the scheduler's leader lease).

200 while the database answers (``status`` "ok", or "degraded" when a part's check fails — the
scheduler's leader lease has lapsed — or the spool holds records not yet stored); 503 when the
database does not answer — a load balancer takes that web node out of rotation. Never calls Twilio.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, jsonify
from sqlalchemy import text

from core.db import session_scope
from core.ops.spool import get_spool
from core.ops.spool_drain import database_answered

HealthCheck = Callable[[Flask], dict[str, Any]]
CHECKS_KEY = "health_checks"


def add_health_check(app: Flask, name: str, check: HealthCheck) -> None:
    """A part's check for ``/healthz``: ``check(app)`` returns a dict with ``ok``; a failing
    check makes the status "degraded"."""
    app.extensions.setdefault(CHECKS_KEY, {})[name] = check


def _database(app: Flask) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with session_scope(app) as s:
            s.execute(text("SELECT version_num FROM alembic_version LIMIT 1"))  # schema, not just a file
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()
        return {"ok": False, "error": (reason[0] if reason else type(exc).__name__)[:200]}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            "dialect": app.extensions["db_engine"].dialect.name}


def _gateway(app: Flask) -> dict[str, Any]:
    settings = app.config["HOTLINE"]
    mode = settings.telephony_mode
    info: dict[str, Any] = {"ok": "gateway" in app.extensions, "mode": mode}
    if mode == "simulator":
        info["clock"] = settings.telephony.simulator_clock
    else:
        info["account_sid"] = (settings.telephony.account_sid or "")[:6] + "…"
    return info


def healthz():
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    spool = get_spool(app)
    checks = {"database": _database(app), "gateway": _gateway(app),
              "spool": {"ok": True, "pending": spool.pending_count() if spool else 0}}
    for name, check in app.extensions.get(CHECKS_KEY, {}).items():
        checks[name] = check(app)
    checks["spool"]["ok"] = checks["spool"]["pending"] == 0
    if checks["database"]["ok"] and not checks["spool"]["ok"]:
        database_answered(app)  # the outage is over: store what it left in the spool now
    if not checks["database"]["ok"]:
        status, code = "fail", 503
    elif all(c.get("ok") for c in checks.values()):
        status, code = "ok", 200
    else:
        status, code = "degraded", 200
    response = jsonify(status=status, checks=checks)
    response.headers["Cache-Control"] = "no-store"
    return response, code


def init_app(app: Flask) -> None:
    app.add_url_rule("/healthz", "ops_healthz", healthz, methods=["GET"])
