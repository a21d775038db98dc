"""An attempt's outcome: Twilio's status (callback or fetched) applied to the attempt, and the
contact settled — completed, retried after its back-off, or failed at the cap."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import utcnow
from core.events import Notice, emit
from core.twiml import absolute_url
from scheduler import followup
from scheduler.models import (
    FINAL_ATTEMPT,
    Attempt,
    AttemptStatus,
    Campaign,
    CampaignStatus,
    Contact,
    ContactStatus,
)
from scheduler.windows import Window, WindowError

log = logging.getLogger(__name__)

RETRY_STATUSES = {AttemptStatus.BUSY, AttemptStatus.NO_ANSWER, AttemptStatus.FAILED, AttemptStatus.CANCELED}
TWILIO_STATUSES = {"queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed",
                   "no-answer", "canceled"}


def outbound_url(settings: Settings, kind: str, **params: Any) -> str:
    return absolute_url(settings, f"/ivr/outbound/{kind}", **params)



def publish(app: Flask, topic: str, payload: dict[str, Any]) -> None:
    emit(app, Notice(topic=topic, payload=payload))


def apply_call_status(s: Session, settings: Settings, attempt: Attempt, status: str, *,
                      call_sid: str | None = None, answered_by: str | None = None,
                      duration: str | int | None = None, now: datetime | None = None) -> bool:
    """Apply a status callback / fetched status to the attempt; settle the contact when final.
    Returns True when the attempt became final now."""
    now = now or utcnow()
    if status not in TWILIO_STATUSES:
        return False
    if call_sid and attempt.call_sid is None:
        clash = s.scalar(select(Attempt.id).where(Attempt.call_sid == call_sid, Attempt.id != attempt.id))
        if clash is None:
            attempt.call_sid = call_sid
            attempt.dialed_at = attempt.dialed_at or now
    if answered_by:
        attempt.answered_by = answered_by[:30]
    if attempt.status in FINAL_ATTEMPT:
        return False
    if status == "initiated":
        status = AttemptStatus.QUEUED
    attempt.updated_at = now
    if status == "in-progress" and attempt.answered_at is None:
        attempt.answered_at = now
    if status not in {"completed", "busy", "failed", "no-answer", "canceled"}:
        attempt.status = status
        return False
    attempt.status = status
    attempt.ended_at = now
    if duration not in (None, ""):
        try:
            attempt.duration_s = float(duration)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            pass
    _after_final(s, settings, attempt, now)
    return True


def _retry(contact: Contact, campaign: Campaign, attempt: Attempt, result: str | None, now: datetime) -> None:
    wait = _backoff(campaign, contact.attempts)
    contact.status = ContactStatus.PENDING
    contact.result = result if result in RETRY_RESULTS else attempt.status
    contact.next_attempt_at = now + wait
    what = RETRY_REASONS.get(result or "", str(attempt.status))
    contact.reason = (f"{what} (attempt {contact.attempts} of {campaign.max_attempts}); retry after "
                      f"{wait.total_seconds():.0f}s")


def _recycle(s: Session, settings: Settings, contact: Contact, campaign: Campaign, attempt: Attempt,
             now: datetime) -> None:
    """At the cap after no-answer/busy: another pass, ``recycle_after_s`` later, in the recycle
    window (another time of day), with a fresh set of attempts."""
    at = now + timedelta(seconds=campaign.recycle_after_s)
    if campaign.recycle_window:
        try:
            window = Window.of(settings, campaign.recycle_window, campaign.weekdays,
                               contact.timezone or campaign.timezone)
            if not window.contains(at):
                at = window.next_open(at) or at
        except WindowError:
            pass
    contact.recycle_pass += 1
    contact.attempts = 0
    contact.status = ContactStatus.PENDING
    contact.result = str(attempt.status)
    contact.next_attempt_at = at
    contact.reason = (f"{attempt.status} at the retry cap: recycled into pass {contact.recycle_pass + 1} "
                      f"of {campaign.recycle_passes + 1}")


def _backoff(campaign: Campaign, attempts: int) -> timedelta:
    return timedelta(seconds=campaign.retry_backoff_s * campaign.retry_backoff_factor ** max(0, attempts - 1))


RETRY_RESULTS = ("no_response", "reschedule", "abandoned", "machine")  # answered, yet to be called again
REACHED_REASONS = {"voicemail": "reached: voicemail left after the beep",
                   "wrong_person": "reached: not the person we called for (H20), not called again",
                   "connected": "reached: connected to an agent",
                   "fax": "a fax machine answered: not called again"}
RETRY_REASONS = {"reschedule": "not convenient now (H20): another time", "no_response": "answered but no reply",
                 "abandoned": "answered with no agent free: the abandon message was played",
                 "machine": "an answering machine answered (retried, no voicemail)"}
RECYCLED = (AttemptStatus.NO_ANSWER, AttemptStatus.BUSY)


def _after_final(s: Session, settings: Settings, attempt: Attempt, now: datetime) -> None:
    """The attempt is over: complete the contact, schedule its retry, recycle it, or fail it at the cap."""
    contact = attempt.contact
    campaign = attempt.campaign
    latest = s.scalar(select(func.max(Attempt.id)).where(Attempt.contact_id == contact.id))
    if latest != attempt.id or contact.status != ContactStatus.IN_PROGRESS:
        return
    answered = attempt.answered_at is not None or (attempt.duration_s or 0) > 0
    result = attempt.result
    if attempt.status == AttemptStatus.COMPLETED and not answered and result is None:
        attempt.status = AttemptStatus.NO_ANSWER  # ended before anyone answered
    if attempt.status == AttemptStatus.COMPLETED and result is None:
        result = "answered"
    if result == "opted_out":
        contact.status, contact.result, contact.next_attempt_at = ContactStatus.DNC, result, None
        contact.reason = "pressed the opt-out key: on the do-not-call list, never called again"
    elif attempt.status == AttemptStatus.COMPLETED and result not in RETRY_RESULTS:
        contact.status, contact.result, contact.next_attempt_at = ContactStatus.COMPLETED, result, None
        contact.reason = REACHED_REASONS.get(result or "", f"reached: {result} (attempt {contact.attempts})")
    elif campaign.status == CampaignStatus.CANCELLED:
        contact.status = ContactStatus.CANCELLED
        contact.reason = "campaign cancelled"
    elif contact.attempts < campaign.max_attempts:
        _retry(contact, campaign, attempt, result, now)
    elif attempt.status in RECYCLED and contact.recycle_pass < campaign.recycle_passes:
        _recycle(s, settings, contact, campaign, attempt, now)
    else:
        history = ", ".join(s.scalars(select(Attempt.status).where(
            Attempt.contact_id == contact.id, Attempt.round == contact.round,
            Attempt.status != AttemptStatus.NOT_PLACED).order_by(Attempt.id)))
        contact.status = ContactStatus.FAILED
        contact.result = "retry_cap"
        contact.reason = f"retry cap reached: {contact.attempts} attempts ({history})"[:240]
    if contact.case_id is not None:
        followup.contact_finished(s, settings, contact, attempt, now)

