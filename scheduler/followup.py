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

Public functions for other parts: ``mark_work_order_returned``, ``record_callback_result``,
``open_followup_case``, ``repair_callback_rate``, ``survey_return_rate``, ``satisfaction``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.alerts import Alert, alert_dict, create_alert
from core.cases import open_case
from core.clock import local_label
from core.config import Settings
from core.db import in_app_context, session_scope, utcnow
from core.events import AlertRaised, emit
from core.models import Case, CaseKind, CaseStatus
from core.phone import InvalidNumber
from scheduler import script as scripts
from scheduler.contacts import add_contact
from scheduler.models import (
    Attempt,
    Campaign,
    CampaignStatus,
    Contact,
    ContactStatus,
    FollowUp,
    Mode,
    Purpose,
)
from scheduler.preflight import contact_unfilled
from scheduler.windows import Window, zone

log = logging.getLogger(__name__)

SYSTEM_CAMPAIGNS: dict[str, tuple[str, str]] = {
    "H16": (Purpose.REPAIR_SATISFACTION.value, "报修满意度回访 Repair satisfaction call-backs (H16)"),
    "H17": (Purpose.COMPLAINT_FOLLOWUP.value, "投诉回访 Complaint call-backs (H17)"),
}
OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.DISPATCHED)
SCALE_POINTS = {answer: 5 - i for i, answer in enumerate(scripts.SCALE)}  # 很满意 5 … 很不满意 1


# -- system campaigns ---------------------------------------------------------------------------

def system_campaign(s: Session, settings: Settings, rule: str) -> Campaign:
    """The always-running campaign that carries rule ``rule``'s call-backs (created on first use)."""
    campaign = s.scalar(select(Campaign).where(Campaign.system_rule == rule))
    if campaign is not None:
        return campaign
    purpose, name = SYSTEM_CAMPAIGNS[rule]
    cfg = settings.campaigns
    campaign = Campaign(name=name, purpose=purpose, mode=Mode.AUTOMATED, status=CampaignStatus.RUNNING,
                        locale=settings.company.default_locale, script=scripts.DEFAULT_SCRIPTS[purpose],
                        context={}, timezone=settings.hours.timezone, calls_per_second=cfg.calls_per_second,
                        max_concurrent=cfg.max_concurrent, max_attempts=cfg.max_attempts,
                        retry_backoff_s=cfg.retry_backoff_s, retry_backoff_factor=cfg.retry_backoff_factor,
                        ring_timeout_s=cfg.ring_timeout_s, machine_detection=True, system_rule=rule, round=1,
                        started_at=utcnow(), created_at=utcnow())
    try:
        with s.begin_nested():
            s.add(campaign)
    except IntegrityError:  # created by another process meanwhile
        return s.scalar(select(Campaign).where(Campaign.system_rule == rule))  # type: ignore[return-value]
    return campaign


def _fired(s: Session, rule: str, case_id: int, key: str, **values: Any) -> FollowUp | None:
    """Record that ``rule`` fired for ``case_id``/``key``; None when it had fired already."""
    if s.scalar(select(FollowUp.id).where(FollowUp.rule == rule, FollowUp.case_id == case_id,
                                          FollowUp.key == key)) is not None:
        return None
    row = FollowUp(rule=rule, case_id=case_id, key=key, created_at=utcnow(), **values)
    try:
        with s.begin_nested():
            s.add(row)
    except IntegrityError:
        return None
    return row


def _number(case: Case) -> str | None:
    return case.contact_number or (case.caller.phone if case.caller else None)


def _title(case: Case) -> str | None:
    caller = case.caller
    if caller is not None and caller.surname:
        return f"{caller.surname}{caller.title or ''}"
    return case.caller_name


def _set_outcome(case: Case, key: str, value: Any) -> None:
    case.outcome = {**(case.outcome or {}), key: value}


def _local_date(settings: Settings, moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).astimezone(settings.hours.zone).date().isoformat()


# -- public services ----------------------------------------------------------------------------

def mark_work_order_returned(s: Session, settings: Settings, case: Case, when: datetime | None = None) -> Contact | None:
    """H16: the repair's work order came back. Schedules the satisfaction call-back for the next day
    (when the call window opens). Returns the call-back contact (None without a number)."""
    case.work_order_returned_at = when or utcnow()
    s.flush()
    return _schedule_repair_callback(s, settings, case, utcnow())


def record_callback_result(s: Session, settings: Settings, case: Case, result: str | bool, *,
                           note: str | None = None, user_id: int | None = None,
                           attempt_id: int | None = None) -> dict[str, Any]:
    """H17: record one complaint call-back's result (an agent's, or the automated call's).
    ``result``: True/False, "satisfied"/"dissatisfied", or a H19 answer (很满意 … 很不满意)."""
    if isinstance(result, bool):
        satisfied: bool | None = result
        label = "satisfied" if result else "dissatisfied"
    else:
        label = str(result).strip()[:40]
        if label in ("satisfied", "yes"):
            satisfied = True
        elif label in ("dissatisfied", "no"):
            satisfied = False
        elif label in scripts.SCALE:
            satisfied = label in settings.followup.satisfied_answers
        else:
            satisfied = None  # unreachable, no answer…
    entry = {"at": utcnow().isoformat() + "Z", "result": label, "satisfied": satisfied}
    if note:
        entry["note"] = note[:500]
    if user_id:
        entry["by"] = user_id
    if attempt_id:
        entry["attempt_id"] = attempt_id
    history = list((case.outcome or {}).get("h17_callbacks", []))
    history.append(entry)
    _set_outcome(case, "h17_callbacks", history)
    if satisfied:
        _set_outcome(case, "h17_satisfied", True)
    return entry


def open_followup_case(s: Session, settings: Settings, contact: Contact, description: str) -> Case:
    """H20: a new need found on an outbound call, with no answer yet → a follow-up case under the
    original one, for the team lead."""
    case = open_case(s, settings, kind=CaseKind.FOLLOW_UP, source="campaign", description=description[:2000],
                     contact_number=contact.phone, caller_name=contact.name, parent_case_id=contact.case_id)
    contact.outcome = {**(contact.outcome or {}), "follow_up_case": case.ref}
    _alert(s, "H20", case.id, "lead",
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
        _set_outcome(case, "h16_callback", summary)
    elif campaign.purpose == Purpose.COMPLAINT_FOLLOWUP:
        satisfied = answers.get("satisfied")
        result: str | bool = satisfied if isinstance(satisfied, bool) else (contact.result or "unreachable")
        record_callback_result(s, settings, case, result, attempt_id=attempt.id)
    else:
        _set_outcome(case, f"campaign_{campaign.id}", summary)


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
        _publish_alert(app, payload)
    return counts


def alert_cases_without_reply(s: Session, settings: Settings, now: datetime) -> int:
    """H14: a case still without a reply to the caller when ``reply_due_at`` passes (one day,
    ``cases.reply_within_h``) alerts the team lead, once per case per local day."""
    fired = 0
    for case in s.scalars(select(Case).where(Case.status.in_(OPEN_STATUSES), Case.replied_at.is_(None),
                                             Case.reply_due_at.is_not(None), Case.reply_due_at <= now)):
        if _fired(s, "H14", case.id, _local_date(settings, now), due_at=case.reply_due_at):
            hours = settings.cases.reply_within_h
            _alert(s, "H14", case.id, "lead",
                   f"案件 {case.ref} 超过 {hours:g} 小时未答复来电人 / case {case.ref}: no reply to the "
                   f"caller within {hours:g} h (H14)")
            _set_outcome(case, "h14_alerted_at", now.isoformat() + "Z")
            fired += 1
    return fired


def escalate_overdue_repairs(s: Session, settings: Settings, now: datetime) -> int:
    """H15: a repair open longer than ``cases.repair_escalate_after_h`` (two days) is escalated to
    the supervisor, once."""
    limit = now - timedelta(hours=settings.cases.repair_escalate_after_h)
    fired = 0
    for case in s.scalars(select(Case).where(Case.kind == CaseKind.REPAIR, Case.status.in_(OPEN_STATUSES),
                                             Case.escalated_at.is_(None), Case.created_at <= limit)):
        if _fired(s, "H15", case.id, "escalated"):
            case.escalated_at = now
            hours = settings.cases.repair_escalate_after_h
            _alert(s, "H15", case.id, "supervisor",
                   f"报修 {case.ref} 超过 {hours:g} 小时未完成,已上报主管 / repair {case.ref} open over "
                   f"{hours:g} h: escalated to the supervisor (H15)")
            fired += 1
    return fired


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
    row = _fired(s, "H16", case.id, "callback", due_at=due)
    if row is None:
        return None
    number = _number(case)
    if not number:
        _set_outcome(case, "h16_callback", {"status": "no_number", "at": now.isoformat() + "Z"})
        _alert(s, "H16", case.id, "lead", f"报修 {case.ref} 无联系电话,无法回访 / repair {case.ref}: no number "
                                           "for the satisfaction call-back (H16)")
        return None
    campaign = system_campaign(s, settings, "H16")
    try:
        contact = add_contact(s, settings, campaign, number, name=case.caller_name, title=_title(case),
                              case_id=case.id, case_ref=case.ref, next_attempt_at=due,
                              locale=case.caller.locale if case.caller else None)
    except (InvalidNumber, IntegrityError) as exc:
        _set_outcome(case, "h16_callback", {"status": "invalid_number", "reason": str(exc)[:200]})
        return None
    contact.reason = f"H16 satisfaction call-back due {local_label(due, settings.hours.zone)}"
    row.contact_id = contact.id
    refused = _refuse_stock_text(s, settings, campaign, contact)
    if refused:
        _set_outcome(case, "h16_callback", {"status": "unfilled_values", "reason": refused,
                                            "contact_id": contact.id})
        return contact
    _set_outcome(case, "h16_callback", {"status": "scheduled", "due_at": due.isoformat() + "Z",
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
            if _fired(s, "H17", case.id, "gave_up"):
                _alert(s, "H17", case.id, "lead",
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
        number = _number(case)
        key = f"callback-{len(rows) + 1}"
        row = _fired(s, "H17", case.id, key, due_at=due)
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
                contact = add_contact(s, settings, campaign, number, name=case.caller_name, title=_title(case),
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


# -- alerts -------------------------------------------------------------------------------------

def _alert(s: Session, rule: str, case_id: int | None, audience: str, message: str) -> None:
    """Raise a lead/supervisor alert (``core.alerts``: the team lead's live view shows it)."""
    payload: dict[str, Any] = {"rule": rule, "case_id": case_id, "audience": audience, "text": message}
    key = f"followup:{rule}:{case_id}:{_local_date_key()}"
    alert = create_alert(s, f"followup_{rule.lower()}", key, text=message, rule=rule, case_id=case_id,
                         audience=audience)
    if alert is not None:
        s.flush()
        payload = alert_dict(s, alert)
        payload["console"] = True
    s.info.setdefault("scheduler_alerts", []).append(payload)


def _local_date_key() -> str:
    return utcnow().strftime("%Y%m%d")


def _publish_alert(app: Flask, payload: dict[str, Any]) -> None:
    payload.pop("console", None)
    emit(app, AlertRaised(payload=payload))


def alerts(s: Session, limit: int = 100) -> list[dict[str, Any]]:
    """Follow-up alerts (the team lead's alerts raised by follow-up rules)."""
    rows = s.scalars(select(Alert).where(Alert.kind.like("followup_%")).order_by(Alert.id.desc()).limit(limit))
    return [{"id": a.id, "rule": (a.detail or {}).get("rule"), "case_id": (a.detail or {}).get("case_id"),
             "audience": (a.detail or {}).get("audience"), "text": a.text,
             "created_at": a.created_at.isoformat() + "Z", "acknowledged": a.acknowledged} for a in rows]


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
