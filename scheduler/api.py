"""Campaign API: ``GET|POST /api/campaigns``, ``GET /api/campaigns/<id>`` (progress
counts and the blocked breakdown), ``POST /api/campaigns/<id>/contacts`` (CSV upload),
``POST /api/campaigns/<id>/start|pause|resume|cancel``, ``GET /api/campaigns/<id>/contacts`` (each
contact with why it was or was not dialed), the do-not-call list and the follow-up rates.

Reads: any signed-in role; writes: ``lead`` or ``admin``. Errors are ``{"error": ...}`` with 4xx.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from annotated_types import MaxLen
from flask import current_app, request
from flask_openapi3 import RawModel
from pydantic import Field

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
    whole_number,
)
from core.db import session
from core.disclosure import phone_for, with_phones
from core.phone import InvalidNumber
from ivr.prompts import LOCALES
from scheduler import campaigns as svc
from scheduler import contacts as contacts_svc
from scheduler import followup

bp = api_blueprint("scheduler_api", __name__)
WRITERS = {"lead", "admin"}


def _text(limit: int, description: str | None = None) -> Any:
    return Field(default=None, max_length=limit, description=description)


Weekday, Concurrent, Attempts = whole_number(0, 6), whole_number(1, 1000), whole_number(1, 20)
RingTimeout = whole_number(5, 600)


class CampaignInput(Body):
    """A new campaign; ``start: true`` arms it at once. Numbers bounded by settings are checked
    against them (422)."""

    name: str = Field(max_length=120, pattern=r"\S")
    purpose: Literal[tuple(svc.PURPOSES)] | None = None  # type: ignore[valid-type]
    mode: Literal[tuple(svc.MODES)] | None = None  # type: ignore[valid-type]
    locale: Literal[LOCALES] | None = None  # type: ignore[valid-type]
    script: list[str] | None = Field(default=None, description="library entry ids in the H20 order")
    context: dict[str, Annotated[str, MaxLen(500)] | int | float] | None = Field(
        default=None, max_length=50, description="script placeholders (result, issue, area…)")
    voicemail_text: str | None = _text(1000)
    start_at: LocalDateTime | None = Field(default=None, description="no offset = the campaign's timezone")
    cron: str | None = _text(120, "crontab: minute hour day month weekday")
    timezone: str | None = _text(64, "an IANA zone such as Asia/Shanghai")
    window: str | None = _text(16, "the call window, e.g. 09:30-17:50")
    weekdays: list[Weekday] | None = Field(default=None, min_length=1, description="0 = Monday … 6 = Sunday")
    calls_per_second: float | None = Field(default=None, ge=0.01, description="at most campaigns.calls_per_second")
    max_concurrent: Concurrent | None = None
    max_attempts: Attempts | None = None
    retry_backoff_s: float | None = Field(default=None, ge=0, le=30 * 86400)
    retry_backoff_factor: float | None = Field(default=None, ge=1, le=10)
    ring_timeout_s: RingTimeout | None = None
    machine_detection: bool | None = None
    agent_code: str | None = _text(16)
    agent_surname: str | None = _text(20)
    start: bool | None = None


class CampaignId(PathParams):
    campaign_id: int = Field(ge=0, le=2**31 - 1)


class ContactsQuery(Query):
    offset: int = Field(default=0, ge=0, le=2**31 - 1)
    limit: int = Field(default=100, ge=1, le=1000)
    status: str | None = Field(default=None, min_length=1, description="a contact status")
    q: str | None = Field(default=None, min_length=1, max_length=100,
                          description="digits of the number, name, title or case")


class CsvUpload(RawModel):
    """The contacts as a CSV body (or multipart/form-data with the file in the field ``file``)."""

    mimetypes: list[str] = ["text/csv"]


class DncInput(Body):
    phone: str = Field(min_length=1, max_length=40, description="any dialable form; stored as E.164")
    reason: str | None = _text(200)


class Blocked(Reply):
    """Why contacts are not dialed now."""

    dnc: int
    retry_cap: int
    invalid: int


class CampaignProgress(Reply):
    """The campaign, its progress counts and why contacts are blocked."""

    id: int
    name: str
    status: str
    contacts: int
    dialed: int
    answered: int
    completed: int
    failed: int
    remaining: int
    percent: float
    blocked: Blocked


class CampaignSummary(Reply):
    id: int
    name: str
    status: str
    contacts: int
    remaining: int
    percent: float


class CampaignList(Reply):
    campaigns: list[CampaignSummary]


class ContactRow(Reply):
    """A contact and why it was or was not dialed; ``phone`` masked for agents (H25)."""

    id: int
    status: str
    phone: str | None = None


class ContactPage(Reply):
    contacts: list[ContactRow]
    offset: int
    limit: int


class ImportProblemRow(Reply):
    row: int | None = None
    field: str | None = None
    reason: str | None = None


class ImportReport(Reply):
    imported: int
    skipped_duplicates: int
    skipped_dnc: int
    rows: int
    errors: list[ImportProblemRow]


class DncEntry(Reply):
    phone: str
    reason: str | None = None
    created_at: str | None = None


class DncList(Reply):
    numbers: list[DncEntry]


class DncAdded(Reply):
    phone: str
    created: bool


class Rates(Reply):
    """H16 repair call-back rate (target 95 %), H18 survey return rate (70 %), H19 satisfaction."""

    repair_callback: dict[str, Any]
    survey_return: dict[str, Any]
    satisfaction: dict[str, Any]


def _settings():
    return current_app.config["HOTLINE"]


def _campaign(campaign_id: int):
    try:
        return svc.get_campaign(session(), campaign_id)
    except svc.CampaignError as exc:
        raise ApiError(str(exc), exc.status) from None


def detail(campaign) -> dict[str, Any]:
    return {**svc.campaign_json(campaign), **svc.progress(session(), _settings(), campaign)}


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
        p = svc.progress(s, _settings(), campaign)
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
    rows = svc.contacts_page(session(), _settings(), campaign, query.offset, query.limit, query.status, query.q)
    return reply(ContactPage, {"contacts": [with_phones(current_user(), row, "phone") for row in rows],
                               "offset": query.offset, "limit": query.limit})


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


@bp.get("/dnc", responses=responses({200: DncList}))
@api_auth()
def dnc_list():
    """The do-not-call list (numbers masked for agents, H25)."""
    return reply(DncList, {"numbers": [
        {"phone": phone_for(current_user(), d.phone), "reason": d.reason, "created_at": svc._iso(d.created_at)}
        for d in contacts_svc.list_dnc(session())]})


@bp.post("/dnc", responses=responses({200: DncAdded, 201: DncAdded}, 403, 413, 422))
@api_auth(roles=WRITERS)
def dnc_add(body: DncInput):
    """Add a number to the do-not-call list (lead/admin): 201 added, 200 already listed, 422 not
    a dialable number."""
    s = session()
    try:
        row, created = contacts_svc.add_dnc(s, _settings(), body.phone, (body.reason or "").strip() or None,
                                            current_user().id)
    except InvalidNumber as exc:
        raise ApiError(f"phone: {exc}", 422) from None
    s.commit()
    return reply(DncAdded, {"phone": phone_for(current_user(), row.phone), "created": created},
                 201 if created else 200)


@bp.get("/followups/rates", responses=responses({200: Rates}))
@api_auth()
def rates():
    """H16 repair call-back rate (target 95 %), H18 survey return rate (70 %), H19 satisfaction."""
    s = session()
    return reply(Rates, {"repair_callback": followup.repair_callback_rate(s, _settings()),
                         "survey_return": followup.survey_return_rate(s, _settings()),
                         "satisfaction": followup.satisfaction(s, _settings())})
