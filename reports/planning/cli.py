"""Commands: ``flask --app app replay run`` (a what-if replay, JSON) and ``flask --app app
planning forecast|staffing|roster-add|roster`` (the day plan as JSON, roster changes).

Bad input: one line on stderr, exit 2, nothing written.
"""

from __future__ import annotations

import json
import sys
from datetime import date, time
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from core.db import session_scope
from core.models import User
from reports.planning import roster, service, whatif

replay_cli = AppGroup("replay", help="What-if replays of a day through the simulator (JSON).")
planning_cli = AppGroup("planning", help="Forecast, Erlang staffing and the roster (JSON).")


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(2)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"day: expected YYYY-MM-DD, got {value[:20]!r}")
        raise


def _echo(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=1, default=str))


@replay_cli.command("run")
@click.option("--day", "day_", required=True, help="Local date to replay (YYYY-MM-DD).")
@click.option("--source", type=click.Choice(["recorded", "forecast"]), default="recorded", show_default=True,
              help="The day's recorded callers, or a day drawn from its forecast.")
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same replay.")
@click.option("--agents", type=click.IntRange(0, 500), help="This many agents all day (default: roster, "
              "else the agents who took calls; for a forecast day the Erlang A requirement).")
@click.option("--roster", "use_roster", is_flag=True, help="Staff by the day's roster.")
@click.option("--add-agents", default=0, type=click.IntRange(-500, 500), help="Agents added to each interval staffed.")
@click.option("--strategy", type=click.Choice(["longest-idle", "round-robin", "fewest-calls"]))
@click.option("--reassure-every", type=click.FloatRange(1, 600), help="Seconds between reassurances (H3).")
@click.option("--callback-offer/--no-callback-offer", default=None, help="Offer a call-back while waiting (H9).")
@click.option("--open-hours", help="Opening hours HH:MM-HH:MM (H4).")
@with_appcontext
def replay_run(day_: str, source: str, seed: int, agents: int | None, use_roster: bool, add_agents: int,
               strategy: str | None, reassure_every: float | None, callback_offer: bool | None,
               open_hours: str | None) -> None:
    """Replay a day under changes; print what happened and the replay side by side (JSON)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    request = whatif.Request(day=_day(day_), source=source, seed=seed, agents=agents, use_roster=use_roster,
                             add_agents=add_agents, strategy=strategy, reassure_every_s=reassure_every,
                             callback_offer=callback_offer, open_hours=open_hours)
    try:
        with session_scope(app) as s:
            result = whatif.run(s, app.config["HOTLINE"], request)
    except whatif.WhatIfError as exc:
        _fail(str(exc))
        return
    _echo(result)


@planning_cli.command("forecast")
@click.option("--day", "day_", required=True, help="Local date to plan (YYYY-MM-DD).")
@with_appcontext
def forecast_command(day_: str) -> None:
    """Forecast, staffing (Erlang C and A, shrinkage) and roster coverage per interval (JSON)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = app.config["HOTLINE"]
    with session_scope(app) as s:
        _echo(service.as_json(settings, service.day_plan(s, settings, _day(day_))))


@planning_cli.command("roster-add")
@click.option("--day", "day_", required=True, help="Local date the shift starts (YYYY-MM-DD).")
@click.option("--user", "name", required=True, help="The agent's user name.")
@click.option("--shift", "shift_name", required=True, help="A shift template name (settings: shifts).")
@click.option("--break-at", help="Break start HH:MM (default: mid-shift).")
@with_appcontext
def roster_add(day_: str, name: str, shift_name: str, break_at: str | None) -> None:
    """Put an agent on a shift."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    day = _day(day_)
    try:
        brk = time.fromisoformat(break_at) if break_at else None
    except ValueError:
        _fail(f"break_at: expected HH:MM, got {break_at[:10]!r}")
        return
    with session_scope(app) as s:
        user = s.scalar(select(User).where(User.name == name))
        if user is None:
            _fail(f"user: no user named {name[:64]!r}")
            return
        try:
            row = roster.assign(s, app.config["HOTLINE"], day, user, shift_name, break_at=brk)
        except roster.RosterError as exc:
            s.rollback()
            _fail(str(exc))
            return
        _echo({"id": row.id, "day": row.day, "user": name, "shift": row.shift_name, "starts_at": row.starts_at,
               "ends_at": row.ends_at, "break_at": row.break_at, "break_min": row.break_min})


def init_app(app: Any) -> None:
    app.cli.add_command(replay_cli)
    app.cli.add_command(planning_cli)
