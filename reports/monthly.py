"""Monthly report (H23): the month's requests and complaints with their results, charts, and a
written analysis the team lead fills in and signs off. The figures are frozen at sign-off
(``MonthlyReport.snapshot``), so a signed report never changes afterwards; re-opening it (audited)
unfreezes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import AuditLog, User
from reports import data, kpis
from reports.models import MonthlyReport
from reports.periods import Period, month_last_day, parse_month, period, to_local
from reports.summary import summary

MAX_ANALYSIS = 50_000


class MonthlyError(ValueError):
    """A monthly-report step that cannot be done; the message says why."""


def month_period(settings: Settings, month: str) -> Period:
    first = parse_month(month)
    return period(settings, first, month_last_day(first))


def find(s: Session, month: str) -> MonthlyReport | None:
    return s.scalar(select(MonthlyReport).where(MonthlyReport.month == month))


def get_or_create(s: Session, month: str, now: datetime) -> MonthlyReport:
    report = find(s, month)
    if report is None:
        report = MonthlyReport(month=month, analysis="", updated_at=now, snapshot={})
        s.add(report)
        s.flush()
    return report


def save_analysis(s: Session, month: str, user: User, text: str, now: datetime) -> MonthlyReport:
    text = (text or "").strip()
    if len(text) > MAX_ANALYSIS:
        raise MonthlyError(f"analysis: at most {MAX_ANALYSIS} characters")
    report = get_or_create(s, month, now)
    if report.signed_off_at is not None:
        raise MonthlyError("the report is signed off; re-open it to change the analysis")
    report.analysis = text
    report.updated_by_id = user.id
    report.updated_at = now
    s.add(AuditLog(at=now, user_id=user.id, action="monthly_analysis", target=month, detail={"chars": len(text)}))
    return report


def sign_off(s: Session, settings: Settings, month: str, user: User, now: datetime) -> MonthlyReport:
    report = get_or_create(s, month, now)
    if report.signed_off_at is not None:
        raise MonthlyError("the report is signed off already")
    if not report.analysis.strip():
        raise MonthlyError("analysis: write the analysis before signing off (H23)")
    p = month_period(settings, month)
    report.snapshot = {"summary": summary(s, settings, p, now), "daily": daily(s, settings, p)}
    report.signed_off_by_id = user.id
    report.signed_off_at = now
    s.add(AuditLog(at=now, user_id=user.id, action="monthly_sign_off", target=month, detail={}))
    return report


def reopen(s: Session, month: str, user: User, now: datetime) -> MonthlyReport:
    report = find(s, month)
    if report is None or report.signed_off_at is None:
        raise MonthlyError("the report is not signed off")
    s.add(AuditLog(at=now, user_id=user.id, action="monthly_reopen", target=month,
                   detail={"signed_off_at": report.signed_off_at.isoformat() + "Z",
                           "signed_off_by_id": report.signed_off_by_id}))
    report.signed_off_at = None
    report.signed_off_by_id = None
    report.snapshot = {}
    return report


def daily(s: Session, settings: Settings, p: Period) -> list[dict[str, Any]]:
    """Per local day: calls in, answered, abandoned, service level and cases opened (chart series)."""
    zone = settings.hours.zone
    rows = kpis.grouped(data.call_rows(s, p.start, p.end), lambda r: to_local(r.started_at, zone).date())
    cases = kpis.grouped(data.cases_created(s, p.start, p.end), lambda c: to_local(c.created_at, zone).date())
    out = []
    for n in range(p.days):
        day = p.first + timedelta(days=n)
        block = kpis.call_kpis(rows.get(day, []), threshold_s=settings.answer.threshold_s,
                               short_abandon_s=settings.queue.short_abandon_s, max_s=settings.calls.max_s)
        out.append({"day": day.isoformat(), "in": block["in"], "answered": block["answered"],
                    "abandoned": block["abandoned"], "service_level": block["service_level"],
                    "cases": len(cases.get(day, []))})
    return out


def view(s: Session, settings: Settings, month: str, now: datetime) -> dict[str, Any]:
    """Everything the page shows: frozen figures when signed off, else live ones."""
    p = month_period(settings, month)
    report = find(s, month)
    frozen = report is not None and report.signed_off_at is not None and report.snapshot
    figures = report.snapshot if frozen and report else {"summary": summary(s, settings, p, now),
                                                         "daily": daily(s, settings, p)}
    users = data.users_by_id(s, {u for u in ((report.signed_off_by_id, report.updated_by_id) if report else ()) if u})

    def who(user_id: int | None) -> str | None:
        user = users.get(user_id) if user_id else None
        return (user.display_name or user.name) if user else None

    zone = settings.hours.zone
    return {
        "month": month, "first": p.first.isoformat(), "last": p.last.isoformat(),
        "summary": figures["summary"], "daily": figures["daily"], "frozen": bool(frozen),
        "analysis": report.analysis if report else "",
        "signed_off_by": who(report.signed_off_by_id) if report else None,
        "signed_off_at": to_local(report.signed_off_at, zone).strftime("%Y-%m-%d %H:%M")
        if report and report.signed_off_at else None,
        "updated_by": who(report.updated_by_id) if report else None,
    }
