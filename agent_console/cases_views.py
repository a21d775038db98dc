"""Case pages: every case with filters, and each department's list (H13/H14: a case the agent
could not answer at once goes to the responsible department's list, urgent and oldest first)."""

from __future__ import annotations

from flask import abort, current_app, render_template, request

from agent_console import case_service
from agent_console.blueprint import bp
from core.db import session
from core.models import CaseStatus
from core.web.auth import login_required

PER_PAGE = 25


def _page() -> int:
    raw = request.args.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() else 1


@bp.get("/cases")
@login_required()
def cases_page():
    settings = current_app.config["HOTLINE"]
    args = request.args
    status = args.get("status") if args.get("status") in [s.value for s in CaseStatus] else None
    kind = args.get("kind") if args.get("kind") in case_service.KINDS else None
    department = args.get("department") if args.get("department") in settings.cases.departments else None
    overdue = {"true": True, "false": False}.get(args.get("overdue", ""))
    page = _page()
    rows, total = case_service.search(session(), settings, status=status, kind=kind, department=department,
                                      overdue=overdue, page=page, per_page=PER_PAGE)
    # Pager links carry only the filters read above (never request.args: url_for would take
    # ``endpoint``, ``_method``, ``_external``… from the query string).
    pager = {name: value for name, value in (("status", status), ("kind", kind), ("department", department),
                                             ("overdue", args.get("overdue") if overdue is not None else None))
             if value}
    return render_template("console/cases.html", cases=[case_service.case_dict(c) for c in rows], total=total,
                           page=page, pages=max(1, -(-total // PER_PAGE)), departments=settings.cases.departments,
                           kinds=sorted(case_service.KINDS), statuses=[s.value for s in CaseStatus],
                           filters={"status": status, "kind": kind, "department": department,
                                    "overdue": args.get("overdue", "")}, heading=None, pager=pager)


@bp.get("/departments/<int:index>")
@login_required()
def department_page(index: int):
    settings = current_app.config["HOTLINE"]
    if not 0 <= index < len(settings.cases.departments):
        abort(404)
    name = settings.cases.departments[index]
    s = session()
    open_rows, total_open = case_service.search(s, settings, status=CaseStatus.OPEN, department=name,
                                                per_page=100)
    sent_rows, total_sent = case_service.search(s, settings, status=CaseStatus.DISPATCHED, department=name,
                                                per_page=100)
    rows = sorted(open_rows + sent_rows, key=lambda c: (not c.urgent, c.reply_due_at or c.created_at))
    return render_template("console/cases.html", cases=[case_service.case_dict(c) for c in rows],
                           total=total_open + total_sent, page=1, pages=1, departments=settings.cases.departments,
                           kinds=sorted(case_service.KINDS), statuses=[s.value for s in CaseStatus],
                           filters={}, heading=name, pager={})
