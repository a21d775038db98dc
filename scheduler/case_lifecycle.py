"""A case's life after it is opened: status, department, work order, resolution, satisfaction.

One service for ``PATCH /api/cases/<ref>`` and the console's case page. Every field is checked
(``LifecycleError`` names it) before anything changes, so bad input leaves the case as it was.

- ``status``: open / dispatched / resolved / closed. Resolving or closing stamps ``resolved_at``
  (and ``replied_at``: the caller has their answer, H14); reopening clears ``resolved_at``.
- ``department``: one of ``cases.departments`` (H13); an open case given one is dispatched.
- ``work_order``: ``dispatched`` or ``returned`` (a repair's only), at ``work_order_at`` or now.
  A returned work order schedules the H16 satisfaction call-back for the next day
  (``followup_callbacks.mark_work_order_returned``); returning it twice is refused.
- ``resolution``: what was done, in words (kept on the case).
- ``satisfaction``: the caller's verdict given to a person — satisfied / dissatisfied or one of
  the H19 answers. On a complaint it is one H17 call-back result (``record_callback_result``);
  on other cases it is kept as the case's satisfaction.

The H16/H17 outcomes (``lifecycle_dict``) appear on the case page and in ``GET /api/cases``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import parse_instant
from core.config import Settings
from core.db import utcnow
from core.models import AuditLog, Case, CaseKind, CaseStatus
from scheduler import followup_callbacks, followup_records
from scheduler.script_answers import SCALE

FIELDS = ("status", "department", "work_order", "work_order_at", "resolution", "satisfaction", "note")
WORK_ORDER_STEPS = ("dispatched", "returned")
SATISFACTION = ("satisfied", "dissatisfied", *SCALE)
MAX_RESOLUTION = 2000


class LifecycleError(ValueError):
    """Bad lifecycle input; the message starts with the field (``status: must be one of …``)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def _when(value: Any, settings: Settings, now: datetime) -> datetime:
    """``work_order_at``: ISO 8601 (no offset = local time, ``hours.timezone``), not in the future."""
    if value in (None, ""):
        return now
    if not isinstance(value, str):
        raise LifecycleError("work_order_at: must be an ISO 8601 date-time")
    try:
        moment = parse_instant(value, ZoneInfo(settings.hours.timezone))
    except ValueError:
        raise LifecycleError("work_order_at: must be an ISO 8601 date-time such as 2026-11-25T17:00") from None
    if moment > now:
        raise LifecycleError("work_order_at: must not be in the future")
    return moment


def _choice(data: Mapping[str, Any], field: str, allowed: tuple[str, ...] | list[str]) -> str | None:
    value = data.get(field)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or value not in allowed:
        raise LifecycleError(f"{field}: must be one of {', '.join(allowed)}")
    return value


def validate(data: Any, settings: Settings, case: Case) -> dict[str, Any]:
    """Clean PATCH input (only the fields given), or LifecycleError naming the first bad one."""
    if not isinstance(data, Mapping):
        raise LifecycleError("body: must be a JSON object")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise LifecycleError(f"{unknown[0]}: not a field that can be updated ({', '.join(FIELDS)})")
    clean: dict[str, Any] = {}
    clean["status"] = _choice(data, "status", [s.value for s in CaseStatus])
    clean["department"] = _choice(data, "department", settings.cases.departments)
    clean["work_order"] = _choice(data, "work_order", WORK_ORDER_STEPS)
    clean["satisfaction"] = _choice(data, "satisfaction", SATISFACTION)
    for field, limit in (("resolution", MAX_RESOLUTION), ("note", 500)):
        value = data.get(field)
        if value is not None and (not isinstance(value, str) or len(value.strip()) > limit):
            raise LifecycleError(f"{field}: text of at most {limit} characters")
        clean[field] = value.strip() if isinstance(value, str) and value.strip() else None
    if clean["work_order"]:
        if case.kind != CaseKind.REPAIR:
            raise LifecycleError(f"work_order: only a repair has a work order (this case is a {case.kind})")
        clean["work_order_at"] = _when(data.get("work_order_at"), settings, utcnow())
        if clean["work_order"] == "returned" and case.work_order_returned_at is not None:
            raise LifecycleError(f"work_order: already returned at {_iso(case.work_order_returned_at)}", 409)
    elif data.get("work_order_at") not in (None, ""):
        raise LifecycleError("work_order_at: give it with work_order")
    if not any(v is not None for v in clean.values()):
        raise LifecycleError(f"body: nothing to update (fields: {', '.join(FIELDS)})")
    return clean


def _set_outcome(case: Case, key: str, value: Any) -> None:
    case.outcome = {**(case.outcome or {}), key: value}


def _apply_status(case: Case, clean: dict[str, Any], now: datetime) -> None:
    status = clean["status"]
    if clean["department"]:
        case.department = clean["department"]
        if status is None and case.status == CaseStatus.OPEN:
            status = CaseStatus.DISPATCHED  # H13: to the responsible department's list
    if status is None:
        return
    if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        case.resolved_at = case.resolved_at or now
        case.replied_at = case.replied_at or now  # H14: the caller has their answer
    else:
        case.resolved_at = None
    case.status = status


def _apply_work_order(s: Session, settings: Settings, case: Case, clean: dict[str, Any],
                      user_id: int | None) -> None:
    step, at = clean["work_order"], clean.get("work_order_at")
    if step is None:
        return
    order = dict((case.outcome or {}).get("work_order") or {})
    order[f"{step}_at"] = _iso(at)
    if user_id:
        order[f"{step}_by"] = user_id
    if step == "returned":
        order.setdefault("dispatched_at", _iso(at))
    _set_outcome(case, "work_order", order)
    if step == "dispatched" and case.status == CaseStatus.OPEN:
        case.status = CaseStatus.DISPATCHED
    if step == "returned":
        followup_callbacks.mark_work_order_returned(s, settings, case, at)  # H16: satisfaction call-back


def update_case(s: Session, settings: Settings, case: Case, data: Any, user_id: int | None = None) -> list[str]:
    """Validate and apply ``data``; returns the fields changed (audited). The caller commits."""
    clean = validate(data, settings, case)
    now = utcnow()
    _apply_status(case, clean, now)
    if clean["resolution"]:
        _set_outcome(case, "resolution", {"text": clean["resolution"], "at": _iso(now), "by": user_id})
    _apply_work_order(s, settings, case, clean, user_id)
    if clean["satisfaction"]:
        if case.kind == CaseKind.COMPLAINT:
            followup_records.record_callback_result(s, settings, case, clean["satisfaction"], note=clean["note"],
                                            user_id=user_id)  # H17: each result recorded
        else:
            _set_outcome(case, "satisfaction", {"result": clean["satisfaction"], "at": _iso(now), "by": user_id,
                                                **({"note": clean["note"]} if clean["note"] else {})})
    case.updated_at = now
    changed = [k for k, v in clean.items() if v is not None and k != "work_order_at"]
    s.add(AuditLog(user_id=user_id, action="case_update", target=f"case:{case.ref}",
                   detail={k: (str(clean[k])[:200]) for k in changed}))
    return changed


def lifecycle_dict(case: Case) -> dict[str, Any]:
    """The lifecycle and follow-up outcomes of a case, for the API and the case page."""
    outcome = case.outcome or {}
    order = dict(outcome.get("work_order") or {})
    if case.work_order_returned_at is not None:
        order["returned_at"] = _iso(case.work_order_returned_at)
    return {
        "replied_at": _iso(case.replied_at),
        "escalated_at": _iso(case.escalated_at),  # H15
        "work_order": {"dispatched_at": order.get("dispatched_at"), "returned_at": order.get("returned_at")},
        "resolution": (outcome.get("resolution") or {}).get("text"),
        "satisfaction": outcome.get("satisfaction"),
        "followups": {
            "h16_callback": outcome.get("h16_callback"),  # repair satisfaction call-back (H16)
            "h17_callbacks": outcome.get("h17_callbacks", []),  # complaint call-backs (H17)
            "h17_satisfied": bool(outcome.get("h17_satisfied")),
        },
    }


def find_case(s: Session, ref: str) -> Case | None:
    return s.scalar(select(Case).where(Case.ref == ref[:24]))
