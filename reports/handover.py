"""Shift handover log (H24): open items are never dropped at shift change.

A log belongs to one shift instance (``reports.periods.ShiftInstance``; shifts may pass midnight).
Until the outgoing user submits it, its items follow what is open *now*: open cases, pending
call-backs, unacknowledged console alerts and major incidents whose written report is due (H26).
Submitting freezes the list with the outgoing notes; the incoming user acknowledges it. An item
still open at the next handover is listed again (``carried_over``, with the earlier note shown),
until it is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.alerts import Alert
from core.config import Settings
from core.models import AuditLog, CallbackRequest, CallbackStatus, Case, CaseStatus, User
from core.phone import mask
from reports import data
from reports.models import HandoverItem, HandoverLog, MajorIncident
from reports.periods import ShiftInstance, to_local

OPEN_CASE = (CaseStatus.OPEN, CaseStatus.DISPATCHED)
OPEN_CALLBACK = (CallbackStatus.PENDING, CallbackStatus.DIALING, CallbackStatus.CONNECTED)
MAX_NOTE = 10_000


class HandoverError(ValueError):
    """A handover step that cannot be done; the message says why."""


@dataclass(frozen=True)
class OpenItem:
    kind: str  # case | callback | alert | incident
    ref_id: int
    label: str
    opened_at: datetime | None


def open_items(s: Session) -> list[OpenItem]:
    """Everything open now, oldest first within each kind."""
    items = [OpenItem("case", c.id, f"{c.ref} · {c.kind} · {c.status} · {(c.description or '')[:80]}", c.created_at)
             for c in s.scalars(select(Case).where(Case.status.in_(OPEN_CASE)).order_by(Case.created_at, Case.id))]
    items += [OpenItem("callback", r.id, f"{mask(r.phone)} · {r.reason} · {r.status}", r.requested_at)
              for r in s.scalars(select(CallbackRequest).where(CallbackRequest.status.in_(OPEN_CALLBACK))
                                 .order_by(CallbackRequest.original_joined_at, CallbackRequest.id))]
    items += [OpenItem("alert", a.id, f"{a.kind} · {(a.text or '')[:120]}", a.created_at)
              for a in s.scalars(select(Alert).where(Alert.acknowledged.is_(False))
                                 .order_by(Alert.created_at, Alert.id))]
    items += [OpenItem("incident", i.id, f"H26 · {i.title[:120]}", i.recorded_at)
              for i in s.scalars(select(MajorIncident).where(MajorIncident.report_filed_at.is_(None))
                                 .order_by(MajorIncident.recorded_at, MajorIncident.id))]
    return items


def ensure_log(s: Session, instance: ShiftInstance, now: datetime) -> HandoverLog:
    log = s.scalar(select(HandoverLog).where(HandoverLog.shift_key == instance.key))
    if log is None:
        log = HandoverLog(shift_key=instance.key, shift_name=instance.name, shift_day=instance.day,
                          starts_at=instance.start, ends_at=instance.end, created_at=now, notes="",
                          acknowledge_note="")
        s.add(log)
        s.flush()
    return log


def previous_log(s: Session, log: HandoverLog) -> HandoverLog | None:
    return s.scalar(select(HandoverLog).where(HandoverLog.starts_at < log.starts_at, HandoverLog.id != log.id)
                    .order_by(HandoverLog.starts_at.desc(), HandoverLog.id.desc()).limit(1))


def refresh(s: Session, log: HandoverLog) -> HandoverLog:
    """A draft log's items become what is open now (a submitted log is frozen)."""
    if log.submitted_at is not None:
        return log
    now_open = {(i.kind, i.ref_id): i for i in open_items(s)}
    before = previous_log(s, log)
    carried = {(i.kind, i.ref_id) for i in before.items} if before is not None else set()
    for item in list(log.items):
        if (item.kind, item.ref_id) not in now_open:
            log.items.remove(item)  # closed before the handover: nothing left to hand over
    have = {(i.kind, i.ref_id) for i in log.items}
    for key, found in now_open.items():
        if key not in have:
            log.items.append(HandoverItem(kind=found.kind, ref_id=found.ref_id, label=found.label[:300],
                                          opened_at=found.opened_at, carried_over=key in carried, note=""))
        else:
            item = next(i for i in log.items if (i.kind, i.ref_id) == key)
            item.label = found.label[:300]
            item.carried_over = key in carried
    s.flush()
    return log


def earlier_notes(s: Session, log: HandoverLog) -> dict[tuple[str, int], str]:
    """The previous handover's note on each item (shown beside a carried-over item)."""
    before = previous_log(s, log)
    if before is None:
        return {}
    return {(i.kind, i.ref_id): i.note for i in before.items if i.note}


def submit(s: Session, log: HandoverLog, user: User, notes: str, item_notes: dict[int, str], now: datetime) -> None:
    if log.submitted_at is not None:
        raise HandoverError("this handover was submitted already")
    if len(notes or "") > MAX_NOTE or any(len(n) > MAX_NOTE for n in item_notes.values()):
        raise HandoverError(f"notes: at most {MAX_NOTE} characters")
    refresh(s, log)
    for item in log.items:
        item.note = (item_notes.get(item.id) or "").strip()
    log.notes = (notes or "").strip()
    log.outgoing_user_id = user.id
    log.submitted_at = now
    s.add(AuditLog(at=now, user_id=user.id, action="handover_submitted", target=log.shift_key,
                   detail={"items": len(log.items)}))


def acknowledge(s: Session, log: HandoverLog, user: User, note: str, now: datetime) -> None:
    if log.submitted_at is None:
        raise HandoverError("the outgoing shift has not submitted this handover yet")
    if log.acknowledged_at is not None:
        raise HandoverError("this handover was acknowledged already")
    if log.outgoing_user_id == user.id:
        raise HandoverError("the incoming user acknowledges, not the one who handed over")
    if len(note or "") > MAX_NOTE:
        raise HandoverError(f"note: at most {MAX_NOTE} characters")
    log.incoming_user_id = user.id
    log.acknowledged_at = now
    log.acknowledge_note = (note or "").strip()
    s.add(AuditLog(at=now, user_id=user.id, action="handover_acknowledged", target=log.shift_key,
                   detail={"items": len(log.items)}))


def awaiting_acknowledgement(s: Session) -> list[HandoverLog]:
    return list(s.scalars(select(HandoverLog).where(HandoverLog.submitted_at.is_not(None),
                                                    HandoverLog.acknowledged_at.is_(None))
                          .order_by(HandoverLog.starts_at)))


def recent_logs(s: Session, limit: int = 30) -> list[HandoverLog]:
    return list(s.scalars(select(HandoverLog).order_by(HandoverLog.starts_at.desc(), HandoverLog.id.desc())
                          .limit(limit)))


def log_dict(s: Session, settings: Settings, log: HandoverLog) -> dict[str, Any]:
    zone = settings.hours.zone
    users = data.users_by_id(s, {u for u in (log.outgoing_user_id, log.incoming_user_id) if u})

    def who(user_id: int | None) -> str | None:
        user = users.get(user_id) if user_id else None
        return (user.display_name or user.name) if user else None

    def local(value: datetime | None) -> str | None:
        return to_local(value, zone).strftime("%Y-%m-%d %H:%M") if value else None

    return {"key": log.shift_key, "shift": log.shift_name, "day": log.shift_day.isoformat(),
            "starts": local(log.starts_at), "ends": local(log.ends_at), "notes": log.notes,
            "submitted_at": local(log.submitted_at), "outgoing": who(log.outgoing_user_id),
            "acknowledged_at": local(log.acknowledged_at), "incoming": who(log.incoming_user_id),
            "acknowledge_note": log.acknowledge_note,
            "items": [{"id": i.id, "kind": i.kind, "ref_id": i.ref_id, "label": i.label, "note": i.note,
                       "carried_over": i.carried_over, "opened_at": local(i.opened_at)} for i in log.items]}
