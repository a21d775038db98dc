"""What the follow-up rules (H14–H17) keep: the always-running system campaigns that carry their
call-backs, the ``FollowUp`` rows recording that a rule fired (each rule fires once per case and
key), the outcomes written on the case (``case.outcome``, including H17's call-back results) and
the lead/supervisor alerts they raise."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.alerts import Alert, alert_dict, create_alert
from core.config import Settings
from core.db import utcnow
from core.events import AlertRaised, emit
from core.models import Case
from scheduler.models import Campaign, CampaignStatus, FollowUp, Mode, Purpose
from scheduler.script import DEFAULT_SCRIPTS
from scheduler.script_answers import SCALE

SYSTEM_CAMPAIGNS: dict[str, tuple[str, str]] = {
    "H16": (Purpose.REPAIR_SATISFACTION.value, "报修满意度回访 Repair satisfaction call-backs (H16)"),
    "H17": (Purpose.COMPLAINT_FOLLOWUP.value, "投诉回访 Complaint call-backs (H17)"),
}


def system_campaign(s: Session, settings: Settings, rule: str) -> Campaign:
    """The always-running campaign that carries rule ``rule``'s call-backs (created on first use)."""
    campaign = s.scalar(select(Campaign).where(Campaign.system_rule == rule))
    if campaign is not None:
        return campaign
    purpose, name = SYSTEM_CAMPAIGNS[rule]
    cfg = settings.campaigns
    campaign = Campaign(name=name, purpose=purpose, mode=Mode.AUTOMATED, status=CampaignStatus.RUNNING,
                        locale=settings.company.default_locale, script=DEFAULT_SCRIPTS[purpose],
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


def fire_once(s: Session, rule: str, case_id: int, key: str, **values: Any) -> FollowUp | None:
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


def case_number(case: Case) -> str | None:
    return case.contact_number or (case.caller.phone if case.caller else None)


def case_title(case: Case) -> str | None:
    caller = case.caller
    if caller is not None and caller.surname:
        return f"{caller.surname}{caller.title or ''}"
    return case.caller_name


def set_outcome(case: Case, key: str, value: Any) -> None:
    case.outcome = {**(case.outcome or {}), key: value}


def local_date(settings: Settings, moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).astimezone(settings.hours.zone).date().isoformat()

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
        elif label in SCALE:
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
    set_outcome(case, "h17_callbacks", history)
    if satisfied:
        set_outcome(case, "h17_satisfied", True)
    return entry


# -- alerts -------------------------------------------------------------------------------------

def alert(s: Session, rule: str, case_id: int | None, audience: str, message: str) -> None:
    """Raise a lead/supervisor alert (``core.alerts``: the team lead's live view shows it)."""
    payload: dict[str, Any] = {"rule": rule, "case_id": case_id, "audience": audience, "text": message}
    key = f"followup:{rule}:{case_id}:{local_date_key()}"
    alert = create_alert(s, f"followup_{rule.lower()}", key, text=message, rule=rule, case_id=case_id,
                         audience=audience)
    if alert is not None:
        s.flush()
        payload = alert_dict(s, alert)
        payload["console"] = True
    s.info.setdefault("scheduler_alerts", []).append(payload)


def local_date_key() -> str:
    return utcnow().strftime("%Y%m%d")


def publish_alert(app: Flask, payload: dict[str, Any]) -> None:
    payload.pop("console", None)
    emit(app, AlertRaised(payload=payload))


def alerts(s: Session, limit: int = 100) -> list[dict[str, Any]]:
    """Follow-up alerts (the team lead's alerts raised by follow-up rules)."""
    rows = s.scalars(select(Alert).where(Alert.kind.like("followup_%")).order_by(Alert.id.desc()).limit(limit))
    return [{"id": a.id, "rule": (a.detail or {}).get("rule"), "case_id": (a.detail or {}).get("case_id"),
             "audience": (a.detail or {}).get("audience"), "text": a.text,
             "created_at": a.created_at.isoformat() + "Z", "acknowledged": a.acknowledged} for a in rows]
