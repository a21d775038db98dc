"""What the scheduler adds to ``/healthz`` and ``/metrics``: its leader lease, read from the
database, so a lapsed leader is visible from any web node (registered by ``scheduler.init_app``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Flask
from prometheus_client.core import GaugeMetricFamily

from core.db import session_scope, utcnow
from scheduler.lease import LEASE_NAME
from scheduler.models import Lease


def lease_check(app: Flask) -> dict[str, Any]:
    """``/healthz``'s "scheduler": ok while a leader holds an unexpired lease (or it is disabled)."""
    settings = app.config["HOTLINE"]
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


def lease_metrics(app: Flask, now: datetime) -> Iterator[GaugeMetricFamily]:
    """The scheduler leader's lease, from the database: lag visible from any web node."""
    try:
        with session_scope(app) as s:
            lease = s.get(Lease, LEASE_NAME)
            renewed = lease.renewed_at if lease else None
            expires = lease.expires_at if lease else None
            held = bool(lease and lease.holder)
    except Exception:  # noqa: BLE001
        return
    leader = GaugeMetricFamily("hotline_scheduler_leader", "1 while a scheduler holds an unexpired lease")
    leader.add_metric([], 1 if held and expires is not None and expires >= now else 0)
    yield leader
    if renewed is not None:
        ago = GaugeMetricFamily("hotline_scheduler_renewed_seconds_ago",
                                "Seconds since the leader last renewed its lease (its tick lag)")
        ago.add_metric([], max(0.0, (now - renewed).total_seconds()))
        yield ago
