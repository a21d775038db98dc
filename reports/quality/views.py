"""Quality pages (``/console/quality/...``): the lead's daily spot-check list, one review (transcript
with its flags, each item with its evidence; leads confirm or override and complete), the agent's
own results, and QA scores per agent and item over a date range with CSV."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from agent_console import recordings
from core.db import session, utcnow
from core.models import Call
from core.web.auth import current_console_user, login_required
from core.web.i18n import t
from reports.csvout import csv_response
from reports.periods import PeriodError, local_today, parse_date, period_from_args, to_local
from reports.quality import checks, figures, sampling
from reports.quality import scorecard as sc
from reports.quality.models import QaReview
from reports.quality.review import facts_of
from reports.web import LEADS, bad_request, bp, settings

ITEM_NAMES: dict[str, tuple[str, str]] = {
    "H1": ("自报公司和部门", "Greeting names company and department"),
    "H2": ("久等致歉", "Apology after a long wait"),
    "H6": ("询问贵姓和城区", "Surname and district asked"),
    "H8": ("复述要点", "Key points repeated back"),
    "H7": ("通话时长", "Call length"),
    "S": ("无禁用语 (S1–S9)", "No forbidden phrasing (S1–S9)"),
    "H10": ("清晰结束", "Clear closing"),
    "H12": ("登记案件 (H12–H14)", "Case logged (H12–H14)"),
}
RESULT_NAMES = {sc.PASS: ("合格", "Pass"), sc.FAIL: ("不合格", "Fail"), sc.NA: ("不适用", "N/A")}
CSV_TABLES = ("agents", "items", "reviews")


def item_name(code: str) -> str:
    names = ITEM_NAMES.get(code)
    return t(*names) if names else code


def result_name(result: str | None) -> str:
    names = RESULT_NAMES.get(result or "")
    return t(*names) if names else "—"


def local_time(utc: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as the hotline's local wall time (``hours.timezone``)."""
    return "" if utc is None else to_local(utc, settings().hours.zone).strftime(fmt)


def _names(ids: set[int | None]) -> dict[int, str]:
    return figures.user_names(session(), ids)


@bp.get("/quality/spot-checks")
@login_required(LEADS)
def quality_spot_checks():
    try:
        day = parse_date(request.args.get("day"), "day") or local_today(settings(), utcnow())
    except PeriodError as exc:
        return bad_request(str(exc))
    s = session()
    picks = sampling.spot_checks(current_app._get_current_object(), s, settings(), day, utcnow())  # type: ignore[attr-defined]
    reviews = {r.call_id: r for r in s.scalars(select(QaReview).where(QaReview.call_id.in_([p.call_id for p in picks])))}
    calls = {c.id: c for c in s.scalars(select(Call).where(Call.id.in_([p.call_id for p in picks])))}
    names = _names({p.agent_id for p in picks})
    zone = settings().hours.zone
    rows = [{"pick": p, "review": reviews.get(p.call_id), "agent": names.get(p.agent_id),
             "at": to_local(calls[p.call_id].started_at, zone).strftime("%H:%M") if p.call_id in calls else ""}
            for p in picks]
    return render_template("quality/spot_checks.html", rows=rows, day=day, per_agent=settings().quality.spot_checks_per_agent)


def _review_or_404(review_id: int) -> QaReview:
    review = session().scalar(select(QaReview).where(QaReview.id == review_id).options(selectinload(QaReview.items)))
    if review is None:
        abort(404)
    user = current_console_user()
    if user is None or not checks.can_see(user, review):
        abort(403)
    return review


@bp.get("/quality/reviews/<int:review_id>")
@login_required
def quality_review(review_id: int):
    review = _review_or_404(review_id)
    s = session()
    call = s.get(Call, review.call_id)
    lines = facts_of(s, settings(), call).lines if call is not None else ()
    user = current_console_user()
    names = _names({review.agent_id, review.checked_by_id})
    return render_template("quality/review.html", review=review, call=call, agent=names.get(review.agent_id or 0),
                           checked_by=names.get(review.checked_by_id or 0), lines=checks.transcript_rows(review, list(lines)),
                           can_check=user is not None and user.role in LEADS, results=checks.RESULTS,
                           recordings=recordings.playable_for(s, review.call_id, user))


@bp.post("/quality/reviews/<int:review_id>")
@login_required(LEADS)
def quality_review_complete(review_id: int):
    review = _review_or_404(review_id)
    lead = current_console_user()
    assert lead is not None
    s = session()
    try:
        checks.complete(s, lead, review, request.form)
    except checks.CheckError as exc:
        s.rollback()
        return bad_request(str(exc))
    s.commit()
    flash(t("抽查已完成。", "Spot-check completed."))
    return redirect(url_for("reports.quality_spot_checks", day=review.day.isoformat()))


@bp.get("/quality/mine")
@login_required
def quality_mine():
    user = current_console_user()
    assert user is not None
    reviews = session().scalars(select(QaReview).where(QaReview.agent_id == user.id).options(selectinload(QaReview.items))
                                .order_by(QaReview.day.desc(), QaReview.id.desc()).limit(200)).all()
    return render_template("quality/mine.html", reviews=reviews, checkers=_names({r.checked_by_id for r in reviews}))


def _reviews(s: Any) -> tuple[Any, list[QaReview]]:
    """The period of ``?from=&to=`` and its reviews (one agent's with ``?agent=<user id>``)."""
    p = period_from_args(settings(), request.args.get("from"), request.args.get("to"), utcnow())
    raw = (request.args.get("agent") or "").strip()
    if raw and not raw.isdigit():
        raise PeriodError("agent: a user id")
    return p, figures.reviews_between(s, p.first, p.last, int(raw) if raw else None)


@bp.get("/quality/report")
@login_required(LEADS)
def quality_report():
    s = session()
    try:
        p, reviews = _reviews(s)
    except PeriodError as exc:
        return bad_request(str(exc))
    return render_template("quality/report.html", agents=figures.by_agent(s, reviews), items=figures.by_item(reviews),
                           codes=sc.ITEMS, query={"from": p.first.isoformat(), "to": p.last.isoformat()},
                           total=len(reviews), csv_tables=CSV_TABLES)


@bp.get("/quality/report/<name>.csv")
@login_required(LEADS)
def quality_report_csv(name: str):
    if name not in CSV_TABLES:
        return bad_request(f"no table {name[:40]!r} (use {', '.join(CSV_TABLES)})", 404)
    s = session()
    try:
        p, reviews = _reviews(s)
    except PeriodError as exc:
        return bad_request(str(exc))
    header, rows = csv_table(s, name, reviews)
    return csv_response(f"hotline-quality-{name}-{p.first}-{p.last}.csv", header, rows)


def csv_table(s: Any, name: str, reviews: list[QaReview]) -> tuple[list[str], list[list[Any]]]:
    if name == "items":
        items = figures.by_item(reviews)
        cols = ["item", "passed", "failed", "not_applicable", "pass_rate"]
        return cols, [[i[c] for c in cols] for i in items]
    if name == "agents":
        agents = figures.by_agent(s, reviews)
        cols = ["agent", "display_name", "reviews", "checked", "flagged", "mean_score"]
        return cols + list(sc.ITEMS), [[a[c] for c in cols] + [a["items"].get(code) for code in sc.ITEMS]
                                       for a in agents]
    names = _names({r.agent_id for r in reviews})
    cols = ["id", "call_id", "day", "agent", "score", "flagged", "complaint", "checked_at", "comment"]
    rows = []
    for r in reviews:
        finals = {i.code: i.final for i in r.items}
        rows.append([r.id, r.call_id, r.day.isoformat(), names.get(r.agent_id or 0), r.score, r.flagged, r.complaint,
                     r.checked_at.isoformat() if r.checked_at else None, r.comment] + [finals.get(c) for c in sc.ITEMS])
    return cols + list(sc.ITEMS), rows
