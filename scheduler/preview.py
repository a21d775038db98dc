"""Preview dialing: the agent sees the next contact (name, note, case, the attempts so far) and
clicks to dial; the call is placed at once for that agent (the attempt carries the agent), only
while the agent is free — a call that needs an agent is never placed when nobody can take it.
The agent may skip the contact instead, with a reason: it is offered again after the campaign's
retry back-off, no attempt counted."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import local_label
from core.config import Settings
from core.db import session_scope, utcnow
from core.models import Presence, User
from scheduler import campaign_progress, history
from scheduler import campaigns as svc
from scheduler.dialer import dial
from scheduler.limits import is_holiday
from scheduler.models import Campaign, CampaignStatus, Contact, ContactStatus, DialMode
from scheduler.pacing import _due_contacts, screen

SkipReason = Literal["not_now", "needs_research", "wrong_campaign", "other"]
SKIP_REASONS: tuple[str, ...] = get_args(SkipReason)


class PreviewError(ValueError):
    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


def _check(settings: Settings, campaign: Campaign, now: datetime) -> None:
    if campaign.dial_mode != DialMode.PREVIEW:
        raise PreviewError(f"campaign: dial mode is {campaign.dial_mode}, not preview")
    if campaign.status != CampaignStatus.RUNNING:
        raise PreviewError(f"campaign: it is {campaign.status}, not running")
    if is_holiday(settings, campaign, now):
        raise PreviewError("campaign: today is one of its holidays")


def next_contact(s: Session, settings: Settings, campaign: Campaign) -> dict[str, Any] | None:
    """The contact the agent would dial next (due, in its window, not on the DNC list), or None."""
    now = utcnow()
    _check(settings, campaign, now)
    picked = _due_contacts(s, settings, campaign, now, 1)
    s.commit()  # contacts pushed to their window / marked DNC while looking stay so
    if not picked:
        return None
    contact = picked[0]
    body = campaign_progress.contact_json(settings, campaign, contact, now)
    return {**body, "note": contact.note, "title": contact.title, "context": contact.context,
            "history": _history(s, campaign, contact)}


def running_preview_campaigns(s: Session) -> list[Campaign]:
    return list(s.scalars(select(Campaign).where(Campaign.dial_mode == DialMode.PREVIEW,
                                                 Campaign.status == CampaignStatus.RUNNING).order_by(Campaign.id)))


def skip_contact(s: Session, settings: Settings, campaign: Campaign, contact_id: int, agent: User,
                 reason: str, note: str = "") -> Contact:
    """The agent passes on this contact: offered again after the campaign's retry back-off, with
    who skipped it and why as its "why"; no attempt is counted."""
    now = utcnow()
    _check(settings, campaign, now)
    contact = s.get(Contact, contact_id)
    if contact is None or contact.campaign_id != campaign.id:
        raise PreviewError("contact: not found", 404)
    if contact.status != ContactStatus.PENDING or (contact.next_attempt_at and contact.next_attempt_at > now):
        raise PreviewError(f"contact: not due ({contact.reason or contact.status})")
    contact.next_attempt_at = now + timedelta(seconds=campaign.retry_backoff_s)
    again = local_label(contact.next_attempt_at, settings.hours.zone)
    why = f"skipped in preview by {agent.display_name or agent.name} ({reason}{': ' + note if note else ''})"
    contact.reason = f"{why}: offered again at {again}"[:240]
    svc.audit(s, agent.id, "preview_skip", campaign, contact_id=contact.id, reason=reason, note=note)
    return contact


def _history(s: Session, campaign: Campaign, contact: Contact) -> list[dict[str, Any]]:
    return history.contact_history(s, campaign, contact.id)[1]


def dial_for_agent(app: Flask, settings: Settings, campaign_id: int, contact_id: int, agent: User) -> int:
    """Place the call the agent clicked. Returns the attempt id; PreviewError when not allowed."""
    now = utcnow()
    with session_scope(app) as s:
        campaign = s.get(Campaign, campaign_id)
        if campaign is None:
            raise PreviewError("campaign: not found", 404)
        _check(settings, campaign, now)
        contact = s.get(Contact, contact_id)
        if contact is None or contact.campaign_id != campaign_id:
            raise PreviewError("contact: not found", 404)
        if contact.status != ContactStatus.PENDING or (contact.next_attempt_at and contact.next_attempt_at > now):
            raise PreviewError(f"contact: not due ({contact.reason or contact.status})")
        fresh = s.get(User, agent.id)
        if fresh is None or fresh.presence != Presence.AVAILABLE or not fresh.endpoint:
            raise PreviewError("agent: set yourself available (and signed in to take calls) before dialing")
        if not screen(s, settings, campaign, [contact], now):
            s.commit()  # keep why it was not dialed
            raise PreviewError(f"contact: not callable now ({contact.reason or contact.status})")
    attempt_id = dial(app, settings, campaign_id, contact_id, now, None, agent_id=agent.id)
    if attempt_id is None:
        raise PreviewError("contact: dialed by someone else a moment ago")
    if attempt_id < 0:
        raise PreviewError("Twilio is throttling: try again in a few seconds", 503)
    return attempt_id
