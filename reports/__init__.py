"""Team-lead dashboard and reports: the wallboard, reports for any date range with charts
and CSV exports, ``GET /api/reports/summary``, the monthly report (H23), the shift
handover log (H24), major incidents (H26), the audit-log viewer and the script-library editor.

KPI definitions: ``reports.kpis``. Pages extend the console's ``console/base.html`` and use its
sign-in (``agent_console.auth.login_required``); live updates come from its SSE stream.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from agent_console.nav import register_nav
    from core.api import register_api
    from reports import api, views_admin, views_monthly, views_reports, views_review, views_shift  # noqa: F401  (routes)
    from reports.web import bp, init_filters

    app.register_blueprint(bp)
    register_api(app, api.bp)
    init_filters(app)
    leads = {"lead", "admin"}
    register_nav("大屏", "Wallboard", "reports.wallboard_page", roles=leads, order=30)
    register_nav("报表", "Reports", "reports.reports_page", roles=leads, order=32)
    register_nav("月报", "Monthly", "reports.monthly_index", roles=leads, order=34)
    register_nav("交接班", "Handover", "reports.handover_page", order=36)
    register_nav("重大事件", "Incidents", "reports.incidents_page", roles=leads, order=38)
    register_nav("话术库", "Library", "reports.library_page", roles=leads, order=40)
    register_nav("审计日志", "Audit log", "reports.audit_page", roles=leads, order=42)
    from reports import mailer, planning
    from scheduler.engine import add_tick_hook

    add_tick_hook(app, mailer.deliver_due)  # daily summary / monthly report e-mails when due
    planning.init_app(app)
