"""Outbound call-back campaigns on APScheduler: campaigns with scripts, contacts from
CSV, call windows, pacing, retries, answering-machine detection, the do-not-call list,
explainable dialing, exactly-once attempts, follow-up rules (H14–H19) and the leader lease.

Public functions other parts call:

- ``scheduler.engine.tick(app)`` — everything due now (tests call it after ``sim.advance``);
- ``scheduler.followup_callbacks.mark_work_order_returned(s, settings, case)`` (H16),
  ``scheduler.followup_records.record_callback_result(s, settings, case, result)`` (H17), ``open_followup_case`` (H20),
  ``repair_callback_rate`` (H16), ``survey_return_rate`` (H18), ``satisfaction`` (H19);
- ``scheduler.campaign_progress.progress(s, settings, campaign)`` — live counts and blocked breakdown.
"""

from __future__ import annotations

from flask import Flask

from core import db
from core.api import register_api
from core.ops.health import add_health_check
from core.ops.metrics import add_metrics
from ivr.wrapup import on_disposition
from scheduler import (
    api,
    cli,
    console,
    dnc_api,  # noqa: F401  (adds its routes to api.bp)
    health,
    history,
    history_api,  # noqa: F401  (adds its routes to api.bp)
    outbound,
    preview_api,  # noqa: F401  (adds its routes to api.bp)
    preview_page,  # adds its page to console.bp
    runner,
)
from scheduler.engine import add_tick_hook
from scheduler.recording_retention import purge_expired

db.register_models("scheduler.models")


def init_app(app: Flask) -> None:
    """Register the outbound webhooks, the API, the console pages, the CLI and the lease's
    health check and metrics."""
    app.register_blueprint(outbound.bp)
    register_api(app, api.bp)
    app.cli.add_command(cli.campaigns_cli)
    app.cli.add_command(cli.dnc_cli)
    app.cli.add_command(cli.scheduler_cli)
    console.init_app(app)
    preview_page.init_app(app)
    add_health_check(app, "scheduler", health.lease_check)
    add_metrics(app, health.lease_metrics)
    add_tick_hook(app, purge_expired)  # recording.retention_days: old recordings deleted at Twilio
    on_disposition(app, history.copy_call_disposition)  # a campaign call's wrap-up is its attempt's


def start_background(app: Flask) -> None:
    """``python app.py`` / gunicorn: the scheduler runs in-process; only the lease holder fires."""
    runner.start_background(app)
