"""Preview dialing API (on the campaign API's blueprint), for the agent signed in:

- ``GET /api/campaigns/<id>/preview`` — the next contact to dial (name, note, case, history), or
  ``{"contact": null}`` when nobody is due;
- ``POST /api/campaigns/<id>/contacts/<contact_id>/dial`` — place that call now for this agent
  (409 when the agent is not available, the contact is not due or the campaign is not a running
  preview campaign; 503 while Twilio is throttling);
- ``POST /api/campaigns/<id>/contacts/<contact_id>/skip`` — pass on that contact with a reason:
  offered again after the campaign's retry back-off (409 when it is not due).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from pydantic import Field

from core.api import ApiError, Body, Reply, api_auth, current_user, reply, responses
from core.db import session
from core.disclosure import with_phones
from scheduler import preview
from scheduler.api import _campaign, _settings, bp
from scheduler.campaign_api_models import CampaignId
from scheduler.history_api import AttemptReply, ContactId


class PreviewContact(Reply):
    """The contact (``phone`` masked for agents, H25) with its note, title, case context and the
    attempts so far."""

    id: int
    status: str
    history: list[AttemptReply]


class PreviewNext(Reply):
    contact: PreviewContact | None


class PreviewDialed(Reply):
    attempt_id: int
    campaign_id: int
    contact_id: int


@bp.get("/campaigns/<int:campaign_id>/preview", responses=responses({200: PreviewNext}, 404, 409))
@api_auth()
def preview_next(path: CampaignId):
    """Preview dialing: the next contact the agent would dial (null when nobody is due); 409 when
    the campaign is not a running preview campaign."""
    campaign = _campaign(path.campaign_id)
    try:
        contact = preview.next_contact(session(), _settings(), campaign)
    except preview.PreviewError as exc:
        raise ApiError(str(exc), exc.status) from None
    shown: Any = with_phones(current_user(), contact, "phone") if contact else None
    return reply(PreviewNext, {"contact": shown})


@bp.post("/campaigns/<int:campaign_id>/contacts/<int:contact_id>/dial",
         responses=responses({201: PreviewDialed}, 404, 409, 503))
@api_auth()
def preview_dial(path: ContactId):
    """Preview dialing: place this contact's call now for the signed-in agent; 409 when the agent
    is not available or the contact is not due."""
    try:
        attempt_id = preview.dial_for_agent(current_app._get_current_object(), _settings(), path.campaign_id,
                                            path.contact_id, current_user())
    except preview.PreviewError as exc:
        raise ApiError(str(exc), exc.status) from None
    return reply(PreviewDialed, {"attempt_id": attempt_id, "campaign_id": path.campaign_id,
                                 "contact_id": path.contact_id}, 201)


class SkipBody(Body):
    reason: preview.SkipReason
    note: str = Field("", max_length=200)


class PreviewSkipped(Reply):
    contact_id: int
    next_attempt_at: str | None
    why: str


@bp.post("/campaigns/<int:campaign_id>/contacts/<int:contact_id>/skip",
         responses=responses({200: PreviewSkipped}, 404, 409))
@api_auth()
def preview_skip(path: ContactId, body: SkipBody):
    """Preview dialing: pass on this contact (with a reason); it is offered again after the
    campaign's retry back-off, no attempt counted. 409 when it is not due."""
    s = session()
    campaign = _campaign(path.campaign_id)
    try:
        contact = preview.skip_contact(s, _settings(), campaign, path.contact_id, current_user(), body.reason,
                                       body.note.strip())
    except preview.PreviewError as exc:
        s.rollback()
        raise ApiError(str(exc), exc.status) from None
    s.commit()
    shown = contact.next_attempt_at.isoformat() + "Z" if contact.next_attempt_at else None
    return reply(PreviewSkipped, {"contact_id": contact.id, "next_attempt_at": shown, "why": contact.reason or ""})
