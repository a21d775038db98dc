"""Follow-up rules that create call-backs and alerts without anyone remembering (H14–H19).

``run_rules(app)`` runs on every scheduler tick; each rule is idempotent (a ``FollowUp`` row with
a unique ``(rule, case, key)`` records that it fired):

- **H14** a case still without reply when ``reply_due_at`` passes (1 day) → alert the team lead,
  once per case per local day.
- **H15** a repair open longer than ``cases.repair_escalate_after_h`` (2 days) → ``escalated_at``
  set and the supervisor alerted, once.
- **H16** a repair whose work order returned → satisfaction call-back on the next day
  (``followup.repair_callback_delay_days``) when the call window opens, asking timeliness, attitude
  and quality; the answers land on ``case.outcome["h16_callback"]``.
- **H17** a complaint that was replied to / resolved → call-backs until the caller says satisfied
  (every ``followup.complaint_callback_after_h``, at most ``followup.complaint_max_callbacks``), each
  result appended to ``case.outcome["h17_callbacks"]``.
- **H9** queue call-backs are placed by routing when the caller's turn comes (the tick calls
  ``ivr.routing.dispatch_due``).

The rules' records, case outcomes and alerts are in ``followup_records``; the H16/H17 call-backs
in ``followup_callbacks`` (``mark_work_order_returned``); this module runs the rules, has H14 and
H15, settles a finished call-back on its case and computes the H16/H18/H19 rates for the reports.

Public functions for other parts: ``followup_callbacks.mark_work_order_returned``,
``followup_records.record_callback_result``, ``open_followup_case``, ``repair_callback_rate``,
``survey_return_rate``, ``satisfaction``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.cases import open_case
from core.config import Settings
from core.db import in_app_context, session_scope, utcnow
from core.models import Case, CaseKind, CaseStatus
from scheduler.followup_callbacks import schedule_complaint_callbacks, schedule_repair_satisfaction_callbacks
from scheduler.followup_records import (
    alert,
    fire_once,
    local_date,
    publish_alert,
    record_callback_result,
    set_outcome,
)
from scheduler.models import Attempt, Campaign, Contact, ContactStatus, Purpose
from scheduler.script_answers import SCALE

log = logging.getLogger(__name__)

OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.DISPATCHED)
SCALE_POINTS = {answer: 5 - i for i, answer in enumerate(SCALE)}  # 很满意 5 … 很不满意 1


# -- settling a finished call-back --------------------------------------------------------------

def open_followup_case(s: Session, settings: Settings, contact: Contact, description: str) -> Case:
    """H20: a new need found on an outbound call, with no answer yet → a follow-up case under the
    original one, for the team lead."""
    case = open_case(s, settings, kind=CaseKind.FOLLOW_UP, source="campaign", description=description[:2000],
                     contact_number=contact.phone, caller_name=contact.name, parent_case_id=contact.case_id)
    contact.outcome = {**(contact.outcome or {}), "follow_up_case": case.ref}
    alert(s, "H20", case.id, "lead",
           f"外呼发现新需求,已建跟进案件 {case.ref} / new need on a call-back: follow-up case {case.ref}")
    return case


def contact_finished(s: Session, settings: Settings, contact: Contact, attempt: Attempt, now: datetime) -> None:
    """Outcomes land on the case once the contact is settled (reached, or given up)."""
    if contact.case_id is None or contact.status not in (ContactStatus.COMPLETED, ContactStatus.FAILED):
        return
    case = s.get(Case, contact.case_id)
    if case is None:
        return
    campaign = contact.campaign
    answers = {k: v for k, v in (contact.outcome or {}).items() if not k.startswith("_")}
    summary = {"at": now.isoformat() + "Z", "campaign_id": campaign.id, "contact_id": contact.id,
               "status": contact.status, "result": contact.result, "attempts": contact.attempts,
               "answers": answers}
    if campaign.purpose == Purpose.REPAIR_SATISFACTION:
        set_outcome(case, "h16_callback", summary)
    elif campaign.purpose == Purpose.COMPLAINT_FOLLOWUP:
        satisfied = answers.get("satisfied")
        result: str | bool = satisfied if isinstance(satisfied, bool) else (contact.result or "unreachable")
        record_callback_result(s, settings, case, result, attempt_id=attempt.id)
    else:
        set_outcome(case, f"campaign_{campaign.id}", summary)


# -- the rules ----------------------------------------------------------------------------------

@in_app_context
def run_rules(app: Flask) -> dict[str, int]:
    """Run H14–H17 once (each idempotent). Returns how many times each fired."""
    settings: Settings = app.config["HOTLINE"]
    now = utcnow()
    counts = {}
    alerts: list[dict[str, Any]] = []
    for rule, fn in (("H14", alert_cases_without_reply), ("H15", escalate_overdue_repairs),
                     ("H16", schedule_repair_satisfaction_callbacks), ("H17", schedule_complaint_callbacks)):
        try:
            with session_scope(app) as s:
                counts[rule] = fn(s, settings, now)
                alerts.extend(s.info.pop("scheduler_alerts", []))
        except Exception:  # noqa: BLE001 - one broken rule must not stop the others
            log.exception("follow-up rule %s failed", rule)
            counts[rule] = 0
    for payload in alerts:
        publish_alert(app, payload)
    return counts


def alert_cases_without_reply(s: Session, settings: Settings, now: datetime) -> int:
    """H14: a case still without a reply to the caller when ``reply_due_at`` passes (one day,
    ``cases.reply_within_h``) alerts the team lead, once per case per local day."""
    fired = 0
    for case in s.scalars(select(Case).where(Case.status.in_(OPEN_STATUSES), Case.replied_at.is_(None),
                                             Case.reply_due_at.is_not(None), Case.reply_due_at <= now)):
        if fire_once(s, "H14", case.id, local_date(settings, now), due_at=case.reply_due_at):
            hours = settings.cases.reply_within_h
            alert(s, "H14", case.id, "lead",
                   f"案件 {case.ref} 超过 {hours:g} 小时未答复来电人 / case {case.ref}: no reply to the "
                   f"caller within {hours:g} h (H14)")
            set_outcome(case, "h14_alerted_at", now.isoformat() + "Z")
            fired += 1
    return fired


def escalate_overdue_repairs(s: Session, settings: Settings, now: datetime) -> int:
    """H15: a repair open longer than ``cases.repair_escalate_after_h`` (two days) is escalated to
    the supervisor, once."""
    limit = now - timedelta(hours=settings.cases.repair_escalate_after_h)
    fired = 0
    for case in s.scalars(select(Case).where(Case.kind == CaseKind.REPAIR, Case.status.in_(OPEN_STATUSES),
                                             Case.escalated_at.is_(None), Case.created_at <= limit)):
        if fire_once(s, "H15", case.id, "escalated"):
            case.escalated_at = now
            hours = settings.cases.repair_escalate_after_h
            alert(s, "H15", case.id, "supervisor",
                   f"报修 {case.ref} 超过 {hours:g} 小时未完成,已上报主管 / repair {case.ref} open over "
                   f"{hours:g} h: escalated to the supervisor (H15)")
            fired += 1
    return fired


# -- rates for the reports ----------------------------------------------------------------------

def repair_callback_rate(s: Session, settings: Settings, start: datetime | None = None,
                         end: datetime | None = None) -> dict[str, Any]:
    """H16: repairs whose work order returned in [start, end) that got their satisfaction call-back
    (reached: answered or voicemail), against ``followup.repair_callback_rate_target`` (95 %)."""
    query = select(Case).where(Case.kind == CaseKind.REPAIR, Case.work_order_returned_at.is_not(None))
    if start is not None:
        query = query.where(Case.work_order_returned_at >= start)
    if end is not None:
        query = query.where(Case.work_order_returned_at < end)
    cases = list(s.scalars(query))
    reached = sum(1 for c in cases if ((c.outcome or {}).get("h16_callback") or {}).get("status") == "completed")
    rate = reached / len(cases) if cases else None
    target = settings.followup.repair_callback_rate_target
    return {"returned": len(cases), "called_back": reached, "rate": rate, "target": target,
            "meets_target": rate is not None and rate >= target}


def _survey_contacts(s: Session, campaign_id: int | None, start: datetime | None,
                     end: datetime | None) -> list[Contact]:
    query = select(Contact).join(Campaign, Contact.campaign_id == Campaign.id).where(
        Campaign.purpose.in_((Purpose.SURVEY, Purpose.REPAIR_SATISFACTION)),
        Contact.status.not_in((ContactStatus.DNC, ContactStatus.CANCELLED)))
    if campaign_id is not None:
        query = query.where(Campaign.id == campaign_id)
    if start is not None:
        query = query.where(Contact.updated_at >= start)
    if end is not None:
        query = query.where(Contact.updated_at < end)
    return list(s.scalars(query))


def _scale_answers(contact: Contact) -> dict[str, str]:
    return {k: v for k, v in (contact.outcome or {}).items() if isinstance(v, str) and v in SCALE_POINTS}


def survey_return_rate(s: Session, settings: Settings, campaign_id: int | None = None,
                       start: datetime | None = None, end: datetime | None = None) -> dict[str, Any]:
    """H18: questionnaires returned (at least one answer) / contacts surveyed, against
    ``followup.survey_return_target`` (70 %)."""
    contacts = _survey_contacts(s, campaign_id, start, end)
    returned = sum(1 for c in contacts if _scale_answers(c))
    rate = returned / len(contacts) if contacts else None
    target = settings.followup.survey_return_target
    return {"surveyed": len(contacts), "returned": returned, "rate": rate, "target": target,
            "meets_target": rate is not None and rate >= target}


def satisfaction(s: Session, settings: Settings, campaign_id: int | None = None,
                 start: datetime | None = None, end: datetime | None = None) -> dict[str, Any]:
    """H19: per-customer rate = satisfied items / surveyed items; overall = mean of per-customer
    rates; per-item rate = item score / total score (很满意 5 … 很不满意 1)."""
    satisfied_set = set(settings.followup.satisfied_answers)
    per_customer = []
    item_scores: dict[str, int] = {}
    item_counts: dict[str, int] = {}
    for contact in _survey_contacts(s, campaign_id, start, end):
        answers = _scale_answers(contact)
        if not answers:
            continue
        per_customer.append(sum(1 for v in answers.values() if v in satisfied_set) / len(answers))
        for item, answer in answers.items():
            item_scores[item] = item_scores.get(item, 0) + SCALE_POINTS[answer]
            item_counts[item] = item_counts.get(item, 0) + 1
    max_points = max(SCALE_POINTS.values())
    return {
        "customers": len(per_customer),
        "overall": sum(per_customer) / len(per_customer) if per_customer else None,
        "per_item": {item: item_scores[item] / (max_points * item_counts[item]) for item in item_scores},
    }


def pending_followups(s: Session) -> int:
    return s.scalar(select(func.count()).select_from(Contact).join(Campaign, Contact.campaign_id == Campaign.id)
                    .where(Campaign.system_rule.is_not(None), Contact.status == ContactStatus.PENDING)) or 0
