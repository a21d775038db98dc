"""``GET|POST /api/cases``, ``PATCH /api/cases/<ref>``: bearer tokens, typed models, JSON errors.

Agents get contact numbers masked (H25); leads and admins see them in full. A body or query that
does not match its model gets 400; one that matches but breaks a rule (a repair without a
place, a number that cannot be dialed, a deadline in the past) gets 422 naming the field.
"""

from __future__ import annotations

from typing import Any, Literal

from flask import current_app, url_for
from pydantic import ConfigDict, Field

from agent_console import case_service as cases
from agent_console import lookups
from core.api import (
    ApiError,
    Body,
    LocalDateTime,
    PathParams,
    Query,
    Reply,
    api_auth,
    api_blueprint,
    current_user,
    reply,
    responses,
)
from core.cases import KINDS, SOURCES
from core.db import session
from core.models import Case, CaseStatus, User
from core.phone import InvalidNumber, to_e164
from scheduler import case_lifecycle as lifecycle

bp = api_blueprint("console_api_cases", __name__)

Kind = Literal[tuple(sorted(KINDS))]  # type: ignore[valid-type]
Status = Literal[tuple(s.value for s in CaseStatus)]  # type: ignore[valid-type]


def _text(limit: int, description: str = "") -> Any:
    return Field(default=None, max_length=limit, description=description or None)


class CaseQuery(Query):
    status: Status | None = None
    kind: Kind | None = None
    phone: str | None = Field(default=None, min_length=1, max_length=40,
                              description="the caller's or the contact number, any common notation")
    overdue: Literal["true", "false"] | None = Field(default=None, description="past reply_due_at, not replied")
    department: str | None = Field(default=None, min_length=1, description="one of cases.departments")
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=20, ge=1, le=100)


class NewCase(Body):
    """A case to open (H12-H14); ``place`` is required for a repair."""

    kind: Kind
    description: str = Field(max_length=cases.LIMITS["description"], pattern=r"\S",
                             description="what the caller needs")
    place: str | None = _text(cases.LIMITS["place"], "building/room or place (H12); required for a repair")
    contact_number: str | None = _text(40, "any dialable form; stored as E.164")
    caller_name: str | None = _text(cases.LIMITS["caller_name"])
    district: str | None = _text(cases.LIMITS["district"])
    urgent: bool | None = None
    department: str | None = Field(default=None, description="one of cases.departments")
    reply_due_at: LocalDateTime | None = Field(default=None, description="default now + cases.reply_within_h "
                                                                         "(H14); no offset = local time")
    answered: bool | None = Field(default=None, description="answered on the call: resolved at once")
    call_sid: str | None = Field(default=None, max_length=64, description="links the case to this call")
    source: Literal[tuple(sorted(SOURCES))] | None = None  # type: ignore[valid-type]


class CaseUpdate(Body):
    """The fields to change; at least one."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    department: str | None = Field(default=None, description="one of cases.departments")
    work_order: Literal[lifecycle.WORK_ORDER_STEPS] | None = Field(  # type: ignore[valid-type]
        default=None, description="repairs only; returned schedules the satisfaction call-back (H16)")
    work_order_at: LocalDateTime | None = Field(default=None, description="default now; no offset = local time")
    resolution: str | None = Field(default=None, max_length=lifecycle.MAX_RESOLUTION)
    satisfaction: Literal[lifecycle.SATISFACTION] | None = None  # type: ignore[valid-type]
    note: str | None = Field(default=None, max_length=500)


class CaseRef(PathParams):
    ref: str = Field(min_length=1, max_length=24)


class CaseReply(Reply):
    """A case; ``contact_number`` is E.164, masked for agents (H25)."""

    id: int
    ref: str
    kind: str
    status: str
    urgent: bool
    description: str | None = None
    place: str | None = None
    department: str | None = None
    contact_number: str | None = None
    reply_due_at: str | None = None
    overdue: bool


class CasePage(Reply):
    items: list[CaseReply]
    page: int
    per_page: int
    total: int


def _phone(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        return to_e164(raw, current_app.config["HOTLINE"].campaigns.default_region)
    except InvalidNumber as exc:
        raise ApiError(f"phone: {exc}", 422) from None


@bp.get("/cases", responses=responses({200: CasePage}, 422))
@api_auth()
def list_cases(query: CaseQuery):
    """List cases (filters, paginated). 422: a department not in cases.departments or a number
    that cannot be dialed."""
    settings = current_app.config["HOTLINE"]
    if query.department is not None and query.department not in settings.cases.departments:
        raise ApiError(f"department: must be one of {', '.join(settings.cases.departments)}", 422)
    rows, total = cases.search(
        session(), settings, status=query.status, kind=query.kind, phone=_phone(query.phone),
        overdue=None if query.overdue is None else query.overdue == "true",
        department=query.department, page=query.page, per_page=query.per_page)
    return reply(CasePage, {"items": [_case_body(c, current_user()) for c in rows], "page": query.page,
                            "per_page": query.per_page, "total": total})


def _case_body(case: Case, viewer: User) -> dict:
    """The case with its lifecycle and follow-up outcomes (H15-H17); numbers as ``viewer`` may see them."""
    return {**cases.case_dict(case, viewer), **lifecycle.lifecycle_dict(case)}


@bp.patch("/cases/<ref>", responses=responses({200: CaseReply}, 404, 409, 413, 422))
@api_auth()
def update_case(path: CaseRef, body: CaseUpdate):
    """Update a case: status, department, work order (returned: H16 call-back), resolution,
    satisfaction (H17 on complaints). 409: a change the case's state does not allow."""
    s = session()
    case = lifecycle.find_case(s, path.ref)
    if case is None:
        raise ApiError("ref: no such case", 404)
    try:
        lifecycle.update_case(s, current_app.config["HOTLINE"], case, body.model_dump(exclude_none=True),
                              current_user().id)
    except lifecycle.LifecycleError as exc:
        s.rollback()
        raise ApiError(str(exc), 409 if exc.status == 409 else 422) from None
    s.commit()
    return reply(CaseReply, _case_body(case, current_user()))


@bp.post("/cases", responses=responses({201: CaseReply}, 413, 422))
@api_auth()
def create_case(body: NewCase):
    """Open a case (H12-H14). 422: a rule refuses a field (the message names it)."""
    settings = current_app.config["HOTLINE"]
    s = session()
    call = None
    if body.call_sid:
        call = lookups.call_by_sid(s, body.call_sid)
        if call is None:
            raise ApiError("call_sid: no such call", 422)
        call = lookups.conversation_call(s, call) or call
    try:
        clean = cases.validate(body.model_dump(exclude_none=True), settings)
        case = cases.create(s, settings, current_user(), clean, call=call)
    except cases.FieldError as exc:
        raise ApiError(exc.message("en"), 422) from None
    s.commit()
    location = url_for("console_api_cases.list_cases", _external=False) + f"?id={case.id}"
    return reply(CaseReply, _case_body(case, current_user()), 201, {"Location": location})
