"""Command line for team leads (bulk work) and for running the scheduler worker.

``flask --app app campaigns create|import|list|show|start|pause|resume|cancel``,
``flask --app app dnc add|import|list|remove``, ``flask --app app scheduler run|tick|status``.
Every command prints JSON; bad input exits non-zero with one line naming the field.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from core.cli_errors import BadInput
from core.db import session_scope, utcnow
from core.phone import InvalidNumber
from scheduler import campaign_progress, engine, lease
from scheduler import campaigns as svc
from scheduler import contacts as contacts_svc
from scheduler.campaign_options import DIAL_MODES
from scheduler.runner import SchedulerRunner


def _echo(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


def _settings():
    return current_app.config["HOTLINE"]


campaigns_cli = AppGroup("campaigns", help="Outbound call-back campaigns.")


@campaigns_cli.command("create")
@click.argument("name")
@click.option("--purpose", type=click.Choice(svc.PURPOSES), default="general_callback", show_default=True)
@click.option("--mode", type=click.Choice(svc.MODES), help="automated or agent_assisted (follows --dial-mode).")
@click.option("--dial-mode", type=click.Choice(DIAL_MODES),
              help="fixed_rate (automated), preview, progressive or predictive (agent-assisted).")
@click.option("--caller-id", help="The number the contacts see (E.164).")
@click.option("--holidays", help="Comma-separated dates (YYYY-MM-DD) with no calls.")
@click.option("--recycle-passes", type=int, help="Further passes for no-answer/busy contacts at their cap.")
@click.option("--recycle-after", "recycle_after_s", type=float, help="Seconds before a recycled pass.")
@click.option("--recycle-window", help="HH:MM-HH:MM for recycled passes (another time of day).")
@click.option("--machine-retry", is_flag=True, default=None, help="Retry answering machines instead of voicemail.")
@click.option("--optout-key/--no-optout-key", default=None, help="Offer 'press 9 to stop these calls' (default on).")
@click.option("--locale", type=click.Choice(["zh-CN", "en"]))
@click.option("--script", help="Comma-separated library entry ids in the H20 order (default: the purpose's).")
@click.option("--context", "context", multiple=True, metavar="KEY=VALUE",
              help="Script placeholder, e.g. --context result=已修复 (repeatable).")
@click.option("--voicemail", "voicemail_text", help="Message left on answering machines.")
@click.option("--start-at", help="ISO date-time, read in the campaign's time zone without an offset.")
@click.option("--cron", help="Recurrence, crontab syntax: 'minute hour day month weekday'.")
@click.option("--timezone", help="IANA zone for the window and cron (default hours.timezone).")
@click.option("--window", help="Call window HH:MM-HH:MM in the contact's zone (default hours.open).")
@click.option("--weekdays", help="Comma-separated 0 (Monday) … 6 (Sunday).")
@click.option("--cps", "calls_per_second", type=float, help="Calls per second (at most campaigns.calls_per_second).")
@click.option("--max-concurrent", type=int)
@click.option("--max-attempts", type=int)
@click.option("--retry-backoff", "retry_backoff_s", type=float, help="Seconds before the first retry.")
@click.option("--ring-timeout", "ring_timeout_s", type=int)
@click.option("--no-amd", is_flag=True, help="No answering-machine detection / voicemail.")
@click.option("--agent-code", help="Agent ID (工号) said on automated calls (H20).")
@click.option("--agent-surname", help="Surname said on automated calls (H20).")
@click.option("--start", is_flag=True, help="Arm it now (else a draft: upload contacts, then `start`).")
def create_command(name: str, context: tuple[str, ...], weekdays: str | None, no_amd: bool, start: bool,
                   script: str | None, **options: Any) -> None:
    """Create a campaign and print it as JSON."""
    data: dict[str, Any] = {k: v for k, v in options.items() if v is not None}
    data["name"] = name
    data["machine_detection"] = not no_amd
    data["start"] = start
    if script:
        data["script"] = [p.strip() for p in script.split(",") if p.strip()]
    if weekdays:
        data["weekdays"] = weekdays
    ctx = {}
    for item in context:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"context: expected KEY=VALUE, got {item!r}")
        ctx[key.strip()] = value
    if ctx:
        data["context"] = ctx
    try:
        with session_scope(current_app) as s:
            campaign = svc.create_campaign(s, _settings(), data)
            s.flush()
            out = {**svc.campaign_json(campaign), **campaign_progress.progress(s, _settings(), campaign)}
    except svc.CampaignError as exc:
        raise BadInput(str(exc)) from None
    _echo(out)


@campaigns_cli.command("import")
@click.argument("campaign_id")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def import_command(campaign_id: str, path: Path) -> None:
    """Import contacts from a CSV file; prints the report (bad rows with row number and reason)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"file: cannot read {path}: {exc.strerror}") from None
    try:
        with session_scope(current_app) as s:
            campaign = svc.get_campaign(s, campaign_id)
            report = contacts_svc.import_csv(s, _settings(), campaign, data)
            svc.audit(s, None, "campaign_import", campaign, imported=report.imported, errors=len(report.errors))
    except (svc.CampaignError, contacts_svc.ImportProblem) as exc:
        raise BadInput(f"{exc} (nothing was imported)") from None
    _echo(report.as_dict())


@campaigns_cli.command("list")
def list_command() -> None:
    """One JSON line per campaign with its progress."""
    with session_scope(current_app) as s:
        for campaign in svc.list_campaigns(s):
            p = campaign_progress.progress(s, _settings(), campaign)
            _echo({k: p[k] for k in ("id", "name", "status", "purpose", "mode", "contacts", "dialed", "answered",
                                     "completed", "failed", "remaining", "percent")})


@campaigns_cli.command("show")
@click.argument("campaign_id")
@click.option("--contacts", "with_contacts", is_flag=True, help="Also each contact and why it was (not) dialed.")
@click.option("--limit", type=int, default=1000, show_default=True)
def show_command(campaign_id: str, with_contacts: bool, limit: int) -> None:
    """The campaign, its progress and the blocked breakdown (explainable dialing)."""
    try:
        with session_scope(current_app) as s:
            campaign = svc.get_campaign(s, campaign_id)
            out = {**svc.campaign_json(campaign), **campaign_progress.progress(s, _settings(), campaign)}
            if with_contacts:
                out["contact_list"] = campaign_progress.contacts_page(s, _settings(), campaign, 0, limit)
    except svc.CampaignError as exc:
        raise BadInput(str(exc)) from None
    _echo(out)


def _state_command(name: str, fn: Any, help_text: str) -> None:
    @campaigns_cli.command(name, help=help_text)
    @click.argument("campaign_id")
    def command(campaign_id: str) -> None:
        try:
            with session_scope(current_app) as s:
                campaign = svc.get_campaign(s, campaign_id)
                fn(s, campaign, None)
                s.flush()
                out = campaign_progress.progress(s, _settings(), campaign)
        except svc.CampaignError as exc:
            raise BadInput(str(exc)) from None
        _echo(out)


_state_command("start", svc.start_campaign, "Arm a draft (starts at its start time / cron, else now).")
_state_command("pause", svc.pause_campaign, "Pause dialing (calls in progress finish).")
_state_command("resume", svc.resume_campaign, "Resume a paused campaign.")
_state_command("cancel", svc.cancel_campaign, "Cancel for good: contacts not reached are cancelled.")


# -- do-not-call list ---------------------------------------------------------------------------

dnc_cli = AppGroup("dnc", help="The do-not-call list: numbers no campaign ever dials.")


@dnc_cli.command("add")
@click.argument("phone")
@click.option("--reason")
def dnc_add(phone: str, reason: str | None) -> None:
    try:
        with session_scope(current_app) as s:
            row, created = contacts_svc.add_dnc(s, _settings(), phone, reason)
            out = {"phone": row.phone, "created": created}
    except InvalidNumber as exc:
        raise BadInput(f"phone: {exc}") from None
    _echo(out)


@dnc_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def dnc_import(path: Path) -> None:
    """A CSV with a phone column (and optional reason)."""
    try:
        data = path.read_bytes()
        with session_scope(current_app) as s:
            report = contacts_svc.import_dnc(s, _settings(), data)
    except OSError as exc:
        raise BadInput(f"file: cannot read {path}: {exc.strerror}") from None
    except contacts_svc.ImportProblem as exc:
        raise BadInput(f"{exc} (nothing was imported)") from None
    _echo(report.as_dict())


@dnc_cli.command("list")
def dnc_list() -> None:
    with session_scope(current_app) as s:
        for row in contacts_svc.list_dnc(s, limit=100_000):
            _echo({"phone": row.phone, "reason": row.reason, "created_at": row.created_at.isoformat() + "Z"})


@dnc_cli.command("remove")
@click.argument("phone")
def dnc_remove(phone: str) -> None:
    try:
        with session_scope(current_app) as s:
            removed = contacts_svc.remove_dnc(s, _settings(), phone)
    except InvalidNumber as exc:
        raise BadInput(f"phone: {exc}") from None
    _echo({"removed": removed})


# -- the scheduler worker -----------------------------------------------------------------------

scheduler_cli = AppGroup("scheduler", help="The campaign scheduler (APScheduler, one leader).")


@scheduler_cli.command("run")
@click.option("--for", "run_for", type=float, default=None, help="Stop after this many seconds (tests).")
@with_appcontext
def run_command(run_for: float | None) -> None:
    """Run the scheduler worker (for gunicorn deployments): only the lease holder fires jobs;
    the others wait to take over. Stops on SIGTERM / Ctrl-C and releases the lease."""
    app = current_app._get_current_object()
    sim = app.extensions.get("simulator")
    if sim is not None and getattr(sim, "clock_mode", "realtime") in ("realtime", "auto"):
        if sim.clock_mode == "realtime":
            sim.start_realtime()
        else:
            sim.start()
    runner = SchedulerRunner(app)
    stop = threading.Event()

    def _stop(*_args: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runner.start()
    _echo({"scheduler": "running", "holder": runner.holder})
    sys.stdout.flush()
    stop.wait(run_for)
    runner.stop()
    if sim is not None:
        sim.stop()
    _echo({"scheduler": "stopped", "holder": runner.holder, "was_leader": runner.leader_changes > 0})


@scheduler_cli.command("tick")
def tick_command() -> None:
    """Run one tick now (dial due contacts, follow-up rules), whoever holds the lease."""
    report = engine.tick(current_app._get_current_object())
    _echo({"started": report.started, "dialed": len(report.dialed), "reconciled": report.reconciled,
           "finished": report.finished, "followups": report.followups, "dispatched": report.dispatched})


@scheduler_cli.command("status")
def status_command() -> None:
    """Who holds the leader lease, and until when."""
    with session_scope(current_app) as s:
        row = lease.current(s)
        now = utcnow()
        _echo({"holder": row.holder if row else None,
               "expires_at": row.expires_at.isoformat() + "Z" if row and row.expires_at else None,
               "live": bool(row and row.holder and row.expires_at and row.expires_at >= now),
               "changes": row.fencing if row else 0})
