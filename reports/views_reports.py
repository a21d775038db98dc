"""Pages: the reports for a date range (tables, charts, CSV of every table) and the wallboard."""

from __future__ import annotations

from flask import jsonify, render_template, request

from core.db import session, utcnow
from core.web.auth import login_required
from reports import csvout, monthly, trends, wallboard
from reports.periods import PeriodError, period_from_args
from reports.summary import summary
from reports.web import LEADS, bad_request, bp, settings


def _period():
    return period_from_args(settings(), request.args.get("from"), request.args.get("to"), utcnow())


@bp.get("/reports")
@login_required(LEADS)
def reports_page():
    try:
        p = _period()
    except PeriodError as exc:
        return bad_request(str(exc))
    s = session()
    report = summary(s, settings(), p, utcnow())
    report["trend"] = trends.trend_block(s, settings(), p, report, utcnow())
    charts = {"daily": monthly.daily(s, settings(), p), "by_agent": report["by_agent"],
              "cases": report["cases"]["by_kind"], "satisfaction": report["rates"]["satisfaction"]["per_item"],
              "satisfaction_order": report["rates"]["satisfaction"].get("item_order", []),
              "reassurances": report["reassurance_abandons"]}
    return render_template("reports/reports.html", r=report, charts=charts, tables=csvout.TABLES,
                           query={"from": p.first.isoformat(), "to": p.last.isoformat()})


@bp.get("/reports/export/<name>.csv")
@login_required(LEADS)
def export_csv(name: str):
    if name not in csvout.TABLES:
        return bad_request(f"no table {name[:40]!r} (use {', '.join(csvout.TABLES)})", 404)
    try:
        p = _period()
    except PeriodError as exc:
        return bad_request(str(exc))
    report = summary(session(), settings(), p, utcnow())
    if name == "trend":
        report["trend"] = trends.trend_block(session(), settings(), p, report, utcnow())
    header, rows = csvout.table(name, report)
    return csvout.csv_response(f"hotline-{name}-{p.first}-{p.last}.csv", header, rows)


@bp.get("/wallboard")
@login_required(LEADS)
def wallboard_page():
    data = wallboard.snapshot(session(), settings(), utcnow())
    return render_template("reports/wallboard.html", w=data)


@bp.get("/wallboard/data")
@login_required(LEADS)
def wallboard_data():
    return jsonify(wallboard.snapshot(session(), settings(), utcnow()))
