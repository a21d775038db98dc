"""Cases from the console form and the API (H12-H14).

One validator for both: every field checked, errors name the field (``FieldError``, in
English and Chinese). Contact numbers become E.164; the reply deadline defaults to
``cases.reply_within_h`` (H14: one day). A case the agent answered on the call is resolved at
once; one that names a department and was not answered goes to that department's list (H13).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from agent_console.desk import iso
from core.cases import KINDS, CaseError, open_case
from core.clock import parse_instant
from core.config import Settings
from core.db import utcnow
from core.disclosure import phone_for
from core.models import Call, Caller, Case, CaseStatus, User
from core.phone import InvalidNumber, to_e164

FORM_KINDS = ("routine", "repair", "complaint", "inquiry")  # H13
OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.DISPATCHED)
LIMITS = {"description": 10_000, "place": 200, "caller_name": 80, "district": 60}


class FieldError(ValueError):
    def __init__(self, field: str, en: str, zh: str | None = None):
        super().__init__(f"{field}: {en}")
        self.field, self.en, self.zh = field, en, zh or en

    def message(self, lang: str = "en") -> str:
        return f"{self.field}: {self.zh if lang == 'zh-CN' else self.en}"


def _text(data: Mapping[str, Any], field: str, required: bool = False, zh_name: str = "") -> str | None:
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FieldError(field, "required", f"{zh_name}必填")
        return None
    if not isinstance(value, str):
        raise FieldError(field, "must be text", f"{zh_name}应为文字")
    value = value.strip()
    if len(value) > LIMITS[field]:
        raise FieldError(field, f"at most {LIMITS[field]} characters", f"{zh_name}最多 {LIMITS[field]} 个字符")
    return value


def _bool(data: Mapping[str, Any], field: str) -> bool:
    value = data.get(field, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "on", "yes", "urgent"):
        return True
    if value in (None, "", 0) or (isinstance(value, str) and value.lower() in ("false", "0", "off", "no", "normal")):
        return False
    raise FieldError(field, "must be true or false", "应为是或否")


def parse_deadline(value: Any, settings: Settings, now: datetime) -> datetime:
    """ISO 8601; without an offset it is local time (``hours.timezone``). Returns naive UTC."""
    if value in (None, ""):
        return now + timedelta(hours=settings.cases.reply_within_h)  # H14
    if not isinstance(value, str):
        raise FieldError("reply_due_at", "must be an ISO 8601 date-time", "应为日期时间")
    try:
        utc = parse_instant(value, ZoneInfo(settings.hours.timezone))
    except ValueError:
        raise FieldError("reply_due_at", "must be an ISO 8601 date-time such as 2026-11-25T17:00",
                         "应为日期时间,例如 2026-11-25T17:00") from None
    if utc <= now:
        raise FieldError("reply_due_at", "must be in the future", "应晚于现在")
    if utc > now + timedelta(days=366):
        raise FieldError("reply_due_at", "must be within a year", "应在一年之内")
    return utc


def validate(data: Mapping[str, Any], settings: Settings, *, form_kinds_only: bool = False) -> dict[str, Any]:
    """Clean case input, or FieldError naming the first bad field."""
    if not isinstance(data, Mapping):
        raise FieldError("body", "must be a JSON object", "应为 JSON 对象")
    allowed = FORM_KINDS if form_kinds_only else tuple(sorted(KINDS))
    kind = data.get("kind")
    if kind in (None, ""):
        raise FieldError("kind", "required", "类型必填")
    if kind not in allowed:
        raise FieldError("kind", f"must be one of {', '.join(allowed)}", f"类型应为 {', '.join(allowed)} 之一")
    out: dict[str, Any] = {"kind": kind}
    out["description"] = _text(data, "description", required=True, zh_name="描述")
    out["place"] = _text(data, "place", zh_name="地点")
    if kind == "repair" and not out["place"]:
        raise FieldError("place", "required for a repair (building/room or place, H12)",
                         "报修必须填写楼栋/房号或地点(H12)")
    out["caller_name"] = _text(data, "caller_name", zh_name="来电人")
    out["district"] = _text(data, "district", zh_name="城区")
    number = data.get("contact_number")
    if number not in (None, ""):
        if not isinstance(number, str):
            raise FieldError("contact_number", "must be text", "应为文字")
        try:
            out["contact_number"] = to_e164(number, settings.campaigns.default_region)
        except InvalidNumber as exc:
            raise FieldError("contact_number", str(exc), "不是有效的电话号码") from None
    else:
        out["contact_number"] = None
    out["urgent"] = _bool(data, "urgent")
    department = data.get("department")
    if department not in (None, ""):
        if department not in settings.cases.departments:
            raise FieldError("department", f"must be one of {', '.join(settings.cases.departments)}",
                             "部门不在列表中")
        out["department"] = department
    else:
        out["department"] = None
    out["answered"] = _bool(data, "answered")
    out["reply_due_at"] = parse_deadline(data.get("reply_due_at"), settings, utcnow())
    source = data.get("source") or "call"
    if source not in ("call", "visit", "letter", "online", "voicemail", "campaign"):
        raise FieldError("source", "must be one of call, visit, letter, online, voicemail, campaign", "来源无效")
    out["source"] = source
    return out


def create(s: Session, settings: Settings, user: User | None, clean: dict[str, Any],
           call: Call | None = None, use_caller_number: bool = False) -> Case:
    """Open the case (``core.cases.open_case``), linked to the call and its caller."""
    caller: Caller | None = call.caller if call is not None else None
    contact = clean["contact_number"]
    if contact is None and use_caller_number and caller is not None:
        contact = caller.phone
    try:
        case = open_case(s, settings, kind=clean["kind"], description=clean["description"] or "",
                         source=clean["source"], caller_id=caller.id if caller else None,
                         call_id=call.id if call else None, caller_name=clean["caller_name"],
                         contact_number=contact, place=clean["place"],
                         district=clean["district"] or (caller.district if caller else None),
                         department=clean["department"], urgent=clean["urgent"],
                         created_by_id=user.id if user else None, reply_due_at=clean["reply_due_at"])
    except CaseError as exc:
        field, _, reason = str(exc).partition(": ")
        raise FieldError(field, reason) from None
    now = utcnow()
    if clean["answered"]:
        case.status, case.replied_at, case.resolved_at = CaseStatus.RESOLVED, now, now
    elif clean["department"]:
        case.status = CaseStatus.DISPATCHED  # H13/H14: to the responsible department's list
    return case


def case_dict(case: Case, viewer: User | None = None) -> dict[str, Any]:
    """The case as JSON; the contact number as ``viewer`` may see it (masked when None, H25)."""
    number = case.contact_number
    return {"id": case.id, "ref": case.ref, "kind": case.kind, "status": case.status, "urgent": case.urgent,
            "source": case.source, "description": case.description, "place": case.place,
            "district": case.district, "department": case.department, "caller_name": case.caller_name,
            "contact_number": phone_for(viewer, number),
            "call_id": case.call_id, "caller_id": case.caller_id, "created_at": iso(case.created_at),
            "reply_due_at": iso(case.reply_due_at), "resolved_at": iso(case.resolved_at),
            "overdue": bool(case.reply_due_at and case.status in OPEN_STATUSES and case.replied_at is None
                            and case.reply_due_at < utcnow())}


def search(s: Session, settings: Settings, *, status: str | None = None, kind: str | None = None,
           phone: str | None = None, overdue: bool | None = None, department: str | None = None,
           page: int = 1, per_page: int = 20) -> tuple[list[Case], int]:
    """Filtered, newest first, paginated (urgent first within the open ones, H13)."""
    query = select(Case)
    if status:
        query = query.where(Case.status == status)
    if kind:
        query = query.where(Case.kind == kind)
    if department:
        query = query.where(Case.department == department)
    if phone:
        query = query.outerjoin(Caller, Caller.id == Case.caller_id).where(
            or_(Case.contact_number == phone, Caller.phone == phone))
    if overdue is not None:
        now = utcnow()
        late = and_(Case.status.in_(OPEN_STATUSES), Case.replied_at.is_(None), Case.reply_due_at < now)
        on_time = or_(Case.status.not_in(OPEN_STATUSES), Case.replied_at.is_not(None),
                      Case.reply_due_at.is_(None), Case.reply_due_at >= now)
        query = query.where(late if overdue else on_time)
    total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = s.scalars(query.order_by(Case.urgent.desc(), Case.created_at.desc(), Case.id.desc())
                     .offset((page - 1) * per_page).limit(per_page))
    return list(rows), total
