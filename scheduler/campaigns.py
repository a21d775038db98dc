"""Campaign services: create (validated), start / pause / resume / cancel, progress counts and
explainable dialing (why each contact was or was not dialed).

Views, the API and the CLI call these with a ``Session`` and plain values; the caller commits.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.clock import local_label
from core.config import Settings
from core.db import utcnow
from core.models import AuditLog
from scheduler import campaign_options, history, preflight
from scheduler import script as scripts
from scheduler.dnc import blocked_numbers
from scheduler.live import live_figures
from scheduler.models import (
    Attempt,
    Campaign,
    CampaignStatus,
    Contact,
    ContactStatus,
    Mode,
    Purpose,
)
from scheduler.windows import Window, WindowError, parse_window, zone

PURPOSES = [p.value for p in Purpose]
MODES = [m.value for m in Mode]
ACTIVE = {CampaignStatus.SCHEDULED, CampaignStatus.RUNNING}
FINAL = {CampaignStatus.CANCELLED, CampaignStatus.COMPLETED}

# Contact results that count as "answered" (a person, or a machine that took the voicemail).
ANSWERED_RESULTS = {"answered", "voicemail", "declined", "wrong_person", "connected", "no_response"}


class CampaignError(ValueError):
    """Bad campaign input or a state change that is not allowed; the message names the field."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _num(data: dict[str, Any], key: str, default: float, lo: float, hi: float, integer: bool = False) -> Any:
    value = data.get(key)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CampaignError(f"{key}: must be a number") from None
    if integer and number != int(number):
        raise CampaignError(f"{key}: must be a whole number")
    if not lo <= number <= hi:
        raise CampaignError(f"{key}: must be between {lo:g} and {hi:g}")
    return int(number) if integer else number


def _bool(data: dict[str, Any], key: str, default: bool) -> bool:
    try:
        return campaign_options.flag(data, key, default)
    except campaign_options.OptionError as exc:
        raise CampaignError(str(exc)) from None


def _text(data: dict[str, Any], key: str, limit: int, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CampaignError(f"{key}: required")
        return None
    if not isinstance(value, str | int | float):
        raise CampaignError(f"{key}: must be text")
    value = str(value).strip()
    if len(value) > limit:
        raise CampaignError(f"{key}: at most {limit} characters")
    return value


def parse_start(value: Any, tz: str) -> datetime | None:
    """ISO 8601 start time → naive UTC. Without an offset it is read in the campaign's time zone."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise CampaignError("start_at: must be an ISO 8601 date-time such as 2026-11-25T09:30")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CampaignError("start_at: must be an ISO 8601 date-time such as 2026-11-25T09:30") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(tz))
    return moment.astimezone(UTC).replace(tzinfo=None)


def cron_trigger(expr: str, tz: str) -> CronTrigger:
    try:
        return CronTrigger.from_crontab(expr, timezone=zone(tz))
    except (ValueError, TypeError) as exc:
        raise CampaignError(f"cron: not a crontab expression (minute hour day month weekday): {exc}") from None


def next_cron_fire(expr: str, tz: str, after_utc: datetime) -> datetime | None:
    """The cron's next fire time strictly after ``after_utc`` (naive UTC), by APScheduler's CronTrigger."""
    trigger = cron_trigger(expr, tz)
    aware = after_utc.replace(tzinfo=UTC)
    fire = trigger.get_next_fire_time(None, aware)
    while fire is not None and fire <= aware:
        fire = trigger.get_next_fire_time(fire, fire.replace(microsecond=0) + _ONE_SECOND)
    return fire.astimezone(UTC).replace(tzinfo=None) if fire else None


_ONE_SECOND = timedelta(seconds=1)


def _weekdays(data: dict[str, Any], tz: str, window: str | None) -> list[int] | None:
    """Check the zone and window; the weekdays as a sorted list (None: the service days)."""
    weekdays = data.get("weekdays")
    try:
        zone(tz)
        if window:
            parse_window(window)
    except WindowError as exc:
        raise CampaignError(str(exc)) from None
    if weekdays is None:
        return None
    if isinstance(weekdays, str):
        weekdays = [w for w in weekdays.replace(" ", "").split(",") if w]
    try:
        days = sorted({int(w) for w in weekdays})
    except (TypeError, ValueError):
        raise CampaignError("weekdays: a list of 0 (Monday) to 6 (Sunday)") from None
    if not days or any(w < 0 or w > 6 for w in days):
        raise CampaignError("weekdays: a list of 0 (Monday) to 6 (Sunday)")
    return days


def _steps(data: dict[str, Any], purpose: str) -> list[scripts.Step]:
    raw_script = data.get("script")
    if isinstance(raw_script, str):
        raw_script = [p.strip() for p in raw_script.replace("\n", ",").split(",") if p.strip()]
    try:
        return scripts.parse_script(raw_script, purpose)
    except scripts.ScriptError as exc:
        raise CampaignError(str(exc)) from None


def _context(data: dict[str, Any]) -> dict[str, Any]:
    context = data.get("context") or {}
    if not isinstance(context, dict) or len(context) > 50 or any(
            not isinstance(v, str | int | float) or len(str(v)) > 500 for v in context.values()):
        raise CampaignError("context: an object of at most 50 short text values")
    return context


def create_campaign(s: Session, settings: Settings, data: dict[str, Any],
                    created_by_id: int | None = None) -> Campaign:
    """Validate ``data`` (API / form / CLI fields) and create a campaign (draft unless ``start``)."""
    if not isinstance(data, dict):
        raise CampaignError("the body must be a JSON object")
    cfg = settings.campaigns
    name = _text(data, "name", 120, required=True)
    purpose = _text(data, "purpose", 24) or Purpose.GENERAL_CALLBACK.value
    if purpose not in PURPOSES:
        raise CampaignError(f"purpose: must be one of {', '.join(PURPOSES)}")
    mode = _text(data, "mode", 16)
    if mode and mode not in MODES:
        raise CampaignError(f"mode: must be one of {', '.join(MODES)}")
    try:
        options = campaign_options.options_of(settings, data, mode)
    except campaign_options.OptionError as exc:
        raise CampaignError(str(exc)) from None
    mode = options.pop("mode")
    locale = _text(data, "locale", 10) or settings.company.default_locale
    if locale not in scripts.LOCALES:
        raise CampaignError(f"locale: must be one of {', '.join(scripts.LOCALES)}")
    tz = _text(data, "timezone", 64) or settings.hours.timezone
    window = _text(data, "window", 16)
    weekdays = _weekdays(data, tz, window)
    steps = _steps(data, purpose)
    context = _context(data)
    cron = _text(data, "cron", 120)
    if cron:
        cron_trigger(cron, tz)
    start_at = parse_start(data.get("start_at"), tz)
    cps = _num(data, "calls_per_second", cfg.calls_per_second, 0.01, cfg.calls_per_second)
    campaign = Campaign(
        name=name, purpose=purpose, mode=mode, locale=locale, script=scripts.script_ids(steps),
        context={str(k)[:40]: str(v) for k, v in context.items()},
        voicemail_text=_text(data, "voicemail_text", 1000), start_at=start_at, cron=cron, timezone=tz,
        window=window, weekdays=weekdays, calls_per_second=cps,
        max_concurrent=_num(data, "max_concurrent", cfg.max_concurrent, 1, 1000, integer=True),
        max_attempts=_num(data, "max_attempts", cfg.max_attempts, 1, 20, integer=True),
        retry_backoff_s=_num(data, "retry_backoff_s", cfg.retry_backoff_s, 0, 30 * 86400),
        retry_backoff_factor=_num(data, "retry_backoff_factor", cfg.retry_backoff_factor, 1, 10),
        ring_timeout_s=_num(data, "ring_timeout_s", cfg.ring_timeout_s, 5, 600, integer=True),
        machine_detection=_bool(data, "machine_detection", True),
        agent_code=_text(data, "agent_code", 16), agent_surname=_text(data, "agent_surname", 20),
        status=CampaignStatus.DRAFT, created_by_id=created_by_id, created_at=utcnow(), **options)
    s.add(campaign)
    s.flush()
    audit(s, created_by_id, "campaign_create", campaign, purpose=purpose, mode=mode)
    if _bool(data, "start", False):
        start_campaign(s, campaign, created_by_id, settings)
    return campaign


def audit(s: Session, user_id: int | None, action: str, campaign: Campaign, **detail: Any) -> None:
    s.add(AuditLog(user_id=user_id, action=action, target=f"campaign:{campaign.id}", detail=detail))


def get_campaign(s: Session, campaign_id: Any) -> Campaign:
    try:
        key = int(campaign_id)
    except (TypeError, ValueError):
        raise CampaignError("campaign: not found", 404) from None
    campaign = s.get(Campaign, key)
    if campaign is None:
        raise CampaignError("campaign: not found", 404)
    return campaign


def first_run_at(campaign: Campaign, now: datetime) -> datetime:
    if campaign.start_at is not None:
        return campaign.start_at
    if campaign.cron:
        fire = next_cron_fire(campaign.cron, campaign.timezone or "UTC", now)
        if fire is not None:
            return fire
    return now


def start_campaign(s: Session, campaign: Campaign, user_id: int | None = None,
                   settings: Settings | None = None) -> Campaign:
    """Arm a draft: it starts at ``start_at`` / the next cron fire, or at the next tick. Refused
    (409, naming them) while its script has values that would be read out as stock text."""
    if campaign.status != CampaignStatus.DRAFT:
        raise CampaignError(f"status: only a draft can be started (this one is {campaign.status})", 409)
    missing = preflight.unfilled_values(s, settings or current_app.config["HOTLINE"], campaign)
    if missing:
        total = s.scalar(select(func.count()).select_from(Contact).where(
            Contact.campaign_id == campaign.id, Contact.status == ContactStatus.PENDING)) or 0
        raise CampaignError(preflight.describe(missing, total), 409)
    now = utcnow()
    campaign.status = CampaignStatus.SCHEDULED
    campaign.next_run_at = first_run_at(campaign, now)
    audit(s, user_id, "campaign_start", campaign, next_run_at=campaign.next_run_at.isoformat())
    return campaign


def pause_campaign(s: Session, campaign: Campaign, user_id: int | None = None) -> Campaign:
    if campaign.status not in ACTIVE:
        raise CampaignError(f"status: only a scheduled or running campaign can be paused "
                            f"(this one is {campaign.status})", 409)
    campaign.status = CampaignStatus.PAUSED
    audit(s, user_id, "campaign_pause", campaign)
    return campaign


def resume_campaign(s: Session, campaign: Campaign, user_id: int | None = None) -> Campaign:
    if campaign.status != CampaignStatus.PAUSED:
        raise CampaignError(f"status: only a paused campaign can be resumed (this one is {campaign.status})", 409)
    started = campaign.started_at is not None and campaign.round > 0
    waiting = campaign.next_run_at is not None and campaign.next_run_at > utcnow()
    campaign.status = CampaignStatus.RUNNING if started and not waiting else CampaignStatus.SCHEDULED
    if campaign.status == CampaignStatus.SCHEDULED and campaign.next_run_at is None:
        campaign.next_run_at = utcnow()
    audit(s, user_id, "campaign_resume", campaign)
    return campaign


def cancel_campaign(s: Session, campaign: Campaign, user_id: int | None = None) -> Campaign:
    """Stop for good: contacts not yet reached are cancelled (calls in progress finish)."""
    if campaign.status in FINAL:
        raise CampaignError(f"status: the campaign is already {campaign.status}", 409)
    now = utcnow()
    campaign.status = CampaignStatus.CANCELLED
    campaign.finished_at = now
    campaign.next_run_at = None
    s.execute(update(Contact).where(Contact.campaign_id == campaign.id, Contact.status == ContactStatus.PENDING)
              .values(status=ContactStatus.CANCELLED, reason="campaign cancelled before this contact was reached",
                      updated_at=now))
    audit(s, user_id, "campaign_cancel", campaign)
    return campaign


# -- progress and explanations ------------------------------------------------------------------

def window_for(settings: Settings, campaign: Campaign, contact_tz: str | None = None) -> Window:
    return Window.of(settings, campaign.window, campaign.weekdays, contact_tz or campaign.timezone)


def dnc_numbers(s: Session, phones: list[str] | None = None, campaign_id: int | None = None) -> set[str]:
    return blocked_numbers(s, phones, campaign_id)


def _live(s: Session, settings: Settings, campaign: Campaign, now: datetime) -> dict[str, Any]:
    return live_figures(s, settings, campaign, now)


def progress(s: Session, settings: Settings, campaign: Campaign, now: datetime | None = None) -> dict[str, Any]:
    """Live counts (dialed, answered, completed, failed, remaining) and the blocked breakdown."""
    now = now or utcnow()
    by_status = dict(s.execute(select(Contact.status, func.count()).where(Contact.campaign_id == campaign.id)
                               .group_by(Contact.status)).all())
    total = sum(by_status.values())
    dialed = s.scalar(select(func.count()).select_from(Contact).where(
        Contact.campaign_id == campaign.id, Contact.attempts > 0)) or 0
    answered = s.scalar(select(func.count()).select_from(Contact).where(
        Contact.campaign_id == campaign.id, Contact.result.in_(ANSWERED_RESULTS))) or 0
    failed_results = dict(s.execute(select(Contact.result, func.count()).where(
        Contact.campaign_id == campaign.id, Contact.status == ContactStatus.FAILED).group_by(Contact.result)).all())
    attempts = dict(s.execute(select(Attempt.status, func.count()).where(Attempt.campaign_id == campaign.id)
                              .group_by(Attempt.status)).all())
    pending = by_status.get(ContactStatus.PENDING, 0)
    in_progress = by_status.get(ContactStatus.IN_PROGRESS, 0)
    blocked = blocked_breakdown(s, settings, campaign, now)
    blocked["dnc"] = by_status.get(ContactStatus.DNC, 0) + blocked.pop("dnc_now", 0)
    blocked["retry_cap"] = failed_results.get("retry_cap", 0)
    blocked["invalid"] = failed_results.get("invalid_number", 0)
    completed = by_status.get(ContactStatus.COMPLETED, 0)
    failed = by_status.get(ContactStatus.FAILED, 0)
    finished = completed + failed
    reachable = total - by_status.get(ContactStatus.DNC, 0) - by_status.get(ContactStatus.CANCELLED, 0)
    return {
        "id": campaign.id, "name": campaign.name, "status": campaign.status, "purpose": campaign.purpose,
        "mode": campaign.mode, "round": campaign.round,
        "contacts": total, "dialed": dialed, "answered": answered, "completed": completed, "failed": failed,
        "in_progress": in_progress, "remaining": pending + in_progress,
        "dnc": by_status.get(ContactStatus.DNC, 0), "cancelled": by_status.get(ContactStatus.CANCELLED, 0),
        "attempts": {str(k): v for k, v in attempts.items()},
        "percent": round(100.0 * finished / reachable, 1) if reachable else 0.0,
        "blocked": blocked, **_live(s, settings, campaign, now),
        "next_run_at": _iso(campaign.next_run_at), "started_at": _iso(campaign.started_at),
        "finished_at": _iso(campaign.finished_at),
    }


def blocked_breakdown(s: Session, settings: Settings, campaign: Campaign, now: datetime) -> dict[str, int]:
    """Pending contacts by why they would not be dialed now: DNC (added after import), outside the
    call window (per time zone), waiting for a retry, or ready."""
    counts: Counter[str] = Counter()
    rows = s.execute(select(Contact.timezone, Contact.next_attempt_at, Contact.phone).where(
        Contact.campaign_id == campaign.id, Contact.status == ContactStatus.PENDING)).all()
    if not rows:
        return {"dnc_now": 0, "outside_window": 0, "waiting_retry": 0, "ready": 0}
    dnc = dnc_numbers(s, None if len(rows) > 500 else [r.phone for r in rows], campaign.id)
    windows: dict[str | None, bool] = {}
    for tz, next_at, phone in rows:
        if phone in dnc:
            counts["dnc_now"] += 1
            continue
        if tz not in windows:
            try:
                windows[tz] = window_for(settings, campaign, tz).contains(now)
            except WindowError:
                windows[tz] = False
        if not windows[tz]:
            counts["outside_window"] += 1
        elif next_at is not None and next_at > now:
            counts["waiting_retry"] += 1
        else:
            counts["ready"] += 1
    return {k: counts.get(k, 0) for k in ("dnc_now", "outside_window", "waiting_retry", "ready")}


def why(settings: Settings, campaign: Campaign, contact: Contact, now: datetime,
        dnc: set[str] | None = None) -> str:
    """One line saying why this contact was or was not dialed (explainable dialing)."""
    status = contact.status
    if status == ContactStatus.DNC:
        return contact.reason or "on the do-not-call list: never dialed"
    if status != ContactStatus.PENDING:
        return contact.reason or status
    if dnc is not None and contact.phone in dnc:
        return "on the do-not-call list (added after import): will not be dialed"
    if campaign.status == CampaignStatus.PAUSED:
        return "campaign paused: not dialed until it is resumed"
    if campaign.status == CampaignStatus.DRAFT:
        return "campaign not started yet (draft)"
    if campaign.status == CampaignStatus.SCHEDULED and campaign.next_run_at and campaign.next_run_at > now:
        return f"campaign starts at {local_label(campaign.next_run_at, settings.hours.zone)}"
    try:
        window = window_for(settings, campaign, contact.timezone)
    except WindowError:
        return f"timezone {contact.timezone!r} unknown: not dialed"
    if not window.contains(now):
        opens = window.next_open(now)
        when = f"; opens {local_label(opens, window.tz)}" if opens else ""
        return f"outside its call window ({window.describe()}){when}"
    if contact.next_attempt_at is not None and contact.next_attempt_at > now:
        prefix = contact.reason + "; " if contact.reason else ""
        return f"{prefix}next attempt at {local_label(contact.next_attempt_at, settings.hours.zone, seconds=True)}"
    if contact.attempts >= campaign.max_attempts:
        return f"retry cap reached ({contact.attempts} attempts)"
    return (contact.reason + "; " if contact.reason else "") + "ready: dialed in the next free slot (pacing " \
        f"{campaign.calls_per_second:g}/s, at most {campaign.max_concurrent} at once)"


def contacts_page(s: Session, settings: Settings, campaign: Campaign, offset: int = 0, limit: int = 100,
                  status: str | None = None, search: str | None = None) -> list[dict[str, Any]]:
    """A page of contacts with their *why*; ``search``: digits of the number, or name/title/case text."""
    now = utcnow()
    query = select(Contact).where(Contact.campaign_id == campaign.id)
    if status:
        query = query.where(Contact.status == status)
    found = history.search_filter(search)
    if found is not None:
        query = query.where(found)
    rows = list(s.scalars(query.order_by(Contact.id).offset(offset).limit(limit)))
    dnc = dnc_numbers(s, [c.phone for c in rows], campaign.id)
    return [contact_json(settings, campaign, c, now, dnc) for c in rows]


def contact_json(settings: Settings, campaign: Campaign, c: Contact, now: datetime,
                 dnc: set[str] | None = None) -> dict[str, Any]:
    return {"id": c.id, "phone": c.phone, "name": c.name, "case_ref": c.case_ref, "timezone": c.timezone,
            "row": c.row_number, "status": c.status, "attempts": c.attempts, "result": c.result,
            "next_attempt_at": _iso(c.next_attempt_at), "outcome": c.outcome,
            "why": why(settings, campaign, c, now, dnc)}


def campaign_json(campaign: Campaign) -> dict[str, Any]:
    return {"id": campaign.id, "name": campaign.name, "purpose": campaign.purpose, "mode": campaign.mode,
            "status": campaign.status, "locale": campaign.locale, "script": campaign.script,
            "context": campaign.context, "voicemail_text": campaign.voicemail_text,
            "start_at": _iso(campaign.start_at), "cron": campaign.cron, "timezone": campaign.timezone,
            "window": campaign.window, "weekdays": campaign.weekdays,
            "calls_per_second": campaign.calls_per_second, "max_concurrent": campaign.max_concurrent,
            "max_attempts": campaign.max_attempts, "retry_backoff_s": campaign.retry_backoff_s,
            "retry_backoff_factor": campaign.retry_backoff_factor, "ring_timeout_s": campaign.ring_timeout_s,
            "machine_detection": campaign.machine_detection, "agent_code": campaign.agent_code,
            "system_rule": campaign.system_rule, "created_at": _iso(campaign.created_at),
            **campaign_options.options_json(campaign)}


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if value else None


def list_campaigns(s: Session, limit: int = 200) -> list[Campaign]:
    return list(s.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(limit)))


def attempts_of(s: Session, contact_id: int) -> list[Attempt]:
    return list(s.scalars(select(Attempt).where(Attempt.contact_id == contact_id).order_by(Attempt.id)))

