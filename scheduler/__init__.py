"""Outbound call-back campaigns on APScheduler: campaigns with scripts, contacts from
CSV, call windows, pacing, retries, answering-machine detection, the do-not-call list,
explainable dialing, exactly-once attempts, follow-up rules (H14–H19) and the leader lease.

Public functions other parts call:

- ``scheduler.engine.tick(app)`` — everything due now (tests call it after ``sim.advance``);
- ``scheduler.followup.mark_work_order_returned(s, settings, case)`` (H16),
  ``record_callback_result(s, settings, case, result)`` (H17), ``open_followup_case`` (H20),
  ``repair_callback_rate`` (H16), ``survey_return_rate`` (H18), ``satisfaction`` (H19);
- ``scheduler.campaigns.progress(s, settings, campaign)`` — live counts and blocked breakdown.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the outbound webhooks, the API, the console pages and the CLI."""
    from scheduler import api, cli, history_api, outbound, preview_api

    app.register_blueprint(outbound.bp)
    app.register_blueprint(api.bp)
    api.register_openapi()
    history_api.register_openapi()
    preview_api.register_openapi()
    app.cli.add_command(cli.campaigns_cli)
    app.cli.add_command(cli.dnc_cli)
    app.cli.add_command(cli.scheduler_cli)
    try:
        from scheduler import console
    except ImportError:  # the agent console is not installed
        return
    console.init_app(app)


def start_background(app: Flask) -> None:
    """``python app.py`` / gunicorn: the scheduler runs in-process; only the lease holder fires."""
    from scheduler.runner import start_background as start

    start(app)
