"""The audit-log viewer: sign-ins, number reveals (H25), library edits, campaign
actions — whatever the parts write to ``core.models.AuditLog`` — filtered by action, user, text and
local date range, newest first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import AuditLog, User
from reports.periods import Period, PeriodError, local_today, parse_date, period, to_local

PAGE_SIZE = 100
MAX_EXPORT = 50_000
#: Named groups of actions (the filter's shortcuts); other actions are matched exactly.
GROUPS: dict[str, tuple[str, ...]] = {
    "sign_ins": ("sign_in", "sign_in_failed", "sign_out"),
    "reveals": ("reveal_number", "number_reveal", "reveal"),
    "library": ("library_add", "library_edit", "library_retire", "library_restore"),
    "campaigns": ("campaign_",),
}


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    user: str = ""
    text: str = ""
    period: Period | None = None
    page: int = 1


def parse_filter(settings: Settings, args: Mapping[str, str], now: datetime) -> AuditFilter:
    """Query parameters → a filter; bad dates raise PeriodError (the view answers 400)."""
    first = parse_date(args.get("from"), "from")
    last = parse_date(args.get("to"), "to")
    p = None
    if first or last:
        today = local_today(settings, now)
        p = period(settings, first or last or today, last or today)
    raw_page = (args.get("page") or "1").strip()
    if not raw_page.isdigit() or not 1 <= int(raw_page) <= 100_000:
        raise PeriodError("page: a positive whole number")
    return AuditFilter(action=(args.get("action") or "").strip()[:40], user=(args.get("user") or "").strip()[:64],
                       text=(args.get("q") or "").strip()[:120], period=p, page=int(raw_page))


def _query(f: AuditFilter) -> Any:
    query = select(AuditLog, User.name).outerjoin(User, AuditLog.user_id == User.id)
    if f.action:
        names = GROUPS.get(f.action, (f.action,))
        query = query.where(or_(*[AuditLog.action.startswith(n) if n.endswith("_") else AuditLog.action == n
                                  for n in names]))
    if f.user:
        query = query.where(User.name == f.user)
    if f.text:
        query = query.where(AuditLog.target.contains(f.text, autoescape=True))
    if f.period is not None:
        query = query.where(AuditLog.at >= f.period.start, AuditLog.at < f.period.end)
    return query


def search(s: Session, settings: Settings, f: AuditFilter, limit: int = PAGE_SIZE) -> dict[str, Any]:
    query = _query(f)
    total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = s.execute(query.order_by(AuditLog.at.desc(), AuditLog.id.desc())
                     .offset((f.page - 1) * limit).limit(limit)).all()
    return {"total": total, "page": f.page, "pages": max(1, -(-total // limit)),
            "rows": [row_dict(settings, log, name) for log, name in rows]}


def export_rows(s: Session, settings: Settings, f: AuditFilter) -> list[list[Any]]:
    rows = s.execute(_query(f).order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(MAX_EXPORT)).all()
    out = []
    for log, name in rows:
        item = row_dict(settings, log, name)
        out.append([item["at"], item["user"], item["action"], item["target"], item["detail"]])
    return out


def row_dict(settings: Settings, log: AuditLog, user_name: str | None) -> dict[str, Any]:
    detail = ", ".join(f"{k}={v}" for k, v in sorted((log.detail or {}).items()))
    return {"id": log.id, "at": to_local(log.at, settings.hours.zone).strftime("%Y-%m-%d %H:%M:%S"),
            "user": user_name or "", "action": log.action, "target": log.target or "", "detail": detail[:500]}


def actions(s: Session) -> list[str]:
    return list(s.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))
