"""The lead's planning pages under ``/console/planning``: forecast and staffing, the roster,
and what-if replays (started here, run by ``reports.planning.worker`` in a process of its own)."""

from __future__ import annotations

from datetime import date, time, timedelta

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from core.db import session, utcnow
from core.models import Role, User
from core.web.auth import current_console_user, login_required
from core.web.i18n import t
from reports.planning import roster, service, whatif, worker
from reports.planning.days import day_bounds
from reports.planning.models import ReplayRun, RosterShift
from reports.web import LEADS, bad_request, settings

bp = Blueprint("planning", __name__, url_prefix="/console/planning", template_folder="templates",
               static_folder="static", static_url_path="/static")


def _day_arg(default_offset: int = 0) -> date:
    raw = request.values.get("day")
    if not raw:
        return service.forecast.today(settings(), utcnow()) + timedelta(days=default_offset)
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise whatif.WhatIfError(f"day: expected YYYY-MM-DD, got {raw[:20]!r}") from None


def _charts(plan: dict) -> dict:
    return service.as_json(settings(), plan)


@bp.get("")
@login_required(LEADS)
def planning_page():
    try:
        day = _day_arg(1)
    except whatif.WhatIfError as exc:
        return bad_request(str(exc))
    s = session()
    plan = service.day_plan(s, settings(), day)
    gaps = service.upcoming_gaps(s, settings(), utcnow())
    return render_template("planning/plan.html", plan=plan, data=_charts(plan), day=day, gaps=gaps,
                           cfg=settings())


@bp.get("/data")
@login_required(LEADS)
def planning_data():
    try:
        day = _day_arg(1)
    except whatif.WhatIfError as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(service.as_json(settings(), service.day_plan(session(), settings(), day)))


@bp.get("/roster")
@login_required(LEADS)
def roster_page(error: str | None = None, status: int = 200):
    try:
        day = _day_arg(1)
    except whatif.WhatIfError as exc:
        return bad_request(str(exc))
    s = session()
    plan = service.day_plan(s, settings(), day)
    agents = list(s.scalars(select(User).where(User.active.is_(True), User.role.in_((Role.AGENT, Role.LEAD)))
                            .order_by(User.name)))
    return render_template("planning/roster.html", plan=plan, data=_charts(plan), day=day, agents=agents,
                           shifts=settings().shifts, error=error, gaps=service.upcoming_gaps(s, settings(), utcnow()),
                           cfg=settings()), status


@bp.post("/roster")
@login_required(LEADS)
def roster_add():
    s = session()
    try:
        day = _day_arg()
        user = s.get(User, int(request.form.get("user_id") or 0))
        if user is None:
            raise roster.RosterError("user_id: choose an agent")
        raw_break = (request.form.get("break_at") or "").strip()
        try:
            break_at = time.fromisoformat(raw_break) if raw_break else None
        except ValueError:
            raise roster.RosterError(f"break_at: expected HH:MM, got {raw_break[:10]!r}") from None
        roster.assign(s, settings(), day, user, request.form.get("shift", ""), break_at=break_at,
                      by=current_console_user())
    except (roster.RosterError, whatif.WhatIfError, ValueError) as exc:
        s.rollback()
        return roster_page(error=str(exc), status=400)
    s.commit()
    flash(t("已排班", "Shift added"))
    return redirect(url_for("planning.roster_page", day=day.isoformat()))


@bp.post("/roster/<int:shift_id>/delete")
@login_required(LEADS)
def roster_delete(shift_id: int):
    s = session()
    row = s.get(RosterShift, shift_id)
    if row is None:
        return bad_request(t("没有这个班次", "No such shift"), 404)
    day = row.day
    s.delete(row)
    s.commit()
    flash(t("已删除排班", "Shift removed"))
    return redirect(url_for("planning.roster_page", day=day.isoformat()))


def _optional_float(name: str) -> float | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise whatif.WhatIfError(f"{name}: expected a number, got {raw[:20]!r}") from None


def _optional_int(name: str) -> int | None:
    value = _optional_float(name)
    if value is not None and value != int(value):
        raise whatif.WhatIfError(f"{name}: expected a whole number")
    return None if value is None else int(value)


def _replay_request() -> whatif.Request:
    offer = request.form.get("callback_offer") or ""
    return whatif.Request(
        day=_day_arg(), source=request.form.get("source", "recorded"), seed=_optional_int("seed") or 1,
        agents=_optional_int("agents"), use_roster=request.form.get("use_roster") == "1",
        add_agents=_optional_int("add_agents") or 0, strategy=request.form.get("strategy") or None,
        reassure_every_s=_optional_float("reassure_every_s"),
        callback_offer={"on": True, "off": False}.get(offer), open_hours=request.form.get("open_hours") or None)


@bp.get("/replay")
@login_required(LEADS)
def replay_page(error: str | None = None, status: int = 200):
    runs = list(session().scalars(select(ReplayRun).order_by(ReplayRun.id.desc()).limit(30)))
    yesterday = service.forecast.today(settings(), utcnow()) - timedelta(days=1)
    return render_template("planning/replay.html", runs=runs, error=error, yesterday=yesterday,
                           form=request.form, cfg=settings()), status


@bp.post("/replay")
@login_required(LEADS)
def replay_start():
    try:
        req = _replay_request()
        req.check(settings())
    except whatif.WhatIfError as exc:
        return replay_page(error=str(exc), status=400)
    s = session()
    start, end = day_bounds(settings(), req.day)
    scenario = {k: v for k, v in vars(req).items() if k not in ("day", "source", "seed")}
    me = current_console_user()
    run = ReplayRun(day=req.day, source=req.source, seed=req.seed, scenario=scenario, status="running",
                    created_by_id=me.id if me else None, created_at=utcnow())
    s.add(run)
    s.commit()
    worker.start(current_app._get_current_object(), run.id)  # type: ignore[attr-defined]
    return redirect(url_for("planning.replay_result", run_id=run.id))


@bp.get("/replay/<int:run_id>")
@login_required(LEADS)
def replay_result(run_id: int):
    run = session().get(ReplayRun, run_id)
    if run is None:
        return bad_request(t("没有这次回放", "No such replay"), 404)
    return render_template("planning/replay_result.html", run=run, result=run.result or {}, cfg=settings())


@bp.get("/replay/<int:run_id>.json")
@login_required(LEADS)
def replay_json(run_id: int):
    run = session().get(ReplayRun, run_id)
    if run is None:
        return jsonify(error="run: no such replay"), 404
    return jsonify(id=run.id, status=run.status, error=run.error, result=run.result)
