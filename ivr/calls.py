"""Call records: each webhook keeps the Call row and its timeline up to date."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import utcnow
from core.events import CallArrived, publish, status_event
from core.models import Call, Caller, CallEvent
from core.phone import caller_number

FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
KNOWN_STATUSES = FINAL_STATUSES | {"queued", "initiated", "ringing", "in-progress"}


def find_call(s: Session, call_sid: str) -> Call | None:
    return s.scalar(select(Call).where(Call.call_sid == call_sid))


def find_or_create_caller(s: Session, phone: str | None) -> Caller | None:
    if phone is None:
        return None
    caller = s.scalar(select(Caller).where(Caller.phone == phone))
    if caller is None:
        caller = Caller(phone=phone)
        s.add(caller)
        s.flush()
    return caller


def record_call(s: Session, form: Mapping[str, str], settings: Settings, purpose: str = "caller") -> Call:
    """The Call row for this webhook's CallSid, created on first sight."""
    call_sid = (form.get("CallSid") or "").strip()[:64]
    call = find_call(s, call_sid)
    if call is None:
        phone = caller_number(form.get("From"), settings.campaigns.default_region)
        caller = find_or_create_caller(s, phone) if purpose == "caller" else None
        call = Call(call_sid=call_sid, direction=(form.get("Direction") or "inbound")[:20],
                    purpose=purpose, from_number=(form.get("From") or "")[:80] or None,
                    to_number=(form.get("To") or "")[:80] or None, caller=caller,
                    parent_call_sid=(form.get("ParentCallSid") or None),
                    status=_status(form.get("CallStatus")) or "ringing",
                    locale=caller.locale if caller else None)
        s.add(call)
        s.flush()
        add_event(s, call, "started", direction=call.direction, status=call.status)
        publish(s, CallArrived(call_sid=call_sid))
    return call


def add_event(s: Session, call: Call, kind: str, **detail: Any) -> CallEvent:
    event = CallEvent(call=call, kind=kind, detail=detail)
    s.add(event)
    return event


def _status(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if value in KNOWN_STATUSES else None


def apply_status_callback(s: Session, form: Mapping[str, str]) -> Call | None:
    """Update the call from Twilio's status callback; unknown calls are ignored."""
    call = find_call(s, (form.get("CallSid") or "").strip())
    status = _status(form.get("CallStatus"))
    if call is None or status is None:
        return call
    if call.status != status:
        call.status = status
        add_event(s, call, "status", status=status)
        if (changed := status_event(call.call_sid, status, call.agent_id)) is not None:
            publish(s, changed)
    if status in FINAL_STATUSES:
        call.ended_at = call.ended_at or utcnow()
        duration = form.get("CallDuration")
        if duration and duration.isdigit():
            call.duration_s = float(duration)
        elif call.duration_s is None:
            call.duration_s = (call.ended_at - call.started_at).total_seconds()
    answered_by = form.get("AnsweredBy")
    if answered_by:
        call.answered_by = answered_by[:30]
    return call
