"""Campaign API: ``GET|POST /api/campaigns``, ``GET /api/campaigns/<id>`` (progress
counts and the blocked breakdown), ``POST /api/campaigns/<id>/contacts`` (CSV upload),
``POST /api/campaigns/<id>/start|pause|resume|cancel``, ``GET /api/campaigns/<id>/contacts`` (each
contact with why it was or was not dialed) and the follow-up rates. The do-not-call list, the
attempt history and preview dialing add their routes to this blueprint (``dnc_api``,
``history_api``, ``preview_api``).

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
    LocalDate,
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
from core.disclosure import with_phones
from ivr.prompts import LOCALES
from scheduler import campaign_progress, followup
from scheduler import campaigns as svc
from scheduler import contacts as contacts_svc
from scheduler.campaign_options import DIAL_MODES

bp = api_blueprint("scheduler_api", __name__)
WRITERS = {"lead", "admin"}


def _text(limit: int, description: str | None = None) -> Any:
    return Field(default=None, max_length=limit, description=description)


Weekday, Concurrent, Attempts = whole_number(0, 6), whole_number(1, 1000), whole_number(1, 20)
RingTimeout = whole_number(5, 600)
RecyclePasses = whole_number(0, 10)


class CampaignInput(Body):
    """A new campaign; ``start: true`` arms it at once. Numbers bounded by settings are checked
    against them (422)."""

    name: str = Field(max_length=120, pattern=r"\S")
    purpose: Literal[tuple(svc.PURPOSES)] | None = None  # type: ignore[valid-type]
    mode: Literal[tuple(svc.MODES)] | None = None  # type: ignore[valid-type]
    dial_mode: Literal[DIAL_MODES] | None = Field(  # type: ignore[valid-type]
        default=None, description="fixed_rate (automated) or preview, progressive, predictive (agent_assisted)")
    caller_id: str | None = _text(40, "the number the called person sees (default: the line's own)")
    holidays: list[LocalDate] | None = Field(default=None, max_length=366,
                                             description="dates (the campaign's time zone) nobody is called")
    recycle_passes: RecyclePasses | None = Field(default=None, description="extra passes over unanswered contacts")
    recycle_after_s: float | None = Field(default=None, ge=0, le=30 * 86400,
                                          description="seconds before a contact is recycled")
    recycle_window: str | None = _text(16, "the call window of the recycled passes, e.g. 18:00-20:30")
    machine_retry: bool | None = Field(default=None, description="retry a call an answering machine took")
    optout_key: bool | None = Field(default=None, description="pressing the opt-out key adds the number to the DNC list")
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


class Blocked(Reply):
    """Why contacts are not dialed now."""

    dnc: int
    retry_cap: int
    invalid: int


class AgentLoad(Reply):
    free: int
    busy: int
    soon_free: int
    waiting: int


class Dialing(Reply):
    """The pace of the last minute, the day's answer and abandon rates against the cap, agents."""

    dial_mode: str
    calls_last_minute: int
    rate_per_s: float
    answer_rate: float
    abandon_rate: float
    abandon_cap: float
    at_cap: bool
    agents: AgentLoad


class CampaignProgress(Reply):
    """The campaign, its progress counts, why contacts are blocked, the live dialing figures and
    scheduler warnings (no leader running, at the abandon cap, nobody free, a holiday)."""

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
    dial_mode: str | None = None
    dialing: Dialing
    warnings: list[str]


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
