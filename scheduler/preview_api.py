"""Preview dialing API (on the campaign API's blueprint), for the agent signed in:

- ``GET /api/campaigns/<id>/preview`` — the next contact to dial (name, note, case, history), or
  ``{"contact": null}`` when nobody is due;
- ``POST /api/campaigns/<id>/contacts/<contact_id>/dial`` — place that call now for this agent
  (409 when the agent is not available, the contact is not due or the campaign is not a running
  preview campaign).
"""

from __future__ import annotations

from flask import current_app, jsonify

from core.api import ApiError, api_auth, current_user, openapi_paths
from core.db import session
from core.disclosure import with_phones
from scheduler import preview
from scheduler.api import ID_PARAM, _campaign, _errors, _resp, _settings, bp


@bp.get("/campaigns/<int:campaign_id>/preview")
@api_auth()
def preview_next(campaign_id: int):
    campaign = _campaign(campaign_id)
    try:
        contact = preview.next_contact(session(), _settings(), campaign)
    except preview.PreviewError as exc:
        raise ApiError(str(exc), exc.status) from None
    return jsonify(contact=with_phones(current_user(), contact, "phone") if contact else None)


@bp.post("/campaigns/<int:campaign_id>/contacts/<int:contact_id>/dial")
@api_auth()
def preview_dial(campaign_id: int, contact_id: int):
    try:
        attempt_id = preview.dial_for_agent(current_app._get_current_object(), _settings(), campaign_id,
                                            contact_id, current_user())
    except preview.PreviewError as exc:
        raise ApiError(str(exc), exc.status) from None
    return jsonify(attempt_id=attempt_id, campaign_id=campaign_id, contact_id=contact_id), 201


def register_openapi() -> None:
    contact = [*ID_PARAM, {"name": "contact_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    openapi_paths({
        "/api/campaigns/{campaign_id}/preview": {"get": {
            "summary": "Preview dialing: the next contact the agent would dial", "parameters": ID_PARAM,
            "responses": {"200": _resp("the contact (or null)"), **_errors("401", "404", "409")}}},
        "/api/campaigns/{campaign_id}/contacts/{contact_id}/dial": {"post": {
            "summary": "Preview dialing: place this contact's call now for the signed-in agent",
            "parameters": contact,
            "responses": {"201": _resp("the attempt"), **_errors("401", "404", "409")}}},
    })
