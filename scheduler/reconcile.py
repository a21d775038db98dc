"""Reconciliation: attempts with no news are settled by asking Twilio, never by redialing."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from core.config import Settings
from core.db import in_app_context, session_scope, utcnow
from core.telephony.gateway import GatewayError, get_gateway
from scheduler.attempts import apply_call_status
from scheduler.models import FINAL_ATTEMPT, IN_FLIGHT_ATTEMPT, Attempt, AttemptStatus, ContactStatus


@in_app_context
def reconcile(app: Flask) -> int:
    """Attempts with no news for ``scheduler.reconcile_after_s``: ask Twilio (never redial).

    - no CallSid (crash between commit and REST answer, or a 5xx): look the number up in Twilio's
      call list since the attempt was recorded; adopt the call found, or prove it was never placed;
    - CallSid but not final (lost status callbacks): fetch the call and apply its status;
    - Twilio cannot tell (list unavailable, call unknown) for ``scheduler.lost_after_s``: the
      attempt is ``lost`` and its contact failed with that reason — not redialed.
    """
    settings: Settings = app.config["HOTLINE"]
    now = utcnow()
    stale_before = now - timedelta(seconds=settings.scheduler.reconcile_after_s)
    with session_scope(app) as s:
        stale = list(s.execute(select(Attempt.id, Attempt.call_sid, Attempt.status, Attempt.number,
                                      Attempt.created_at, Attempt.campaign_id).where(
            Attempt.status.in_(IN_FLIGHT_ATTEMPT), Attempt.updated_at < stale_before)
            .order_by(Attempt.id).limit(200)).all())
    if not stale:
        return 0
    gateway = get_gateway(app)
    done = 0
    for attempt_id, call_sid, _status, number, created_at, _campaign_id in stale:
        info = None
        lookup_failed = False
        not_found = False
        if call_sid is None:
            find = getattr(gateway, "find_calls", None)
            try:
                found = find(number, created_at - timedelta(seconds=60)) if find else None
            except GatewayError:
                found = None
            if found is None:
                lookup_failed = True
            else:
                with session_scope(app) as s:
                    claimed = set(s.scalars(select(Attempt.call_sid).where(
                        Attempt.call_sid.in_([c.sid for c in found]))))
                candidates = [c for c in found if c.sid not in claimed]
                if candidates:
                    info = candidates[0]
        else:
            try:
                info = gateway.fetch_call(call_sid)
            except GatewayError as exc:
                lookup_failed = True
                not_found = exc.status == 404 or exc.code == 20404
        with session_scope(app) as s:
            attempt = s.get(Attempt, attempt_id)
            if attempt is None or attempt.status in FINAL_ATTEMPT:
                continue
            age = (now - attempt.created_at).total_seconds()
            if info is not None:
                attempt.updated_at = now
                apply_call_status(s, settings, attempt, info.status, call_sid=info.sid,
                                  answered_by=info.answered_by, duration=info.duration, now=now)
                done += 1
            elif call_sid is None and not lookup_failed:
                attempt.status = AttemptStatus.NOT_PLACED
                attempt.ended_at = now
                attempt.error = "not placed: Twilio has no call for this attempt (the process stopped first)"
                contact = attempt.contact
                if contact.status == ContactStatus.IN_PROGRESS:
                    contact.status = ContactStatus.PENDING
                    contact.attempts = max(0, contact.attempts - 1)
                    contact.next_attempt_at = None
                    contact.reason = "previous attempt was never placed (process stopped): dialed again"
                done += 1
            elif age >= settings.scheduler.lost_after_s or not_found:
                attempt.status = AttemptStatus.LOST
                attempt.ended_at = now
                attempt.error = (f"call {call_sid} unknown to Twilio: outcome lost, not redialed" if call_sid
                                 else "REST answer lost and Twilio cannot be asked: not redialed")
                contact = attempt.contact
                if contact.status == ContactStatus.IN_PROGRESS:
                    contact.status = ContactStatus.FAILED
                    contact.result = "lost"
                    contact.reason = attempt.error
                done += 1
            else:
                attempt.status = AttemptStatus.UNKNOWN if call_sid is None else attempt.status
                attempt.updated_at = now  # ask again after reconcile_after_s
    return done

