"""Campaign services: create (fields read by ``campaign_fields``), start / pause / resume /
cancel, the campaign as JSON. Progress counts and explainable dialing are in
``campaign_progress``.

Views, the API and the CLI call these with a ``Session`` and plain values; the caller commits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import utcnow
from core.models import AuditLog
from ivr.prompts import LOCALES
from scheduler import campaign_fields as fields
from scheduler import campaign_options, preflight
from scheduler import script as scripts
from scheduler.campaign_fields import CampaignError
from scheduler.models import (
    Attempt,
    Campaign,
    CampaignStatus,
    Contact,
    ContactStatus,
    Mode,
    Purpose,
)

PURPOSES = [p.value for p in Purpose]
MODES = [m.value for m in Mode]
ACTIVE = {CampaignStatus.SCHEDULED, CampaignStatus.RUNNING}
FINAL = {CampaignStatus.CANCELLED, CampaignStatus.COMPLETED}

# Contact results that count as "answered" (a person, or a machine that took the voicemail).
ANSWERED_RESULTS = {"answered", "voicemail", "declined", "wrong_person", "connected", "no_response"}


def create_campaign(s: Session, settings: Settings, data: dict[str, Any],
                    created_by_id: int | None = None) -> Campaign:
    """Validate ``data`` (API / form / CLI fields) and create a campaign (draft unless ``start``)."""
    if not isinstance(data, dict):
        raise CampaignError("the body must be a JSON object")
    cfg = settings.campaigns
    name = fields.text(data, "name", 120, required=True)
    purpose = fields.text(data, "purpose", 24) or Purpose.GENERAL_CALLBACK.value
    if purpose not in PURPOSES:
        raise CampaignError(f"purpose: must be one of {', '.join(PURPOSES)}")
    mode = fields.text(data, "mode", 16)
    if mode and mode not in MODES:
        raise CampaignError(f"mode: must be one of {', '.join(MODES)}")
    try:
        options = campaign_options.options_of(settings, data, mode)
    except campaign_options.OptionError as exc:
        raise CampaignError(str(exc)) from None
    mode = options.pop("mode")
    locale = fields.text(data, "locale", 10) or settings.company.default_locale
    if locale not in LOCALES:
        raise CampaignError(f"locale: must be one of {', '.join(LOCALES)}")
    tz = fields.text(data, "timezone", 64) or settings.hours.timezone
    window = fields.text(data, "window", 16)
    weekdays = fields.weekdays(data, tz, window)
    steps = fields.steps(data, purpose)
    context = fields.context(data)
    cron = fields.text(data, "cron", 120)
    if cron:
        fields.cron_trigger(cron, tz)
    start_at = fields.parse_start(data.get("start_at"), tz)
    cps = fields.number(data, "calls_per_second", cfg.calls_per_second, 0.01, cfg.calls_per_second)
    campaign = Campaign(
        name=name, purpose=purpose, mode=mode, locale=locale, script=scripts.script_ids(steps),
        context={str(k)[:40]: str(v) for k, v in context.items()},
        voicemail_text=fields.text(data, "voicemail_text", 1000), start_at=start_at, cron=cron, timezone=tz,
        window=window, weekdays=weekdays, calls_per_second=cps,
        max_concurrent=fields.number(data, "max_concurrent", cfg.max_concurrent, 1, 1000, integer=True),
        max_attempts=fields.number(data, "max_attempts", cfg.max_attempts, 1, 20, integer=True),
        retry_backoff_s=fields.number(data, "retry_backoff_s", cfg.retry_backoff_s, 0, 30 * 86400),
        retry_backoff_factor=fields.number(data, "retry_backoff_factor", cfg.retry_backoff_factor, 1, 10),
        ring_timeout_s=fields.number(data, "ring_timeout_s", cfg.ring_timeout_s, 5, 600, integer=True),
        machine_detection=fields.yes_no(data, "machine_detection", True),
        agent_code=fields.text(data, "agent_code", 16), agent_surname=fields.text(data, "agent_surname", 20),
        status=CampaignStatus.DRAFT, created_by_id=created_by_id, created_at=utcnow(), **options)
    s.add(campaign)
    s.flush()
    audit(s, created_by_id, "campaign_create", campaign, purpose=purpose, mode=mode)
    if fields.yes_no(data, "start", False):
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
        fire = fields.next_cron_fire(campaign.cron, campaign.timezone or "UTC", now)
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


def campaign_json(campaign: Campaign) -> dict[str, Any]:
    return {"id": campaign.id, "name": campaign.name, "purpose": campaign.purpose, "mode": campaign.mode,
            "status": campaign.status, "locale": campaign.locale, "script": campaign.script,
            "context": campaign.context, "voicemail_text": campaign.voicemail_text,
            "start_at": iso(campaign.start_at), "cron": campaign.cron, "timezone": campaign.timezone,
            "window": campaign.window, "weekdays": campaign.weekdays,
            "calls_per_second": campaign.calls_per_second, "max_concurrent": campaign.max_concurrent,
            "max_attempts": campaign.max_attempts, "retry_backoff_s": campaign.retry_backoff_s,
            "retry_backoff_factor": campaign.retry_backoff_factor, "ring_timeout_s": campaign.ring_timeout_s,
            "machine_detection": campaign.machine_detection, "agent_code": campaign.agent_code,
            "system_rule": campaign.system_rule, "created_at": iso(campaign.created_at),
            **campaign_options.options_json(campaign)}


def iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if value else None


def list_campaigns(s: Session, limit: int = 200) -> list[Campaign]:
    return list(s.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(limit)))


def attempts_of(s: Session, contact_id: int) -> list[Attempt]:
    return list(s.scalars(select(Attempt).where(Attempt.contact_id == contact_id).order_by(Attempt.id)))

