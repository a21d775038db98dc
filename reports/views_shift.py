"""Pages: the shift handover log (H24) and major incidents (H26)."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import session, utcnow
from core.models import User
from core.web.auth import current_console_user, login_required
from core.web.i18n import t
from reports import handover, incidents
from reports.models import HandoverLog, MajorIncident
from reports.periods import find_shift, handover_shift, next_shift, shift_instance
from reports.web import LEADS, bad_request, bp, saved, settings


def _log_page(key: str | None):
    s, now, cfg = session(), utcnow(), settings()
    instance = find_shift(cfg, key) if key else handover_shift(cfg, now)
    if instance is None:
        return bad_request(t("没有这个班次", "No such shift") + f": {(key or '')[:60]}", 404)
    log = handover.refresh(s, handover.ensure_log(s, instance, now))
    s.commit()
    following = next_shift(cfg, instance)
    return render_template(
        "reports/handover.html", log=handover.log_dict(s, cfg, log), draft=log.submitted_at is None,
        earlier=handover.earlier_notes(s, log), incoming_shift=following.name if following else None,
        waiting=[handover.log_dict(s, cfg, w) for w in handover.awaiting_acknowledgement(s) if w.id != log.id],
        recent=[handover.log_dict(s, cfg, r) for r in handover.recent_logs(s)],
        shifts=[shift_instance(cfg, sh, instance.day) for sh in cfg.shifts], me=current_console_user())


@bp.get("/handover")
@login_required()
def handover_page():
    return _log_page(None)


@bp.get("/handover/<key>")
@login_required()
def handover_log_page(key: str):
    return _log_page(key)


def _find_log(key: str) -> HandoverLog | None:
    return session().scalar(select(HandoverLog).where(HandoverLog.shift_key == key[:60]))


def _handover_step(key: str, step: Callable[[Session, HandoverLog, User], None], done: str):
    """Submit or acknowledge the handover log ``key`` as the signed-in user: 404 without the log,
    400 (nothing saved) when ``step`` refuses, else saved and back to the log with ``done``."""
    log = _find_log(key)
    if log is None:
        return bad_request(t("没有这份交接记录", "No such handover log"), 404)
    return saved(lambda s, user: step(s, log, user), handover.HandoverError, done,
                 lambda _result: url_for("reports.handover_log_page", key=key))


@bp.post("/handover/<key>/submit")
@login_required()
def handover_submit(key: str):
    def submit(s: Session, log: HandoverLog, user: User) -> None:
        notes = {item.id: request.form.get(f"note-{item.id}", "") for item in log.items}
        handover.submit(s, log, user, request.form.get("notes", ""), notes, utcnow())

    return _handover_step(key, submit, t("交接记录已提交,等待接班人确认。",
                                         "Handover submitted; waiting for the incoming shift."))


@bp.post("/handover/<key>/acknowledge")
@login_required()
def handover_acknowledge(key: str):
    def acknowledge(s: Session, log: HandoverLog, user: User) -> None:
        handover.acknowledge(s, log, user, request.form.get("note", ""), utcnow())

    return _handover_step(key, acknowledge, t("已确认接班。", "Handover acknowledged."))


# -- major incidents (H26) -----------------------------------------------------------------------

@bp.get("/incidents")
@login_required(LEADS)
def incidents_page():
    s, now = session(), utcnow()
    rows = [incidents.as_dict(settings(), i, now) for i in incidents.recent(s)]
    return render_template("reports/incidents.html", rows=rows, form={}, error=None)


@bp.post("/incidents")
@login_required(LEADS)
def incident_record():
    user = current_console_user()
    assert user is not None
    s, now, cfg = session(), utcnow(), settings()
    form = {k: request.form.get(k, "") for k in ("title", "description", "occurred_at")}
    try:
        incident = incidents.record(s, cfg, user, form["title"], form["description"], form["occurred_at"], now)
    except incidents.IncidentError as exc:
        s.rollback()
        rows = [incidents.as_dict(cfg, i, now) for i in incidents.recent(s)]
        return render_template("reports/incidents.html", rows=rows, form=form, error=str(exc)), 400
    s.commit()
    incidents.notify(current_app._get_current_object(), cfg, incident, now)  # H26: the managers, at once
    flash(t("重大事件已记录并已通知经理;书面报告须在明天内提交。",
            "Major incident recorded and the managers notified; the written report is due tomorrow."))
    return redirect(url_for("reports.incident_page", incident_id=incident.id))


def _incident(incident_id: int) -> MajorIncident | None:
    return session().get(MajorIncident, incident_id)


@bp.get("/incidents/<int:incident_id>")
@login_required(LEADS)
def incident_page(incident_id: int):
    incident = _incident(incident_id)
    if incident is None:
        return bad_request(t("没有这个事件", "No such incident"), 404)
    return render_template("reports/incident.html", i=incident,
                           d=incidents.as_dict(settings(), incident, utcnow()), error=None)


@bp.post("/incidents/<int:incident_id>/report")
@login_required(LEADS)
def incident_report(incident_id: int):
    incident = _incident(incident_id)
    if incident is None:
        return bad_request(t("没有这个事件", "No such incident"), 404)
    user = current_console_user()
    assert user is not None
    s = session()
    try:
        incidents.file_report(s, incident, user, request.form.get("report", ""), utcnow())
    except incidents.IncidentError as exc:
        s.rollback()
        return render_template("reports/incident.html", i=incident,
                               d=incidents.as_dict(settings(), incident, utcnow()), error=str(exc)), 400
    s.commit()
    flash(t("书面报告已提交。", "Written report filed."))
    return redirect(url_for("reports.incident_page", incident_id=incident_id))
