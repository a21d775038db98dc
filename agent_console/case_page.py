"""One case's page: its details, lifecycle and follow-up outcomes (H15-H17), and the form that
updates it — status, department, work order dispatched/returned (returned: the H16 satisfaction
call-back is scheduled), resolution, satisfaction. The same service as ``PATCH /api/cases/<ref>``."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from agent_console import case_service, recordings
from agent_console.blueprint import bp
from core.db import session
from core.models import CaseStatus
from core.web.auth import current_console_user, login_required
from core.web.i18n import t
from scheduler import case_lifecycle as lifecycle


def _render(case, error: str | None = None, status: int = 200):
    settings = current_app.config["HOTLINE"]
    # the contact number as this user may see it: masked for agents, in full and audited for leads (H25)
    return render_template("console/case.html", c={**case_service.case_dict(case, current_console_user()),
                                                   **lifecycle.lifecycle_dict(case)},
                           departments=settings.cases.departments, statuses=[s.value for s in CaseStatus],
                           work_order_steps=lifecycle.WORK_ORDER_STEPS, satisfaction=lifecycle.SATISFACTION,
                           recordings=recordings.playable_for(session(), case.call_id, current_console_user()),
                           error=error), status


@bp.get("/cases/<ref>")
@login_required()
def case_page(ref: str):
    case = lifecycle.find_case(session(), ref)
    if case is None:
        abort(404)
    return _render(case)


@bp.post("/cases/<ref>")
@login_required()
def case_update(ref: str):
    s = session()
    case = lifecycle.find_case(s, ref)
    if case is None:
        abort(404)
    data = {k: v.strip() for k in lifecycle.FIELDS if (v := request.form.get(k, "")) and v.strip()}
    try:
        lifecycle.update_case(s, current_app.config["HOTLINE"], case, data, current_console_user().id)
    except lifecycle.LifecycleError as exc:
        s.rollback()
        return _render(lifecycle.find_case(s, ref), str(exc), 409 if exc.status == 409 else 400)
    s.commit()
    flash(t("工单已更新", "Case updated"))
    return redirect(url_for("console.case_page", ref=ref))
