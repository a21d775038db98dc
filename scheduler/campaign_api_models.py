"""The campaign API's request and reply models (``scheduler.api``; the attempt history and
preview dialing add theirs in ``history_api``): the bounds each field is checked against (422
beyond them) and the shapes of the replies, as the OpenAPI document shows them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from annotated_types import MaxLen
from flask_openapi3 import RawModel
from pydantic import Field

from core.api import Body, LocalDate, LocalDateTime, PathParams, Query, Reply, whole_number
from ivr.prompts import LOCALES
from scheduler import campaigns as svc
from scheduler.campaign_options import DIAL_MODES


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
