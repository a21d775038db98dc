"""Attempt history API (on the campaign API's blueprint):

- ``GET /api/campaigns/<id>/contacts?q=`` searches (digits of the number, name, title, case);
- ``GET /api/campaigns/<id>/contacts/<contact_id>`` — the contact and every attempt (time, status,
  duration, AMD result, CallSid, agent, disposition);
- ``GET /api/campaigns/<id>/attempts.csv`` — every attempt of the campaign as CSV;
- ``POST /api/campaigns/attempts/<attempt_id>/disposition`` ``{"code", "note"}`` — the agent's
  wrap-up (any signed-in role; ``do_not_call`` adds the number to the do-not-call list).
"""

from __future__ import annotations

from flask import Flask, Response, jsonify

from core.api import ApiError, api_auth, current_user, json_body, openapi_paths
from core.db import session, utcnow
from core.disclosure import phone_for, with_phones
from scheduler import campaigns as svc
from scheduler import history
from scheduler.api import ID_PARAM, _campaign, _errors, _resp, _settings, bp
from scheduler.models import Attempt


@bp.get("/campaigns/<int:campaign_id>/contacts/<int:contact_id>")
@api_auth()
def contact_detail(campaign_id: int, contact_id: int):
    s = session()
    campaign = _campaign(campaign_id)
    try:
        contact, attempts = history.contact_history(s, campaign, contact_id)
    except history.HistoryError as exc:
        raise ApiError(str(exc), exc.status) from None
    body = with_phones(current_user(), svc.contact_json(_settings(), campaign, contact, utcnow()), "phone")
    return jsonify({**body, "history": attempts})


@bp.get("/campaigns/<int:campaign_id>/attempts.csv")
@api_auth()
def attempts_csv(campaign_id: int):
    campaign = _campaign(campaign_id)
    return Response(history.attempts_csv(session(), campaign, lambda n: phone_for(current_user(), n)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="campaign-{campaign.id}-attempts.csv"'})


@bp.post("/campaigns/attempts/<int:attempt_id>/disposition")
@api_auth()
def disposition(attempt_id: int):
    s = session()
    attempt = s.get(Attempt, attempt_id)
    if attempt is None:
        raise ApiError("attempt: not found", 404)
    data = json_body(required=("code",))
    try:
        history.record_disposition(s, _settings(), attempt, data.get("code"), current_user().id, data.get("note"))
    except history.HistoryError as exc:
        s.rollback()
        raise ApiError(str(exc), exc.status) from None
    s.commit()
    return jsonify(history.attempt_json(attempt, {current_user().id: current_user().name}))


def register_openapi(app: Flask) -> None:
    contact = [*ID_PARAM, {"name": "contact_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    openapi_paths(app, {
        "/api/campaigns/{campaign_id}/contacts/{contact_id}": {"get": {
            "summary": "A contact with every attempt (time, status, duration, AMD result, CallSid, agent, "
                       "disposition)", "parameters": contact,
            "responses": {"200": _resp("the contact and its history"), **_errors("401", "404")}}},
        "/api/campaigns/{campaign_id}/attempts.csv": {"get": {
            "summary": "Every attempt of the campaign as CSV", "parameters": ID_PARAM,
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
                          **_errors("401", "404")}}},
        "/api/campaigns/attempts/{attempt_id}/disposition": {"post": {
            "summary": "The agent's wrap-up code for a campaign call (do_not_call adds the number to the DNC list)",
            "parameters": [{"name": "attempt_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["code"], "properties": {
                    "code": {"type": "string", "description": "one of campaigns.dispositions"},
                    "note": {"type": "string", "maxLength": 200}}}}}},
            "responses": {"200": _resp("the attempt"), **_errors("400", "401", "404")}}},
    })
