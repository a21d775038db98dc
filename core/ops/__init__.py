"""Operations, security and performance.

``init_app(app)`` wires, in this order: structured logs (``logs``), request metrics and
``GET /metrics`` (``metrics``), ``GET /healthz`` (``health``), security headers, cookies and
``ProxyFix`` (``security``), the sign-in rate limit (``ratelimit``), the fault spool
(``spool``, drained by ``spool_drain``) and the webhook time boxes and database-outage fallback (``fallback``).

Hooks for other parts (import from ``core.ops``):

- ``record_job_lag(job, seconds)`` — a scheduled job ran this late (gauge ``hotline_job_lag_seconds``);
  ``instrument_apscheduler(scheduler)`` records it for every APScheduler job;
- ``observe_queue_wait(seconds, outcome)`` — a caller's wait (also recorded automatically from
  the Enqueue action's ``QueueTime``);
- ``login_limiter(app)`` — the database-backed sliding-window sign-in limiter;
- ``get_spool(app)`` — the fault spool (``append(kind, **fields)``, ``replay(app)``);
- ``defer(app, fn)`` / ``drain(app)`` — run work after the response (REST calls a webhook
  starts must not hold its TwiML back: Twilio allows 15 s in all).
"""

from __future__ import annotations

from flask import Flask

from core.ops import fallback, health, logs, metrics, ratelimit, security, spool, spool_drain
from core.ops.deferred import defer, drain
from core.ops.metrics import instrument_apscheduler, observe_queue_wait, record_job_lag
from core.ops.ratelimit import SlidingWindowLimiter, login_limiter
from core.ops.spool import get_spool

__all__ = ["SlidingWindowLimiter", "defer", "drain", "get_spool", "init_app", "instrument_apscheduler",
           "login_limiter", "observe_queue_wait", "record_job_lag"]


def init_app(app: Flask) -> None:
    logs.init_app(app)
    metrics.init_app(app)
    health.init_app(app)
    security.init_app(app)
    ratelimit.init_app(app)
    spool.init_app(app)
    spool_drain.init_app(app)  # the spool's waiter; a call's events kept behind its spooled arrival
    fallback.init_app(app)
