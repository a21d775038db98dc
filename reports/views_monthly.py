"""Pages: the monthly report (H23) — printable page, analysis, sign-off, self-contained HTML export."""

from __future__ import annotations

from pathlib import Path

from flask import flash, make_response, redirect, render_template, request, url_for

from core.db import session, utcnow
from core.web.auth import current_console_user, login_required
from core.web.i18n import t
from reports import monthly
from reports.periods import PeriodError, local_today
from reports.web import LEADS, bad_request, bp, settings

STATIC = Path(__file__).resolve().parent / "static"


@bp.get("/reports/monthly")
@login_required(LEADS)
def monthly_index():
    return redirect(url_for("reports.monthly_page", month=local_today(settings(), utcnow()).strftime("%Y-%m")))


def _view(month: str):
    return monthly.view(session(), settings(), month, utcnow())


@bp.get("/reports/monthly/<month>")
@login_required(LEADS)
def monthly_page(month: str):
    try:
        data = _view(month)
    except PeriodError as exc:
        return bad_request(str(exc))
    return render_template("reports/monthly.html", m=data, standalone=False)


@bp.get("/reports/monthly/<month>/export.html")
@login_required(LEADS)
def monthly_export(month: str):
    """One self-contained, print-ready HTML file (styles and the chart library inlined)."""
    try:
        data = _view(month)
    except PeriodError as exc:
        return bad_request(str(exc))
    inline = {"css": (STATIC / "reports.css").read_text(encoding="utf-8"),
              "chartjs": (STATIC / "vendor" / "chart.umd.js").read_text(encoding="utf-8"),
              "charts_js": (STATIC / "charts.js").read_text(encoding="utf-8")}
    html = render_template("reports/monthly_export.html", m=data, inline=inline, standalone=True)
    response = make_response(html)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="hotline-monthly-{month}.html"'
    # Self-contained: its own inline styles and scripts, nothing fetched from anywhere.
    response.headers["Content-Security-Policy"] = ("default-src 'none'; script-src 'unsafe-inline'; "
                                                   "style-src 'unsafe-inline'; img-src data:")
    return response


@bp.post("/reports/monthly/<month>")
@login_required(LEADS)
def monthly_post(month: str):
    user = current_console_user()
    assert user is not None
    s, now = session(), utcnow()
    action = request.form.get("action", "save")
    try:
        monthly.month_period(settings(), month)
        if action == "save":
            monthly.save_analysis(s, month, user, request.form.get("analysis", ""), now)
            message = t("分析已保存。", "Analysis saved.")
        elif action == "sign_off":
            if request.form.get("analysis") is not None:
                monthly.save_analysis(s, month, user, request.form.get("analysis", ""), now)
            monthly.sign_off(s, settings(), month, user, now)
            message = t("月报已签发。", "Monthly report signed off.")
        elif action == "reopen":
            monthly.reopen(s, month, user, now)
            message = t("月报已重新打开。", "Monthly report re-opened.")
        else:
            return bad_request(f"action: unknown {action[:40]!r}")
    except (PeriodError, monthly.MonthlyError) as exc:
        s.rollback()
        return bad_request(str(exc))
    s.commit()
    flash(message)
    return redirect(url_for("reports.monthly_page", month=month))
