"""Placing one call exactly once: ``dial`` commits an ``Attempt`` (status ``dialing``, unique
idempotency key ``campaign:contact:round:seq``) *before* ``gateway.place_call``, then stores the
CallSid; a REST error settles the attempt (invalid number, throttled, unknown outcome)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from core.clock import local_label
from core.config import Settings
from core.db import session_scope, utcnow
from core.telephony.gateway import GatewayError, get_gateway
from scheduler import lease as leases
from scheduler.attempts import _after_final, outbound_url, publish
from scheduler.models import Attempt, AttemptStatus, Campaign, CampaignStatus, Contact, ContactStatus

log = logging.getLogger(__name__)

THROTTLE_BACKOFF_S = 5.0  # REST still 429 after the gateway's own retries: wait before the next dial


def dial(app: Flask, settings: Settings, campaign_id: int, contact_id: int, slot: datetime,
         holder: str | None, agent_id: int | None = None) -> int | None:
    """Record the attempt, then place the call. Returns the attempt id, None if skipped, -1 if throttled."""
    now = utcnow()
    with session_scope(app) as s:
        contact = s.get(Contact, contact_id, with_for_update=s.bind.dialect.name == "postgresql")
        campaign = s.get(Campaign, campaign_id)
        if contact is None or campaign is None or contact.status != ContactStatus.PENDING \
                or campaign.status != CampaignStatus.RUNNING:
            return None
        if contact.next_attempt_at is not None and contact.next_attempt_at > now:
            return None  # its retry back-off (or window) is not over: picked before a callback moved it
        if holder is not None and not leases.still_held(s, holder, now):
            log.warning("lease lost: not dialing contact %s", contact_id)
            return None
        seq = (s.scalar(select(func.count()).select_from(Attempt).where(
            Attempt.contact_id == contact_id, Attempt.round == contact.round)) or 0) + 1
        attempt = Attempt(campaign_id=campaign_id, contact_id=contact_id, number=contact.phone, seq=seq,
                          round=contact.round, idempotency_key=f"{campaign_id}:{contact_id}:{contact.round}:{seq}",
                          status=AttemptStatus.DIALING, holder=holder, slot_at=slot, created_at=now,
                          updated_at=now, agent_id=agent_id)
        try:
            with s.begin_nested():
                s.add(attempt)
        except IntegrityError:  # another process recorded this very attempt: it is theirs
            s.rollback()
            return None
        contact.status = ContactStatus.IN_PROGRESS
        contact.attempts += 1
        contact.reason = f"dialing (attempt {contact.attempts} of {campaign.max_attempts})"
        s.flush()
        attempt_id = attempt.id
        to = contact.phone
        ring_timeout = campaign.ring_timeout_s
        amd = "DetectMessageEnd" if campaign.machine_detection else None
        caller_id = campaign.caller_id
    # Committed: from here on the attempt exists whatever happens to this process.
    gateway = get_gateway(app)
    try:
        call_sid = gateway.place_call(
            to, outbound_url(settings, "answer", attempt=attempt_id),
            status_callback=outbound_url(settings, "status", attempt=attempt_id),
            status_events=("initiated", "ringing", "answered", "completed"),
            timeout_s=ring_timeout, machine_detection=amd, from_=caller_id)
    except GatewayError as exc:
        return dial_failed(app, attempt_id, exc)
    except Exception as exc:  # noqa: BLE001 - network trouble: the call may or may not exist
        log.exception("placing attempt %s failed", attempt_id)
        dial_failed(app, attempt_id, GatewayError(str(exc)[:200]))
        return attempt_id
    placed = utcnow()
    with session_scope(app) as s:  # one statement: the leader's next dial waits for it
        # A webhook may have adopted the CallSid, or a status callback settled the attempt, first.
        s.execute(update(Attempt).where(Attempt.id == attempt_id).values(
            call_sid=func.coalesce(Attempt.call_sid, call_sid), dialed_at=func.coalesce(Attempt.dialed_at, placed),
            updated_at=placed, status=case((Attempt.status == AttemptStatus.DIALING, AttemptStatus.QUEUED.value),
                                           else_=Attempt.status)))
    publish(app, "campaign", {"id": campaign_id})
    return attempt_id


def dial_failed(app: Flask, attempt_id: int, exc: GatewayError) -> int:
    settings: Settings = app.config["HOTLINE"]
    now = utcnow()
    message = f"Twilio {exc.code}: {exc}" if exc.code else str(exc)
    with session_scope(app) as s:
        attempt = s.get(Attempt, attempt_id)
        contact = attempt.contact
        attempt.error_code = exc.code
        attempt.error = message[:240]
        attempt.updated_at = now
        if exc.invalid_number:
            attempt.status = AttemptStatus.FAILED
            attempt.ended_at = now
            contact.status = ContactStatus.FAILED
            contact.result = "invalid_number"
            contact.reason = f"invalid number: {message}"[:240]
            return attempt_id
        if exc.status == 429:
            # The gateway retried already and nothing was dialed: put the contact back, slow down.
            attempt.status = AttemptStatus.NOT_PLACED
            attempt.ended_at = now
            contact.status = ContactStatus.PENDING
            contact.attempts = max(0, contact.attempts - 1)
            contact.next_attempt_at = now + timedelta(seconds=THROTTLE_BACKOFF_S)
            retry_at = local_label(contact.next_attempt_at, settings.hours.zone, seconds=True)
            contact.reason = f"Twilio is throttling (429): not dialed, retried at {retry_at}"
            return -1
        if exc.status is None or exc.status >= 500:
            # The call may exist: never redial blindly; reconcile() asks Twilio later.
            attempt.status = AttemptStatus.UNKNOWN
            contact.reason = f"REST answer lost ({message}): checking with Twilio before any retry"[:240]
            return attempt_id
        attempt.status = AttemptStatus.FAILED
        attempt.ended_at = now
        _after_final(s, settings, attempt, now)
    return attempt_id

