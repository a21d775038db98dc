"""The follow-up call-backs (H16, H17): each becomes a contact of its rule's system campaign.

- **H16** a repair whose work order returned → satisfaction call-back on the next day
  (``followup.repair_callback_delay_days``) when the call window opens;
- **H17** a complaint replied to / resolved → call-backs until the caller says satisfied (every
  ``followup.complaint_callback_after_h``, at most ``followup.complaint_max_callbacks``).

A call-back whose script would read stock text for a value the case cannot give is not called;
the contact and the case say which values are missing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import local_label
from core.config import Settings
from core.db import utcnow
from core.models import Case, CaseKind, CaseStatus
from core.phone import InvalidNumber
from scheduler.contacts import add_contact
from scheduler.followup_records import (
    alert,
    case_number,
    case_title,
    fire_once,
    record_callback_result,
    set_outcome,
    system_campaign,
)
from scheduler.models import Campaign, Contact, ContactStatus, FollowUp
from scheduler.preflight import contact_unfilled
from scheduler.windows import Window, zone


def mark_work_order_returned(s: Session, settings: Settings, case: Case, when: datetime | None = None) -> Contact | None:
    """H16: the repair's work order came back. Schedules the satisfaction call-back for the next day
    (when the call window opens). Returns the call-back contact (None without a number)."""
    case.work_order_returned_at = when or utcnow()
    s.flush()
    return _schedule_repair_callback(s, settings, case, utcnow())


def schedule_repair_satisfaction_callbacks(s: Session, settings: Settings, now: datetime) -> int:
    """H16: every repair whose work order returned (set by ``PATCH /api/cases``, the case page or
    any other part) gets its satisfaction call-back scheduled for the next day, once."""
    done = select(FollowUp.case_id).where(FollowUp.rule == "H16")
    fired = 0
    for case in s.scalars(select(Case).where(Case.kind == CaseKind.REPAIR, Case.work_order_returned_at.is_not(None),
                                             Case.id.not_in(done))):
        if _schedule_repair_callback(s, settings, case, now) is not None:
            fired += 1
    return fired


def repair_callback_due(settings: Settings, returned_at: datetime) -> datetime:
    """H16: the first call-window opening on the day after the work order returned (local time)."""
    tz = zone(settings.hours.timezone)
    local = returned_at.replace(tzinfo=UTC).astimezone(tz)
    day = local.date() + timedelta(days=settings.followup.repair_callback_delay_days)
    start = datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
    window = Window.of(settings)
    return window.next_open(start) or start


def _schedule_repair_callback(s: Session, settings: Settings, case: Case, now: datetime) -> Contact | None:
    if case.work_order_returned_at is None:
        return None
    due = repair_callback_due(settings, case.work_order_returned_at)
    row = fire_once(s, "H16", case.id, "callback", due_at=due)
    if row is None:
        return None
    number = case_number(case)
    if not number:
        set_outcome(case, "h16_callback", {"status": "no_number", "at": now.isoformat() + "Z"})
        alert(s, "H16", case.id, "lead", f"报修 {case.ref} 无联系电话,无法回访 / repair {case.ref}: no number "
                                           "for the satisfaction call-back (H16)")
        return None
    campaign = system_campaign(s, settings, "H16")
    try:
        contact = add_contact(s, settings, campaign, number, name=case.caller_name, title=case_title(case),
                              case_id=case.id, case_ref=case.ref, next_attempt_at=due,
                              locale=case.caller.locale if case.caller else None)
    except (InvalidNumber, IntegrityError) as exc:
        set_outcome(case, "h16_callback", {"status": "invalid_number", "reason": str(exc)[:200]})
        return None
    contact.reason = f"H16 satisfaction call-back due {local_label(due, settings.hours.zone)}"
    row.contact_id = contact.id
    refused = _refuse_stock_text(s, settings, campaign, contact)
    if refused:
        set_outcome(case, "h16_callback", {"status": "unfilled_values", "reason": refused,
                                            "contact_id": contact.id})
        return contact
    set_outcome(case, "h16_callback", {"status": "scheduled", "due_at": due.isoformat() + "Z",
                                        "contact_id": contact.id})
    return contact


def _refuse_stock_text(s: Session, settings: Settings, campaign: Campaign, contact: Any) -> str | None:
    """Pre-flight for one call-back: a value the case cannot give (no agent with a 工号, no
    resolution…) would be read as stock text, so the contact is not called; the reason names them."""
    missing = contact_unfilled(s, settings, campaign, contact)
    if not missing:
        return None
    contact.status = ContactStatus.FAILED
    contact.result = "unfilled_values"
    contact.next_attempt_at = None
    contact.reason = (f"not called: unfilled values {', '.join(missing)} — give the case an agent with an "
                      f"agent code, a resolution, or a description")[:240]
    return contact.reason


def schedule_complaint_callbacks(s: Session, settings: Settings, now: datetime) -> int:
    """H17: complaints answered (replied/resolved) and not yet satisfied get the next call-back,
    every ``followup.complaint_callback_after_h``, at most ``followup.complaint_max_callbacks``."""
    fired = 0
    campaign: Campaign | None = None
    cfg = settings.followup
    for case in s.scalars(select(Case).where(
            Case.kind == CaseKind.COMPLAINT,
            (Case.replied_at.is_not(None)) | (Case.status.in_((CaseStatus.RESOLVED, CaseStatus.CLOSED))))):
        outcome = case.outcome or {}
        if outcome.get("h17_satisfied"):
            continue
        rows = list(s.scalars(select(FollowUp).where(FollowUp.rule == "H17", FollowUp.case_id == case.id)
                              .order_by(FollowUp.id)))
        if len(rows) >= cfg.complaint_max_callbacks:
            if fire_once(s, "H17", case.id, "gave_up"):
                alert(s, "H17", case.id, "lead",
                       f"投诉 {case.ref} 回访 {cfg.complaint_max_callbacks} 次仍未满意 / complaint {case.ref}: "
                       f"not satisfied after {cfg.complaint_max_callbacks} call-backs (H17)")
            continue
        if rows:
            last = rows[-1]
            if last.key == "gave_up":
                continue
            contact = s.get(Contact, last.contact_id) if last.contact_id else None
            if contact is not None and contact.status in (ContactStatus.PENDING, ContactStatus.IN_PROGRESS):
                continue  # a call-back is still under way
            due = (last.created_at if contact is None else contact.updated_at) + \
                timedelta(hours=cfg.complaint_callback_after_h)
            if due > now:
                continue
        else:
            due = now
        number = case_number(case)
        key = f"callback-{len(rows) + 1}"
        row = fire_once(s, "H17", case.id, key, due_at=due)
        if row is None:
            continue
        if not number:
            record_callback_result(s, settings, case, "no_number")
            continue
        campaign = campaign or system_campaign(s, settings, "H17")
        previous = s.get(Contact, rows[-1].contact_id) if rows and rows[-1].contact_id else None
        if previous is not None:
            # The next call-back re-arms the same contact in a new round (new attempts, new keys).
            contact = previous
            contact.round += 1
            contact.attempts = 0
            contact.status = ContactStatus.PENDING
            contact.next_attempt_at = due
            contact.result = None
            contact.outcome = {}
        else:
            try:
                contact = add_contact(s, settings, campaign, number, name=case.caller_name, title=case_title(case),
                                      case_id=case.id, case_ref=case.ref, next_attempt_at=due,
                                      locale=case.caller.locale if case.caller else None)
            except InvalidNumber as exc:
                record_callback_result(s, settings, case, "invalid_number", note=str(exc))
                continue
        contact.reason = f"H17 complaint call-back #{len(rows) + 1}"
        row.contact_id = contact.id
        refused = _refuse_stock_text(s, settings, campaign, contact)
        if refused:
            record_callback_result(s, settings, case, "unfilled_values", note=refused)
        fired += 1
    return fired
