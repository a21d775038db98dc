"""``GET /healthz``: database ping, scheduler leader, gateway mode, fault spool.

200 while the database answers (``status`` "ok", or "degraded" when the scheduler's leader
lease has lapsed or the spool holds records not yet stored); 503 when the database does not
answer — a load balancer takes that web node out of rotation. Never calls Twilio.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, current_app, jsonify
from sqlalchemy import text

from core.db import session_scope, utcnow


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


def _scheduler(app: Flask) -> dict[str, Any]:
    settings = app.config["HOTLINE"]
    try:
        from scheduler.lease import LEASE_NAME
        from scheduler.models import Lease
    except ImportError:
        return {"ok": True, "leader": None, "note": "no scheduler part"}
    try:
        with session_scope(app) as s:
            lease = s.get(Lease, LEASE_NAME)
            holder = lease.holder if lease else None
            expires = lease.expires_at if lease else None
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": type(exc).__name__}
    fresh = holder is not None and expires is not None and expires >= utcnow()
    return {"ok": fresh or not settings.scheduler.enabled, "enabled": settings.scheduler.enabled,
            "leader": holder if fresh else None, "lease_expires_at": expires.isoformat() + "Z" if expires else None}


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
    from core.ops.spool import get_spool
    from core.ops.spool_drain import database_answered

    spool = get_spool(app)
    checks = {"database": _database(app), "scheduler": _scheduler(app), "gateway": _gateway(app),
              "spool": {"ok": True, "pending": spool.pending_count() if spool else 0}}
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
