"""Team-lead dashboard and reports: the wallboard, reports for any date range with charts
and CSV exports, ``GET /api/reports/summary``, the monthly report (H23), the shift
handover log (H24), major incidents (H26), the audit-log viewer and the script-library editor.

KPI definitions: ``reports.kpis``. Pages extend the web shell's ``console/base.html`` and use its
sign-in (``core.web.auth.login_required``); live updates come from the console's SSE stream.
"""

from __future__ import annotations

from flask import Flask

from core import db
from core.api import register_api
from core.web.nav import register_nav
from reports import (  # noqa: F401  (modules attach their routes to bp)
    api,
    mailer,
    planning,
    quality,
    views_admin,
    views_monthly,
    views_reports,
    views_review,
    views_shift,
)
from reports.web import bp, init_filters
from scheduler.engine import add_tick_hook

db.register_models("reports.models")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    register_api(app, api.bp)
    init_filters(app)
    leads = {"lead", "admin"}
    register_nav(app, "大屏", "Wallboard", "reports.wallboard_page", roles=leads, order=30, group="live")
    register_nav(app, "报表", "Reports", "reports.reports_page", roles=leads, order=32, group="reports")
    register_nav(app, "月报", "Monthly", "reports.monthly_index", roles=leads, order=34, group="reports")
    register_nav(app, "交接班", "Handover", "reports.handover_page", order=36, group="reports")
    register_nav(app, "重大事件", "Incidents", "reports.incidents_page", roles=leads, order=38, group="reports")
    register_nav(app, "话术库", "Library", "reports.library_page", roles=leads, order=40, group="admin")
    register_nav(app, "审计日志", "Audit log", "reports.audit_page", roles=leads, order=42, group="admin")
    add_tick_hook(app, mailer.deliver_due)  # daily summary / monthly report e-mails when due
    planning.init_app(app)
    quality.init_app(app)
