"""Campaign API: ``GET|POST /api/campaigns``, ``GET /api/campaigns/<id>`` (progress
counts and the blocked breakdown), ``POST /api/campaigns/<id>/contacts`` (CSV upload),
``POST /api/campaigns/<id>/start|pause|resume|cancel``, ``GET /api/campaigns/<id>/contacts`` (each
contact with why it was or was not dialed) and the follow-up rates; the request and reply models
are in ``campaign_api_models``. The do-not-call list, the attempt history and preview dialing add
their routes to this blueprint (``dnc_api``, ``history_api``, ``preview_api``).

Reads: any signed-in role; writes: ``lead`` or ``admin``. Errors are ``{"error": ...}`` with 4xx.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from core.api import ApiError, api_auth, api_blueprint, current_user, reply, responses
from core.db import session
from core.disclosure import with_phones
from scheduler import campaign_progress, followup
from scheduler import campaigns as svc
from scheduler import contacts as contacts_svc
from scheduler.campaign_api_models import (
    CampaignId,
    CampaignInput,
    CampaignList,
    CampaignProgress,
    ContactPage,
    ContactsQuery,
    CsvUpload,
    ImportReport,
    Rates,
)

bp = api_blueprint("scheduler_api", __name__)
WRITERS = {"lead", "admin"}


def _settings():
    return current_app.config["HOTLINE"]


def _campaign(campaign_id: int):
    try:
        return svc.get_campaign(session(), campaign_id)
    except svc.CampaignError as exc:
        raise ApiError(str(exc), exc.status) from None


def detail(campaign) -> dict[str, Any]:
    return {**svc.campaign_json(campaign), **campaign_progress.progress(session(), _settings(), campaign)}


def _refused(exc: svc.CampaignError) -> ApiError:
    """A rule refusing well-formed input is 422; not found (404) and wrong state (409) stay."""
    return ApiError(str(exc), 422 if exc.status == 400 else exc.status)


@bp.get("/campaigns", responses=responses({200: CampaignList}))
@api_auth()
def list_campaigns():
    """Campaigns with their progress, newest first."""
    s = session()
    items = []
    for campaign in svc.list_campaigns(s):
        p = campaign_progress.progress(s, _settings(), campaign)
        items.append({**svc.campaign_json(campaign), **{k: p[k] for k in (
            "contacts", "dialed", "answered", "completed", "failed", "remaining", "percent")}})
    return reply(CampaignList, {"campaigns": items})


@bp.post("/campaigns", responses=responses({201: CampaignProgress}, 403, 409, 413, 422))
@api_auth(roles=WRITERS)
def create_campaign(body: CampaignInput):
    """Create a campaign (lead/admin); ``start: true`` arms it."""
    s = session()
    try:
        campaign = svc.create_campaign(s, _settings(), body.model_dump(exclude_none=True),
                                       created_by_id=current_user().id)
    except svc.CampaignError as exc:
        raise _refused(exc) from None
    s.commit()
    return reply(CampaignProgress, detail(campaign), 201)


@bp.get("/campaigns/<int:campaign_id>", responses=responses({200: CampaignProgress}, 404))
@api_auth()
def get_campaign(path: CampaignId):
    """Progress counts (dialed, answered, completed, failed, remaining) and why contacts are blocked
    (DNC, outside window, retry cap, invalid)."""
    return reply(CampaignProgress, detail(_campaign(path.campaign_id)))


@bp.get("/campaigns/<int:campaign_id>/contacts", responses=responses({200: ContactPage}, 404))
@api_auth()
def list_contacts(path: CampaignId, query: ContactsQuery):
    """Contacts, each with why it was or was not dialed."""
    campaign = _campaign(path.campaign_id)
    rows = campaign_progress.contacts_page(session(), _settings(), campaign, query.offset, query.limit, query.status, query.q)
    return reply(ContactPage, {"contacts": [with_phones(current_user(), row, "phone") for row in rows],
                               "offset": query.offset, "limit": query.limit})


def _upload() -> bytes:
    if request.files:
        upload = request.files.get("file")
        if upload is None:
            raise ApiError("file: send the CSV as the multipart field 'file'")
        return upload.read()
    mimetype = request.mimetype or ""
    if not mimetype and not request.content_length:
        return b""  # nothing sent: an empty contact list (422), like an empty text/csv body
    if mimetype in ("text/csv", "text/plain", "application/csv", "application/octet-stream"):
        return request.get_data()
    raise ApiError("file: send multipart/form-data with a 'file' field, or a text/csv body", 415)


@bp.post("/campaigns/<int:campaign_id>/contacts",
         responses=responses({200: ImportReport}, 403, 404, 413, 415, 422))
@api_auth(roles=WRITERS)
def upload_contacts(path: CampaignId, raw: CsvUpload):
    """Upload contacts (CSV: a text/csv body, or multipart field ``file``). 422: a file that is
    not a usable contact list (nothing is imported)."""
    s = session()
    campaign = _campaign(path.campaign_id)
    data = _upload()
    try:
        report = contacts_svc.import_csv(s, _settings(), campaign, data)
    except contacts_svc.ImportProblem as exc:
        s.rollback()  # nothing half-imported
        raise ApiError(str(exc), 422) from None
    svc.audit(s, current_user().id, "campaign_import", campaign, imported=report.imported,
              errors=len(report.errors), skipped_duplicates=report.skipped_duplicates,
              skipped_dnc=report.skipped_dnc)
    s.commit()
    return reply(ImportReport, report.as_dict())


def _action(campaign_id: int, fn) -> Any:
    s = session()
    campaign = _campaign(campaign_id)
    try:
        fn(s, campaign, current_user().id)
    except svc.CampaignError as exc:
        raise _refused(exc) from None
    s.commit()
    return reply(CampaignProgress, detail(campaign))


_ACTION = responses({200: CampaignProgress}, 403, 404, 409)


@bp.post("/campaigns/<int:campaign_id>/start", responses=_ACTION)
@api_auth(roles=WRITERS)
def start(path: CampaignId):
    """Start the campaign (lead/admin); 409 when its state does not allow it."""
    return _action(path.campaign_id, svc.start_campaign)


@bp.post("/campaigns/<int:campaign_id>/pause", responses=_ACTION)
@api_auth(roles=WRITERS)
def pause(path: CampaignId):
    """Pause the campaign (lead/admin); 409 when its state does not allow it."""
    return _action(path.campaign_id, svc.pause_campaign)


@bp.post("/campaigns/<int:campaign_id>/resume", responses=_ACTION)
@api_auth(roles=WRITERS)
def resume(path: CampaignId):
    """Resume the campaign (lead/admin); 409 when its state does not allow it."""
    return _action(path.campaign_id, svc.resume_campaign)


@bp.post("/campaigns/<int:campaign_id>/cancel", responses=_ACTION)
@api_auth(roles=WRITERS)
def cancel(path: CampaignId):
    """Cancel the campaign (lead/admin); 409 when its state does not allow it."""
    return _action(path.campaign_id, svc.cancel_campaign)


@bp.get("/followups/rates", responses=responses({200: Rates}))
@api_auth()
def rates():
    """H16 repair call-back rate (target 95 %), H18 survey return rate (70 %), H19 satisfaction."""
    s = session()
    return reply(Rates, {"repair_callback": followup.repair_callback_rate(s, _settings()),
                         "survey_return": followup.survey_return_rate(s, _settings()),
                         "satisfaction": followup.satisfaction(s, _settings())})
