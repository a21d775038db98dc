"""Campaign API: ``GET|POST /api/campaigns``, ``GET /api/campaigns/<id>`` (progress
counts and the blocked breakdown), ``POST /api/campaigns/<id>/contacts`` (CSV upload),
``POST /api/campaigns/<id>/start|pause|resume|cancel``, ``GET /api/campaigns/<id>/contacts`` (each
contact with why it was or was not dialed), the do-not-call list and the follow-up rates.

Reads: any signed-in role; writes: ``lead`` or ``admin``. Errors are ``{"error": ...}`` with 4xx.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from core.api import ApiError, api_auth, current_user, json_body, openapi_paths
from core.db import session
from core.disclosure import phone_for, with_phones
from core.phone import InvalidNumber
from scheduler import campaigns as svc
from scheduler import contacts as contacts_svc
from scheduler import dnc, followup

bp = Blueprint("scheduler_api", __name__, url_prefix="/api")
WRITERS = {"lead", "admin"}


def _settings():
    return current_app.config["HOTLINE"]


def _campaign(campaign_id: int):
    try:
        return svc.get_campaign(session(), campaign_id)
    except svc.CampaignError as exc:
        raise ApiError(str(exc), exc.status) from None


def detail(campaign) -> dict[str, Any]:
    return {**svc.campaign_json(campaign), **svc.progress(session(), _settings(), campaign)}


@bp.get("/campaigns")
@api_auth()
def list_campaigns():
    s = session()
    items = []
    for campaign in svc.list_campaigns(s):
        p = svc.progress(s, _settings(), campaign)
        items.append({**svc.campaign_json(campaign), **{k: p[k] for k in (
            "contacts", "dialed", "answered", "completed", "failed", "remaining", "percent")}})
    return jsonify(campaigns=items)


@bp.post("/campaigns")
@api_auth(roles=WRITERS)
def create_campaign():
    s = session()
    data = json_body(required=("name",))
    try:
        campaign = svc.create_campaign(s, _settings(), data, created_by_id=current_user().id)
    except svc.CampaignError as exc:
        raise ApiError(str(exc), exc.status) from None
    s.commit()
    return jsonify(detail(campaign)), 201


@bp.get("/campaigns/<int:campaign_id>")
@api_auth()
def get_campaign(campaign_id: int):
    return jsonify(detail(_campaign(campaign_id)))


@bp.get("/campaigns/<int:campaign_id>/contacts")
@api_auth()
def list_contacts(campaign_id: int):
    campaign = _campaign(campaign_id)
    try:
        offset = max(0, int(request.args.get("offset", 0)))
        limit = min(1000, max(1, int(request.args.get("limit", 100))))
    except ValueError:
        raise ApiError("offset/limit: must be whole numbers") from None
    status = request.args.get("status") or None
    rows = svc.contacts_page(session(), _settings(), campaign, offset, limit, status, request.args.get("q"))
    return jsonify(contacts=[with_phones(current_user(), row, "phone") for row in rows],
                   offset=offset, limit=limit)


def _upload() -> bytes:
    if request.files:
        upload = request.files.get("file")
        if upload is None:
            raise ApiError("file: send the CSV as the multipart field 'file'")
        return upload.read()
    mimetype = request.mimetype or ""
    if mimetype in ("text/csv", "text/plain", "application/csv", "application/octet-stream"):
        return request.get_data()
    raise ApiError("file: send multipart/form-data with a 'file' field, or a text/csv body", 415)


@bp.post("/campaigns/<int:campaign_id>/contacts")
@api_auth(roles=WRITERS)
def upload_contacts(campaign_id: int):
    s = session()
    campaign = _campaign(campaign_id)
    data = _upload()
    try:
        report = contacts_svc.import_csv(s, _settings(), campaign, data)
    except contacts_svc.ImportProblem as exc:
        s.rollback()  # nothing half-imported
        raise ApiError(str(exc)) from None
    svc.audit(s, current_user().id, "campaign_import", campaign, imported=report.imported,
              errors=len(report.errors), skipped_duplicates=report.skipped_duplicates,
              skipped_dnc=report.skipped_dnc)
    s.commit()
    return jsonify(report.as_dict())


def _action(campaign_id: int, fn) -> Any:
    s = session()
    campaign = _campaign(campaign_id)
    try:
        fn(s, campaign, current_user().id)
    except svc.CampaignError as exc:
        raise ApiError(str(exc), exc.status) from None
    s.commit()
    return jsonify(detail(campaign))


@bp.post("/campaigns/<int:campaign_id>/start")
@api_auth(roles=WRITERS)
def start(campaign_id: int):
    return _action(campaign_id, svc.start_campaign)


@bp.post("/campaigns/<int:campaign_id>/pause")
@api_auth(roles=WRITERS)
def pause(campaign_id: int):
    return _action(campaign_id, svc.pause_campaign)


@bp.post("/campaigns/<int:campaign_id>/resume")
@api_auth(roles=WRITERS)
def resume(campaign_id: int):
    return _action(campaign_id, svc.resume_campaign)


@bp.post("/campaigns/<int:campaign_id>/cancel")
@api_auth(roles=WRITERS)
def cancel(campaign_id: int):
    return _action(campaign_id, svc.cancel_campaign)


@bp.get("/dnc")
@api_auth()
def dnc_list():
    return jsonify(numbers=[{**dnc.dnc_dict(d), "phone": phone_for(current_user(), d.phone)}
                            for d in contacts_svc.list_dnc(session())])


@bp.post("/dnc")
@api_auth(roles=WRITERS)
def dnc_add():
    s = session()
    data = json_body(required=("phone",))
    try:
        scope = dnc.scope_from(s, data)
        row, created = contacts_svc.add_dnc(s, _settings(), str(data.get("phone") or ""),
                                            str(data.get("reason") or "")[:200] or None, current_user().id,
                                            source=scope.source, campaign_id=scope.campaign_id,
                                            expires_at=scope.expires_at)
    except dnc.DncError as exc:
        raise ApiError(str(exc)) from None
    except InvalidNumber as exc:
        raise ApiError(f"phone: {exc}") from None
    s.commit()
    return jsonify(phone=phone_for(current_user(), row.phone), created=created), 201 if created else 200


@bp.get("/followups/rates")
@api_auth()
def rates():
    s = session()
    return jsonify(repair_callback=followup.repair_callback_rate(s, _settings()),
                   survey_return=followup.survey_return_rate(s, _settings()),
                   satisfaction=followup.satisfaction(s, _settings()))


_ERR = {"$ref": "#/components/schemas/Error"}


def _resp(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema or {"type": "object"}}}}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: _resp("error", _ERR) for code in codes}


ID_PARAM = [{"name": "campaign_id", "in": "path", "required": True, "schema": {"type": "integer"}}]


def register_openapi() -> None:
    progress = {"$ref": "#/components/schemas/CampaignProgress"}
    openapi_paths({
        "/api/campaigns": {
            "get": {"summary": "Campaigns with their progress", "responses": {"200": _resp("campaigns")}},
            "post": {"summary": "Create a campaign (lead/admin); `start: true` arms it",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "$ref": "#/components/schemas/CampaignInput"}}}},
                     "responses": {"201": _resp("the campaign and its progress", progress),
                                   **_errors("400", "401", "403")}},
        },
        "/api/campaigns/{campaign_id}": {"get": {
            "summary": "Progress counts (dialed, answered, completed, failed, remaining) and why contacts "
                       "are blocked (DNC, outside window, retry cap, invalid)",
            "parameters": ID_PARAM, "responses": {"200": _resp("progress", progress), **_errors("401", "404")}}},
        "/api/campaigns/{campaign_id}/contacts": {
            "get": {"summary": "Contacts, each with why it was or was not dialed", "parameters": ID_PARAM + [
                {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}},
                {"name": "status", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": _resp("contacts")}},
            "post": {"summary": "Upload contacts (CSV: multipart field `file`, or a text/csv body)",
                     "parameters": ID_PARAM,
                     "requestBody": {"required": True, "content": {
                         "multipart/form-data": {"schema": {"type": "object", "properties": {
                             "file": {"type": "string", "format": "binary"}}}},
                         "text/csv": {"schema": {"type": "string"}}}},
                     "responses": {"200": _resp("import report", {"$ref": "#/components/schemas/ImportReport"}),
                                   **_errors("400", "401", "403", "404", "415")}}},
        **{f"/api/campaigns/{{campaign_id}}/{action}": {"post": {
            "summary": f"{action.capitalize()} the campaign (lead/admin)", "parameters": ID_PARAM,
            "responses": {"200": _resp("the campaign and its progress", progress),
                          **_errors("401", "403", "404", "409")}}}
           for action in ("start", "pause", "resume", "cancel")},
        "/api/dnc": {
            "get": {"summary": "The do-not-call list", "responses": {"200": _resp("numbers")}},
            "post": {"summary": "Add a number to the do-not-call list (lead/admin)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["phone"],
                         "properties": {"phone": {"type": "string"}, "reason": {"type": "string"},
                                        "source": {"type": "string"}, "campaign_id": {"type": "integer"},
                                        "expires_at": {"type": "string", "format": "date-time"}}}}}},
                     "responses": {"201": _resp("added"), "200": _resp("already listed"), **_errors("400")}}},
        "/api/followups/rates": {"get": {
            "summary": "H16 repair call-back rate (target 95 %), H18 survey return rate (70 %), H19 satisfaction",
            "responses": {"200": _resp("rates")}}},
    }, schemas={
        "CampaignInput": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string", "maxLength": 120},
            "purpose": {"type": "string", "enum": svc.PURPOSES},
            "mode": {"type": "string", "enum": svc.MODES},
            "locale": {"type": "string", "enum": ["zh-CN", "en"]},
            "script": {"type": "array", "items": {}, "description": "library entry ids in the H20 order"},
            "context": {"type": "object", "description": "script placeholders (result, issue, area…)"},
            "voicemail_text": {"type": "string"},
            "start_at": {"type": "string", "format": "date-time"},
            "cron": {"type": "string", "description": "crontab: minute hour day month weekday"},
            "timezone": {"type": "string"}, "window": {"type": "string", "example": "09:30-17:50"},
            "weekdays": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}},
            "calls_per_second": {"type": "number"}, "max_concurrent": {"type": "integer"},
            "max_attempts": {"type": "integer"}, "retry_backoff_s": {"type": "number"},
            "retry_backoff_factor": {"type": "number"}, "ring_timeout_s": {"type": "integer"},
            "machine_detection": {"type": "boolean"}, "agent_code": {"type": "string"},
            "agent_surname": {"type": "string"}, "start": {"type": "boolean"}}},
        "CampaignProgress": {"type": "object", "properties": {
            "id": {"type": "integer"}, "status": {"type": "string"}, "contacts": {"type": "integer"},
            "dialed": {"type": "integer"}, "answered": {"type": "integer"}, "completed": {"type": "integer"},
            "failed": {"type": "integer"}, "remaining": {"type": "integer"}, "percent": {"type": "number"},
            "blocked": {"type": "object", "properties": {k: {"type": "integer"} for k in (
                "dnc", "outside_window", "retry_cap", "invalid", "waiting_retry", "ready")}}}},
        "ImportReport": {"type": "object", "properties": {
            "imported": {"type": "integer"}, "skipped_duplicates": {"type": "integer"},
            "skipped_dnc": {"type": "integer"}, "rows": {"type": "integer"},
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "row": {"type": "integer"}, "field": {"type": "string"}, "reason": {"type": "string"}}}}}},
    })
