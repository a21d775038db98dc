"""``flask --app app simulate call``: play a caller through the real webhooks.

The simulator's clock jumps from event to event, so a ten-minute wait prints in a moment.
Output: one JSON object per line, per thing the caller hears or does (``t`` = virtual
seconds since the call began, ``verb``, and its text/URL/digits), across every leg to or
from the caller's number (a call-back shows as a later leg); the last line is the outcome.
A call placed outside opening hours adds one ``note`` line saying which setting to change.

By default the call runs against a throw-away copy of the database (``sim_sandbox``), so
runs never affect each other or a running console; ``--keep`` writes into the app's own.
``--at`` starts the virtual clock at a local time in ``hours.timezone``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from core import clock
from core.cli_errors import BadInput
from core.db import session_scope
from core.models import Call, CallbackRequest, CallbackStatus, Presence, Role, User
from core.phone import InvalidNumber, caller_number, to_e164
from core.presence import announce, set_presence
from core.telephony.sim_sandbox import throwaway_app
from core.telephony.simulator import Behaviour, CallerScript
from core.users import create_user
from ivr.hours import closed_reason, hours_status
from ivr.routing import dispatch_due

STEP_S = 5.0  # virtual seconds between the periodic jobs python app.py would run
SIM_AGENT_PREFIX = "sim-agent-"

simulate_cli = AppGroup("simulate", help="Play calls through the simulator (no Twilio needed).")


def _simulator(app: Flask) -> Any:
    sim = app.extensions.get("simulator")
    if sim is None:
        raise BadInput("telephony: simulate needs the simulator (HOTLINE_TELEPHONY=simulator); "
                                   "Twilio credentials are set")
    return sim


def ensure_sim_agents(app: Flask, count: int, answer_after_s: float) -> list[str]:
    """Users sim-agent-1..N, available, whose client endpoints the simulator answers."""
    sim = _simulator(app)
    names = [f"{SIM_AGENT_PREFIX}{i}" for i in range(1, count + 1)]
    changed: list[tuple[int, str]] = []
    with session_scope(app) as s:
        for name in names:
            user = s.scalar(select(User).where(User.name == name))
            if user is None:
                user, _token, _password = create_user(s, name, Role.AGENT, display_name=f"Simulated agent {name[-1]}")
            sim.set_behaviour(user.endpoint or f"client:{name}", Behaviour(answer="human", answer_after_s=answer_after_s))
            if user.presence != Presence.AVAILABLE:
                set_presence(s, user, Presence.AVAILABLE)
                changed.append((user.id, Presence.AVAILABLE))
    for user_id, state in changed:
        announce(app, user_id, state)
    return names


def release_sim_agents(app: Flask, names: list[str]) -> None:
    """Simulated agents sign off when the simulation ends, so real routing never rings them."""
    with session_scope(app) as s:
        for user in s.scalars(select(User).where(User.name.in_(names))):
            set_presence(s, user, Presence.OFFLINE)


def _periodic_jobs(app: Flask) -> None:
    dispatch_due(app)


def _caller_legs(sim: Any, number: str, first_sid: str) -> list[dict[str, Any]]:
    legs = [c for c in sim.calls() if c["sid"] == first_sid or number in (c.get("from"), c.get("to"))]
    return sorted(legs, key=lambda c: c["created_at"] or 0.0)


def _active(leg: dict[str, Any]) -> bool:
    return not leg["ended"]


def run_call(app: Flask, from_: str, to: str, script: Any, max_s: float) -> tuple[str, list[dict[str, Any]]]:
    """Place the call and move the clock until the caller's legs are over; returns (sid, lines)."""
    sim = _simulator(app)
    sid = sim.place_inbound_call(from_, to, caller=script)
    started = sim.now
    while sim.now - started < max_s:
        sim.advance(STEP_S)
        with app.app_context():
            _periodic_jobs(app)
        legs = _caller_legs(sim, from_, sid)
        if not any(_active(leg) for leg in legs) and not _callback_pending(app, from_):
            break
    sim.run_until_idle(max_seconds=60)  # status callbacks and wrap-up after the last hang-up
    origin = sim.call(sid)["created_at"] or 0.0
    lines: list[dict[str, Any]] = []
    for leg in _caller_legs(sim, from_, sid):
        offset = (leg["created_at"] or 0.0) - origin
        for entry in sim.timeline(leg["sid"]):
            line = {**entry, "t": round(entry["t"] + offset, 1)}
            if leg["sid"] != sid:
                line["leg"] = leg["sid"]
            lines.append(line)
    lines.sort(key=lambda line: line["t"])
    return sid, lines


def _callback_pending(app: Flask, phone: str) -> bool:
    number = caller_number(phone)
    if number is None:
        return False
    with session_scope(app) as s:
        return s.scalar(select(CallbackRequest.id).where(
            CallbackRequest.phone == number,
            CallbackRequest.status.in_([CallbackStatus.DIALING, CallbackStatus.CONNECTED]))) is not None


def outcome(app: Flask, sid: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    sim = _simulator(app)
    snap = sim.call(sid)
    legs = _caller_legs(sim, snap["from"], sid)
    bridged = [line["with"] for line in lines if line["verb"] == "bridged"]
    result: dict[str, Any] = {
        "t": round((max((leg["end"] or 0.0) for leg in legs) or sim.now) - (snap["created_at"] or 0.0), 1),
        "verb": "outcome", "call_sid": sid, "status": snap["status"],
        "queue_result": snap.get("queue_result"), "bridged": bool(bridged),
        "bridged_with": bridged[-1] if bridged else None,
        "duration": snap.get("duration"), "legs": len(legs),
    }

    with session_scope(app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == sid))
        if call is not None:
            # the app's record: a caller redirected into an agent's conference is "bridged"
            result.update(queue_result=call.queue_result or result["queue_result"], menu_option=call.menu_option,
                          locale=call.locale or app.config["HOTLINE"].company.default_locale, priority=call.priority,
                          wait_s=call.wait_s, agent=call.agent.name if call.agent else None)
            callbacks = s.scalars(select(CallbackRequest).where(CallbackRequest.caller_id == call.caller_id)
                                  .order_by(CallbackRequest.id)).all() if call.caller_id else []
            if callbacks:
                result["callback"] = callbacks[-1].status
    return result


class InputError(BadInput):
    """Bad input on the command line: one line (``Error: --press: …``), exit code 2."""


KEYS = re.compile(r"[0-9*#w]{1,32}")
AT_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def _number(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    try:
        return to_e164(value)
    except InvalidNumber as exc:
        raise InputError(f"{option}: {exc} (use E.164 such as +8613812345678)") from None


def _keys(value: str | None) -> str | None:
    if value is None:
        return None
    groups = [g.strip() for g in value.split(",")]
    if not all(KEYS.fullmatch(g) for g in groups):
        raise InputError(f"--press: {value!r}: keys are 0-9, * and #, in comma-separated groups such as 1 or 9,1")
    return value


def _start(value: str | None, zone: tzinfo) -> datetime | None:
    """``--at`` as naive UTC (how the database stores times), read in ``hours.timezone``."""
    if value is None:
        return None
    for pattern in AT_FORMATS:
        try:
            local = datetime.strptime(value.strip(), pattern).replace(tzinfo=zone)
        except ValueError:
            continue
        return local.astimezone(UTC).replace(tzinfo=None)
    raise InputError(f"--at: {value!r}: expected a local time such as \"2026-12-01 10:00\"")


def hours_note(app: Flask, now_utc: datetime) -> dict[str, Any] | None:
    """The one ``note`` line for a call outside opening hours (H4), naming what to change."""
    settings = app.config["HOTLINE"]
    if closed_reason(settings, now_utc) is None:
        return None
    hint = ' Simulate an open hour with --at "YYYY-MM-DD HH:MM", or set HOTLINE_OPEN_HOURS=00:00-24:00.'
    return {"t": 0.0, "verb": "note", "text": hours_status(settings, now_utc) + hint}


def play(app: Flask, from_: str, to: str | None, script: Any, agents: int, max_time: float,
         start: datetime | None) -> list[dict[str, Any]]:
    """Play the call on ``app``'s simulator from ``start``; returns the JSON lines to print."""
    sim = _simulator(app)
    origin = start or clock.wall_utcnow()
    sim.start_time = origin.replace(tzinfo=UTC) if start else sim.start_time
    names = ensure_sim_agents(app, agents, answer_after_s=2) if agents else []
    with clock.following(lambda: sim.now, start=origin - timedelta(seconds=sim.now), app=app):
        try:
            note = hours_note(app, clock.utcnow(app))
            sid, lines = run_call(app, from_, to or app.config["HOTLINE"].telephony.caller_id, script, max_time)
            return ([note] if note else []) + lines + [outcome(app, sid, lines)]
        finally:
            if names:
                release_sim_agents(app, names)


@simulate_cli.command("call")
@click.option("--from", "from_", required=True, help="The caller's number, e.g. +8613812345678.")
@click.option("--to", help="The number called (default: the hotline's TWILIO_CALLER_ID).")
@click.option("--press", help="Keys for successive menus: '1', or groups '1,1' (one per Gather).")
@click.option("--say", multiple=True, help="Speech for successive speech menus (repeatable).")
@click.option("--agents", default=0, show_default=True, type=click.IntRange(0, 50),
              help="Simulated agents who answer automatically (users sim-agent-1..N).")
@click.option("--duration", type=click.FloatRange(min=1), help="The caller hangs up after this many seconds.")
@click.option("--talk", default=20.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds the caller talks once connected to an agent.")
@click.option("--max-time", default=1800.0, show_default=True, type=click.FloatRange(min=10),
              help="Virtual seconds after which the simulation stops.")
@click.option("--at", "at", help='Start the virtual clock at this local time (hours.timezone), '
                                 'e.g. "2026-12-01 10:00" (default: now).')
@click.option("--keep", is_flag=True, help="Write into the app's database (default: a throw-away copy).")
@with_appcontext
def call_command(from_: str, to: str | None, press: str | None, say: tuple[str, ...], agents: int,
                 duration: float | None, talk: float, max_time: float, at: str | None, keep: bool) -> None:
    """Play one caller through the real webhooks; print JSON lines of what happens."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = app.config["HOTLINE"]
    caller, called = _number(from_, "--from"), _number(to, "--to")
    start = _start(at, settings.hours.zone)
    script = CallerScript.from_cli(_keys(press), list(say), hangup_after_s=duration, talk_s=talk,
                                   max_call_s=max_time)
    _simulator(app)
    if keep:
        lines = play(app, caller or from_, called, script, agents, max_time, start)
    else:
        with throwaway_app(app) as copy, copy.app_context():
            lines = play(copy, caller or from_, called, script, agents, max_time, start)
    for line in lines:
        click.echo(json.dumps(line, ensure_ascii=False))


def init_app(app: Flask) -> None:
    app.cli.add_command(simulate_cli)
