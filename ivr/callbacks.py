"""Call-back requests (H9): one pending per number, keeping the caller's original place in
line; a changed number merges into that number's request; failed attempts retry after a
back-off, then give up into a recovery case."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.cases import open_case
from core.config import Settings
from core.events import CallQueued, publish
from core.models import CallbackRequest, CallbackStatus, CaseKind, QueueEntry


def pending_for(s: Session, phone: str) -> CallbackRequest | None:
    return s.scalar(select(CallbackRequest).where(
        CallbackRequest.phone == phone,
        CallbackRequest.status.in_((CallbackStatus.PENDING, CallbackStatus.DIALING,
                                    CallbackStatus.CONNECTED))).limit(1))


def request_callback(s: Session, *, phone: str, reason: str, entry: QueueEntry | None,
                     caller_id: int | None, now: datetime, priority: int = 0, skill: str | None = None,
                     locale: str | None = None, joined_at: datetime | None = None,
                     note: str | None = None) -> tuple[CallbackRequest, bool]:
    """A call-back that keeps the caller's place (its original join time); one pending per
    number — a second request returns the first (keeping the earlier place). → (request, created)."""
    original = entry.place_at if entry is not None else (joined_at or now)
    existing = pending_for(s, phone)
    if existing is not None:
        if existing.status == CallbackStatus.PENDING and original < existing.original_joined_at:
            existing.original_joined_at = original
        existing.priority = max(existing.priority, entry.priority if entry else priority)
        return existing, False
    request = CallbackRequest(
        phone=phone, caller_id=caller_id, queue_entry_id=entry.id if entry else None, reason=reason,
        status=CallbackStatus.PENDING, priority=entry.priority if entry else priority,
        skill=entry.skill if entry else skill, locale=entry.locale if entry else locale,
        original_joined_at=original, requested_at=now, note=note)
    s.add(request)
    s.flush()
    publish(s, CallQueued(call_sid=None, callback=True))
    return request, True


def change_callback_number(s: Session, request: CallbackRequest, phone: str) -> CallbackRequest:
    """The caller gave another number; one pending request per number still holds."""
    if phone == request.phone:
        return request
    other = pending_for(s, phone)
    if other is not None and other.id != request.id:
        other.original_joined_at = min(other.original_joined_at, request.original_joined_at)
        other.priority = max(other.priority, request.priority)
        request.status = CallbackStatus.CANCELLED
        request.note = f"merged into call-back {other.id} for the same number"
        return other
    request.phone = phone
    return request


def callback_attempt_failed(s: Session, settings: Settings, request: CallbackRequest, now: datetime,
                            why: str) -> None:
    """No answer / busy / machine: retry after the back-off, then give up into a case."""
    request.agent_id = None
    request.call_sid = None
    if request.attempts >= settings.callbacks.max_attempts:
        request.status = CallbackStatus.FAILED
        case = open_case(s, settings, kind=CaseKind.RECOVERY, source="call", caller_id=request.caller_id,
                         contact_number=request.phone,
                         description=f"Call-back not reached after {request.attempts} attempts ({why}).")
        request.case_id = case.id
        return
    request.status = CallbackStatus.PENDING
    request.due_at = now + timedelta(seconds=settings.callbacks.retry_backoff_s)
    request.note = f"attempt {request.attempts}: {why}"
