"""A campaign's progress and explainable dialing: live counts (dialed, answered, completed,
failed, remaining), the pending contacts by why they would not be dialed now (DNC, outside the
window, waiting for a retry, ready), one line per contact saying why it was or was not dialed, and
the contacts page the console and the API show."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import local_label
from core.config import Settings
from core.db import utcnow
from scheduler import history
from scheduler.campaigns import ANSWERED_RESULTS, iso
from scheduler.dnc import blocked_numbers
from scheduler.live import live_figures
from scheduler.models import Attempt, Campaign, CampaignStatus, Contact, ContactStatus
from scheduler.windows import Window, WindowError


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
        "next_run_at": iso(campaign.next_run_at), "started_at": iso(campaign.started_at),
        "finished_at": iso(campaign.finished_at),
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
            "next_attempt_at": iso(c.next_attempt_at), "outcome": c.outcome,
            "why": why(settings, campaign, c, now, dnc)}
