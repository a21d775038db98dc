"""``GET|POST /api/cases``: bearer tokens, JSON errors naming the field.

Agents get contact numbers masked (H25); leads and admins see them in full.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, request, url_for

from agent_console import case_service as cases
from agent_console import lookups
from core.api import ApiError, api_auth, current_user, json_body, openapi_paths
from core.db import session
from core.models import Case, CaseStatus, User
from core.phone import InvalidNumber, to_e164
from scheduler import case_lifecycle as lifecycle

bp = Blueprint("console_api_cases", __name__, url_prefix="/api")


def _int(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not lo <= int(raw) <= hi:
        raise ApiError(f"{name}: must be a whole number from {lo} to {hi}")
    return int(raw)


def _choice(name: str, allowed: list[str] | tuple[str, ...]) -> str | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if raw not in allowed:
        raise ApiError(f"{name}: must be one of {', '.join(allowed)}")
    return raw


@bp.get("/cases")
@api_auth()
def list_cases():
    settings = current_app.config["HOTLINE"]
    phone = request.args.get("phone") or None
    if phone:
        try:
            phone = to_e164(phone, settings.campaigns.default_region)
        except InvalidNumber as exc:
            raise ApiError(f"phone: {exc}") from None
    overdue_raw = _choice("overdue", ("true", "false"))
    page, per_page = _int("page", 1, 1, 100_000), _int("per_page", 20, 1, 100)
    rows, total = cases.search(
        session(), settings, status=_choice("status", [s.value for s in CaseStatus]),
        kind=_choice("kind", sorted(cases.KINDS)), phone=phone,
        overdue=None if overdue_raw is None else overdue_raw == "true",
        department=_choice("department", settings.cases.departments), page=page, per_page=per_page)
    return {"items": [_case_body(c, current_user()) for c in rows], "page": page, "per_page": per_page,
            "total": total}


def _case_body(case: Case, viewer: User) -> dict:
    """The case with its lifecycle and follow-up outcomes (H15-H17); numbers as ``viewer`` may see them."""
    return {**cases.case_dict(case, viewer), **lifecycle.lifecycle_dict(case)}


@bp.patch("/cases/<ref>")
@api_auth()
def update_case(ref: str):
    """Status, department, work order dispatched/returned (H16 call-back), resolution, satisfaction."""
    s = session()
    case = lifecycle.find_case(s, ref)
    if case is None:
        raise ApiError("ref: no such case", 404)
    try:
        lifecycle.update_case(s, current_app.config["HOTLINE"], case, request.get_json(silent=True),
                              current_user().id)
    except lifecycle.LifecycleError as exc:
        s.rollback()
        raise ApiError(str(exc), exc.status) from None
    s.commit()
    return _case_body(case, current_user())


@bp.post("/cases")
@api_auth()
def create_case():
    settings = current_app.config["HOTLINE"]
    data = json_body()
    s = session()
    call = None
    if data.get("call_sid") not in (None, ""):
        if not isinstance(data["call_sid"], str):
            raise ApiError("call_sid: must be text")
        call = lookups.call_by_sid(s, data["call_sid"])
        if call is None:
            raise ApiError("call_sid: no such call")
        call = lookups.conversation_call(s, call) or call
    try:
        clean = cases.validate(data, settings)
        case = cases.create(s, settings, current_user(), clean, call=call)
    except cases.FieldError as exc:
        raise ApiError(exc.message("en")) from None
    s.commit()
    body = _case_body(case, current_user())
    return body, 201, {"Location": url_for("console_api_cases.list_cases", _external=False) + f"?id={case.id}"}


_CASE = {"type": "object", "properties": {
    "id": {"type": "integer"}, "ref": {"type": "string"}, "kind": {"type": "string"},
    "status": {"type": "string"}, "urgent": {"type": "boolean"}, "description": {"type": "string"},
    "place": {"type": ["string", "null"]}, "department": {"type": ["string", "null"]},
    "contact_number": {"type": ["string", "null"], "description": "E.164; masked for agents (H25)"},
    "reply_due_at": {"type": ["string", "null"], "format": "date-time"}, "overdue": {"type": "boolean"}}}
_NEW = {"type": "object", "required": ["kind", "description"], "properties": {
    "kind": {"type": "string", "enum": sorted(cases.KINDS)}, "description": {"type": "string", "maxLength": 10000},
    "place": {"type": "string", "description": "building/room or place (H12); required for repair"},
    "contact_number": {"type": "string", "description": "any dialable form; stored as E.164"},
    "caller_name": {"type": "string"}, "district": {"type": "string"},
    "urgent": {"type": "boolean"}, "department": {"type": "string", "description": "one of cases.departments"},
    "reply_due_at": {"type": "string", "format": "date-time",
                     "description": "default now + cases.reply_within_h (H14); no offset = hours.timezone"},
    "answered": {"type": "boolean", "description": "answered on the call: the case is resolved at once"},
    "call_sid": {"type": "string", "description": "links the case to this call and its caller"},
    "source": {"type": "string", "enum": ["call", "visit", "letter", "online", "voicemail", "campaign"]}}}
_UPDATE = {"type": "object", "properties": {
    "status": {"type": "string", "enum": [s.value for s in CaseStatus]},
    "department": {"type": "string", "description": "one of cases.departments"},
    "work_order": {"type": "string", "enum": list(lifecycle.WORK_ORDER_STEPS),
                   "description": "repairs only; returned schedules the satisfaction call-back (H16)"},
    "work_order_at": {"type": "string", "format": "date-time", "description": "default now; no offset = local"},
    "resolution": {"type": "string", "maxLength": lifecycle.MAX_RESOLUTION},
    "satisfaction": {"type": "string", "enum": list(lifecycle.SATISFACTION)},
    "note": {"type": "string", "maxLength": 500}}}
_ERR = {"description": "bad input", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def register_openapi(app: Flask) -> None:
    params = [{"name": n, "in": "query", "schema": {"type": t}, "description": d} for n, t, d in (
        ("status", "string", "open, dispatched, resolved, closed"), ("kind", "string", "case kind"),
        ("phone", "string", "caller or contact number"), ("overdue", "boolean", "past reply_due_at, not replied"),
        ("department", "string", "one of cases.departments"), ("page", "integer", "from 1"),
        ("per_page", "integer", "1-100, default 20"))]
    openapi_paths(app, {"/api/cases": {
        "get": {"summary": "List cases (filters, paginated)", "parameters": params, "responses": {
            "200": {"description": "a page of cases", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Case"}},
                                                 "page": {"type": "integer"}, "per_page": {"type": "integer"},
                                                 "total": {"type": "integer"}}}}}},
            "400": _ERR, "401": _ERR}},
        "post": {"summary": "Open a case (H12-H14)", "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/NewCase"}}}},
            "responses": {"201": {"description": "the case", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Case"}}}}, "400": _ERR, "401": _ERR}}}},
        schemas={"Case": _CASE, "NewCase": _NEW, "CaseUpdate": _UPDATE})
    openapi_paths(app, {"/api/cases/{ref}": {"patch": {
        "summary": "Update a case: status, department, work order (returned: H16 call-back), resolution, "
                   "satisfaction (H17 on complaints)",
        "parameters": [{"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/CaseUpdate"}}}},
        "responses": {"200": {"description": "the case", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Case"}}}}, "400": _ERR, "401": _ERR, "404": _ERR,
            "409": _ERR}}}})
