"""Prometheus metrics (``GET /metrics``, prometheus_client).

Two kinds:

- **Counted in the process** (request latency per route, call status changes, queue waits,
  job lag): module-level metrics. Under gunicorn with several workers set
  ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, wiped at each start) so every worker's
  samples are merged at scrape time (prometheus_client's multiprocess mode).
- **Read from the database at scrape time** (queue length, longest wait, agents by presence,
  calls of the last day by status, scheduler leader, fault spool): the same answer whichever
  worker or machine is scraped.

Other parts call the small hooks ``record_job_lag(job, seconds)`` and
``observe_queue_wait(seconds, outcome)`` and ``record_call_status(status)``, and add gauges read
at scrape time with ``add_metrics(app, collect)`` (the scheduler's leader lease); webhook latency
needs nothing from them (request hooks).
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from core.db import session_scope, utcnow
from core.models import Call, Presence, QueueEntry, QueueStatus, User

MetricsCollect = Callable[[Flask, Any], Iterator[GaugeMetricFamily]]
COLLECTORS_KEY = "metric_collectors"
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15)
WAIT_BUCKETS = (5, 10, 20, 30, 60, 90, 120, 180, 300, 600, 1200, 1800, 3600)

REQUEST_SECONDS = Histogram("hotline_request_seconds", "Time to answer an HTTP request, by route "
                            "(webhooks: route=~'/ivr/.*')", ["route", "method"], buckets=LATENCY_BUCKETS,
                            registry=None)
REQUESTS = Counter("hotline_requests", "HTTP requests by route and status class",
                   ["route", "method", "status"], registry=None)
CALL_STATUS = Counter("hotline_call_status_changes", "Call legs reaching a status (status callbacks)",
                      ["status"], registry=None)
QUEUE_WAIT = Histogram("hotline_queue_wait_seconds", "Time callers spent in the queue, by outcome "
                       "(Twilio's QueueTime at the Enqueue action)", ["outcome"], buckets=WAIT_BUCKETS,
                       registry=None)
JOB_LAG = Gauge("hotline_job_lag_seconds", "How late the last run of a scheduled job started",
                ["job"], registry=None, multiprocess_mode="max")
JOB_RUNS = Counter("hotline_job_runs", "Scheduled job runs", ["job"], registry=None)
DB_FALLBACKS = Counter("hotline_db_fallbacks", "Webhooks answered by the database-outage fallback",
                       ["route"], registry=None)
SPOOLED = Counter("hotline_spooled_records", "Records written to the fault spool", ["kind"], registry=None)
REPLAYED = Counter("hotline_spool_replayed", "Spooled records stored in the database", ["kind"], registry=None)
RATE_LIMITED = Counter("hotline_rate_limited", "Requests refused by a rate limit", ["limiter"], registry=None)

PROCESS_METRICS = (REQUEST_SECONDS, REQUESTS, CALL_STATUS, QUEUE_WAIT, JOB_LAG, JOB_RUNS, DB_FALLBACKS,
                   SPOOLED, REPLAYED, RATE_LIMITED)


# -- hooks for other parts -------------------------------------------------------------------

def record_job_lag(job: str, seconds: float) -> None:
    """A scheduled job ran ``seconds`` after it was due (call once per run)."""
    JOB_LAG.labels(job=job[:40]).set(max(0.0, float(seconds)))
    JOB_RUNS.labels(job=job[:40]).inc()


def observe_queue_wait(seconds: float, outcome: str) -> None:
    """A caller left the queue after ``seconds`` (outcome: bridged, hangup, leave, …)."""
    QUEUE_WAIT.labels(outcome=outcome[:30] or "unknown").observe(max(0.0, float(seconds)))


def instrument_apscheduler(scheduler: Any) -> None:
    """Record every APScheduler job's lag (run time − scheduled time) as ``job_lag``."""
    def _listener(event: Any) -> None:
        scheduled = getattr(event, "scheduled_run_time", None)
        if scheduled is None:
            return

        lag = (datetime.now(scheduled.tzinfo) - scheduled).total_seconds()
        record_job_lag(str(event.job_id), lag)

    scheduler.add_listener(_listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)


# -- request timing --------------------------------------------------------------------------

def _before() -> None:
    g.ops_started = time.perf_counter()


def _after(response: Response) -> Response:
    started = g.pop("ops_started", None)
    if started is None:
        return response
    rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
    REQUEST_SECONDS.labels(route=rule, method=request.method).observe(time.perf_counter() - started)
    REQUESTS.labels(route=rule, method=request.method, status=f"{response.status_code // 100}xx").inc()
    if rule == "/ivr/queue/done" and response.status_code < 400:
        result = (request.form.get("QueueResult") or "").strip()[:30]
        raw = (request.form.get("QueueTime") or "").strip()[:12]
        if result and raw.isdigit():
            observe_queue_wait(float(raw), result)
    return response


def record_call_status(status: str | None) -> None:
    """A status callback brought a call leg's status (``/ivr/status``, or replayed from the spool)."""
    CALL_STATUS.labels(status=str(status or "unknown")[:20]).inc()


# -- database-backed gauges ------------------------------------------------------------------

class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time (same answer on every worker)."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("hotline_database_up", "1 when the last scrape could read the database")
        try:
            in_line = [QueueStatus.WAITING, QueueStatus.OFFERED]
            now = utcnow()
            with session_scope(self.app) as s:
                length, oldest = s.execute(select(func.count(), func.min(QueueEntry.joined_at))
                                           .where(QueueEntry.status.in_(in_line),
                                                  QueueEntry.ended_at.is_(None))).one()
                presence = dict(s.execute(select(User.presence, func.count()).where(User.active.is_(True))
                                          .group_by(User.presence)).all())
                statuses = dict(s.execute(select(Call.status, func.count())
                                          .where(Call.started_at >= now - timedelta(days=1))
                                          .group_by(Call.status)).all())
        except Exception:  # noqa: BLE001 - a scrape must answer even when the database is down
            up.add_metric([], 0)
            yield up
            yield from self._registered(utcnow())
            return
        up.add_metric([], 1)
        yield up
        queue = GaugeMetricFamily("hotline_queue_length", "Callers waiting in line now")
        queue.add_metric([], length or 0)
        yield queue
        wait = GaugeMetricFamily("hotline_queue_oldest_wait_seconds", "How long the longest-waiting caller has waited")
        wait.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        yield wait
        agents = GaugeMetricFamily("hotline_agents", "Active users by presence", labels=["presence"])
        for state in Presence:
            agents.add_metric([state.value], presence.get(state.value, 0))
        yield agents
        calls = GaugeMetricFamily("hotline_calls_last_day", "Calls started in the last 24 h by current status",
                                  labels=["status"])
        for status, count in sorted(statuses.items()):
            calls.add_metric([status or "unknown"], count)
        yield calls
        yield from self._registered(now)

    def _registered(self, now: Any) -> Iterator[GaugeMetricFamily]:
        """The gauges other modules and parts add (``add_metrics``): the spool, the scheduler's lease."""
        for collect in self.app.extensions.get(COLLECTORS_KEY, ()):
            yield from collect(self.app, now)


def add_metrics(app: Flask, collect: MetricsCollect) -> None:
    """A part's gauges read at scrape time: ``collect(app, now)`` yields metric families (it
    must not raise: a scrape answers even when the database is down)."""
    app.extensions.setdefault(COLLECTORS_KEY, []).append(collect)


def _registry(app: Flask) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in PROCESS_METRICS:
            registry.register(metric)
    registry.register(DatabaseCollector(app))
    return registry


def metrics_view() -> Response:
    settings = current_app.config["HOTLINE"]
    token = settings.ops.metrics_token
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return Response("metrics need a bearer token\n", status=401, mimetype="text/plain")
    registry = current_app.extensions["ops_registry"]
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    app.before_request(_before)
    app.after_request(_after)
    app.extensions["ops_registry"] = _registry(app)
    app.add_url_rule("/metrics", "ops_metrics", metrics_view, methods=["GET"])
