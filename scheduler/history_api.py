"""Attempt history API (on the campaign API's blueprint):

- ``GET /api/campaigns/<id>/contacts/<contact_id>`` — the contact and every attempt (time, status,
  duration, AMD result, CallSid, agent, disposition);
- ``GET /api/campaigns/<id>/attempts.csv`` — every attempt of the campaign as CSV;
- ``POST /api/campaigns/attempts/<attempt_id>/disposition`` ``{"code", "note"}`` — the agent's
  wrap-up (any signed-in role; ``do_not_call`` adds the number to the do-not-call list).
"""

from __future__ import annotations

from typing import Any

from flask import Response
from pydantic import ConfigDict, Field, RootModel

from core.api import ApiError, Body, PathParams, Reply, api_auth, current_user, reply, responses
from core.db import session, utcnow
from core.disclosure import phone_for, with_phones
from scheduler import campaign_progress, history
from scheduler.api import _campaign, _settings, bp
from scheduler.campaign_api_models import CampaignId
from scheduler.models import Attempt


class ContactId(CampaignId):
    contact_id: int = Field(ge=0, le=2**31 - 1)


class AttemptId(PathParams):
    attempt_id: int = Field(ge=0, le=2**31 - 1)


class DispositionInput(Body):
    code: str = Field(min_length=1, description="a wrapup.dispositions code for campaigns")
    note: str | None = Field(default=None, max_length=200)


class AttemptReply(Reply):
    """One dialing attempt: time, status, duration, AMD result, CallSid, agent, disposition."""

    id: int
    status: str | None = None
    call_sid: str | None = None
    disposition: str | None = None


class ContactHistory(Reply):
    """The contact (``phone`` masked for agents, H25) and every attempt, oldest first."""

    id: int
    status: str
    history: list[AttemptReply]


class AttemptsCsv(RootModel[str]):
    """Every attempt of the campaign, one CSV row each."""

    model_config = ConfigDict(json_schema_extra={"contentMediaType": "text/csv"})


@bp.get("/campaigns/<int:campaign_id>/contacts/<int:contact_id>", responses=responses({200: ContactHistory}, 404))
@api_auth()
def contact_detail(path: ContactId):
    """A contact with every attempt (time, status, duration, AMD result, CallSid, agent, disposition)."""
    s = session()
    campaign = _campaign(path.campaign_id)
    try:
        contact, attempts = history.contact_history(s, campaign, path.contact_id)
    except history.HistoryError as exc:
        raise ApiError(str(exc), exc.status) from None
    body = with_phones(current_user(), campaign_progress.contact_json(_settings(), campaign, contact, utcnow()), "phone")
    return reply(ContactHistory, {**body, "history": attempts})


_CSV: dict[int, Any] = {200: {"description": "CSV", "content": {"text/csv": {"schema": AttemptsCsv.model_json_schema()}}}}


@bp.get("/campaigns/<int:campaign_id>/attempts.csv", responses=responses(_CSV, 404))
@api_auth()
def attempts_csv(path: CampaignId):
    """Every attempt of the campaign as CSV."""
    campaign = _campaign(path.campaign_id)
    return Response(history.attempts_csv(session(), campaign, lambda n: phone_for(current_user(), n)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="campaign-{campaign.id}-attempts.csv"'})


@bp.post("/campaigns/attempts/<int:attempt_id>/disposition", responses=responses({200: AttemptReply}, 404, 413, 422))
@api_auth()
def disposition(path: AttemptId, body: DispositionInput):
    """The agent's wrap-up code for a campaign call (do_not_call adds the number to the DNC list).
    422: a code wrapup.dispositions does not offer campaign calls."""
    s = session()
    attempt = s.get(Attempt, path.attempt_id)
    if attempt is None:
        raise ApiError("attempt: not found", 404)
    try:
        history.record_disposition(s, _settings(), attempt, body.code, current_user().id, body.note)
    except history.HistoryError as exc:
        s.rollback()
        raise ApiError(str(exc), 422 if exc.status == 400 else exc.status) from None
    s.commit()
    return reply(AttemptReply, history.attempt_json(attempt, {current_user().id: current_user().name}))
