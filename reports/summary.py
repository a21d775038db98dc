"""The report for a date range: ``summary(s, settings, period, now)`` → a plain dict (the JSON of
``GET /api/reports/summary``, the reports page, the CSV exports and the monthly report).

Definitions are in ``reports.kpis``; case figures:

- **overdue reply (H14)** — a case whose ``reply_due_at`` passed before the caller was told: the reply
  (``replied_at``, or ``resolved_at`` of a resolved/closed case) came after the deadline, or there is
  none yet and the deadline is before min(now, end of range).
- **escalated repair (H15)** — a repair case with ``escalated_at`` set.
- **complaint follow-up (H17)** — the call-back results the scheduler records on
  ``case.outcome["h17_callbacks"]`` / ``["h17_satisfied"]``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Case, CaseKind, CaseStatus
from reports import data, kpis
from reports.periods import Period, to_local
from scheduler import followup
from scheduler import script as scripts
from scheduler.models import Campaign, Contact, ContactStatus, Purpose

UNKNOWN = "-"
CLOSED = (CaseStatus.RESOLVED, CaseStatus.CLOSED)


def _calls(settings: Settings, rows: list[kpis.CallRow]) -> dict[str, Any]:
    return kpis.call_kpis(rows, threshold_s=settings.answer.threshold_s,
                          short_abandon_s=settings.queue.short_abandon_s, max_s=settings.calls.max_s,
                          target_s=settings.calls.target_s)


def replied_at(case: Case) -> datetime | None:
    if case.replied_at is not None:
        return case.replied_at
    return case.resolved_at if case.status in CLOSED else None


def is_overdue(case: Case, as_of: datetime) -> bool:
    """H14 (see the module docstring)."""
    due = case.reply_due_at
    if due is None:
        return False
    reply = replied_at(case)
    return reply > due if reply is not None else due < as_of


def case_block(cases: list[Case], as_of: datetime) -> dict[str, Any]:
    by_kind_status: dict[str, Counter[str]] = {}
    for case in cases:
        by_kind_status.setdefault(case.kind, Counter())[case.status] += 1
    return {
        "total": len(cases),
        "by_kind": dict(sorted(Counter(c.kind for c in cases).items())),
        "by_status": dict(sorted(Counter(c.status for c in cases).items())),
        "by_kind_status": {k: dict(sorted(v.items())) for k, v in sorted(by_kind_status.items())},
        "open": sum(1 for c in cases if c.status not in CLOSED),
        "overdue": sum(1 for c in cases if is_overdue(c, as_of)),
        "overdue_unreplied": sum(1 for c in cases if is_overdue(c, as_of) and replied_at(c) is None),
        "escalated": sum(1 for c in cases if c.kind == CaseKind.REPAIR and c.escalated_at is not None),
    }


def complaint_block(settings: Settings, cases: list[Case]) -> dict[str, Any]:
    """H17: each complaint with its call-back results."""
    items = []
    for case in cases:
        if case.kind != CaseKind.COMPLAINT:
            continue
        outcome = case.outcome or {}
        history = [h for h in outcome.get("h17_callbacks", []) if isinstance(h, dict)]
        satisfied = bool(outcome.get("h17_satisfied"))
        state = "satisfied" if satisfied else ("not_satisfied" if history else "awaiting_callback")
        items.append({
            "ref": case.ref, "created_at": to_local(case.created_at, settings.hours.zone).strftime("%Y-%m-%d %H:%M"),
            "status": case.status, "district": case.district, "department": case.department,
            "description": (case.description or "")[:300], "callbacks": len(history),
            "last_result": history[-1].get("result") if history else None, "result": state})
    counts = Counter(i["result"] for i in items)
    return {"total": len(items), "satisfied": counts["satisfied"], "not_satisfied": counts["not_satisfied"],
            "awaiting_callback": counts["awaiting_callback"],
            "callbacks": sum(i["callbacks"] for i in items), "items": items}


def _rate_from(found: dict[str, Any], num: str, den: str) -> dict[str, Any]:
    return {"numerator": found.get(num, 0), "denominator": found.get(den, 0), "value": found.get("rate"),
            "target": found.get("target"), "meets_target": bool(found.get("meets_target"))}


def repair_callback_rate(s: Session, settings: Settings, p: Period) -> dict[str, Any]:
    """H16 — the scheduler's definition (repairs returned in the range that were reached)."""
    return _rate_from(followup.repair_callback_rate(s, settings, p.start, p.end), "called_back", "returned")


def survey_contacts(s: Session, p: Period) -> list[Any]:
    """Contacts of survey and repair-satisfaction campaigns settled in the range (not DNC/cancelled)."""
    return list(s.scalars(select(Contact).join(Campaign, Contact.campaign_id == Campaign.id).where(
        Campaign.purpose.in_((Purpose.SURVEY, Purpose.REPAIR_SATISFACTION)),
        Contact.status.not_in((ContactStatus.DNC, ContactStatus.CANCELLED)),
        Contact.updated_at >= p.start, Contact.updated_at < p.end)))


def survey_answers(contact: Any) -> dict[str, str]:
    return {k: v for k, v in (contact.outcome or {}).items() if isinstance(v, str) and v in kpis.SCALE_POINTS}


def survey_item_order() -> list[str]:
    """The survey's questions in the order the calls ask them (the scheduler's default script)."""
    steps = scripts.DEFAULT_SCRIPTS.get("survey", [])
    return [step for step in steps if step.startswith("survey_") and step not in ("survey_intro", "survey_close")]


def rates_block(s: Session, settings: Settings, p: Period) -> dict[str, Any]:
    contacts = survey_contacts(s, p)
    answers = [survey_answers(c) for c in contacts]
    survey = _rate_from(followup.survey_return_rate(s, settings, None, p.start, p.end), "returned", "surveyed")
    sat = kpis.satisfaction(answers, settings.followup.satisfied_answers, item_order=survey_item_order())
    sat.pop("per_customer")
    return {"repair_callback_rate": repair_callback_rate(s, settings, p), "survey_return_rate": survey,
            "satisfaction": sat}


def _agent_rows(settings: Settings, rows: list[kpis.CallRow], alerts: list[Any], users: dict[int, Any]) -> list[dict]:
    out = []
    handled = kpis.grouped([r for r in rows if r.agent_id is not None and r.outcome == kpis.ANSWERED],
                           lambda r: r.agent_id)
    alert_counts = Counter(a.agent_id for a in alerts if a.agent_id is not None)
    for agent_id in sorted(set(handled) | set(alert_counts)):
        mine = handled.get(agent_id, [])
        inbound = [r for r in mine if r.inbound]
        talk = [r.talk_s for r in mine if r.talk_s is not None]
        user = users.get(agent_id)
        out.append({
            "agent_id": agent_id, "name": user.name if user else str(agent_id),
            "display_name": (user.display_name or user.name) if user else str(agent_id),
            "agent_code": user.agent_code if user else None,
            "answered_in": len(inbound), "answered_out": len(mine) - len(inbound),
            "answered_within_threshold": sum(1 for r in inbound if r.wait_s is not None
                                             and r.wait_s <= settings.answer.threshold_s),
            "asa_s": kpis.mean(r.wait_s for r in inbound if r.wait_s is not None),
            "aht_s": kpis.mean(talk), "talk_s": sum(talk),
            "over_5_min": sum(1 for t in talk if t > settings.calls.max_s),
            "forbidden_alerts": alert_counts.get(agent_id, 0)})
    return out


def _group_rows(settings: Settings, rows: list[kpis.CallRow], cases: list[Case], as_of: datetime,
                call_key: Any, case_key: Any, name: str) -> list[dict[str, Any]]:
    calls = kpis.grouped(rows, call_key)
    by_case = kpis.grouped(cases, case_key)
    out = []
    for key in sorted(set(calls) | set(by_case), key=lambda k: (k == UNKNOWN, str(k))):
        block = _calls(settings, calls.get(key, []))
        mine = by_case.get(key, [])
        out.append({name: key, "calls_in": block["in"], "calls_out": block["out"], "answered": block["answered"],
                    "abandoned": block["abandoned"], "service_level": block["service_level"],
                    "asa_s": block["asa_s"], "aht_s": block["aht_s"], "over_5_min": block["over_5_min"],
                    "cases": len(mine), "cases_open": sum(1 for c in mine if c.status not in CLOSED),
                    "overdue": sum(1 for c in mine if is_overdue(c, as_of)),
                    "escalated": sum(1 for c in mine if c.kind == CaseKind.REPAIR and c.escalated_at is not None)})
    return out


def summary(s: Session, settings: Settings, p: Period, now: datetime) -> dict[str, Any]:
    rows = data.call_rows(s, p.start, p.end)
    dials = data.campaign_dials(s, p.start, p.end)
    calls = _calls(settings, rows)
    calls["callbacks_out"] = calls["out"]
    calls["campaign_dials"] = dials["placed"]
    calls["out"] += dials["placed"]
    calls["out_answered"] += dials["answered"]
    cases = data.cases_created(s, p.start, p.end)
    as_of = min(now, p.end)
    alerts = data.forbidden_alerts(s, p.start, p.end)
    users = data.users_by_id(s, {r.agent_id for r in rows if r.agent_id} | {a.agent_id for a in alerts if a.agent_id})
    reassured = data.reassurance_data(s, settings, p.start, p.end)
    abandons = kpis.reassurance_abandons(reassured.reassurances, reassured.abandons, settings.queue.reassure_every_s)
    for row in abandons:
        row["wording_id"] = row["wording"]
        row["wording"] = reassured.texts.get(row["wording_id"], row["wording_id"])
    return {
        "from": p.first.isoformat(), "to": p.last.isoformat(), "timezone": settings.hours.timezone,
        "generated_at": now.isoformat() + "Z",
        "calls": calls,
        "cases": case_block(cases, as_of),
        "complaints": complaint_block(settings, cases),
        "rates": rates_block(s, settings, p),
        "wait_accuracy": kpis.wait_accuracy(data.wait_samples(s, p.start, p.end)),
        "reassurance_abandons": abandons,
        "forbidden_alerts": len(alerts),
        "by_agent": _agent_rows(settings, rows, alerts, users),
        "by_district": _group_rows(settings, rows, cases, as_of, lambda r: r.district or UNKNOWN,
                                   lambda c: c.district or UNKNOWN, "district"),
        "by_case_kind": _group_rows(settings, rows, cases, as_of, lambda r: r.menu_option or UNKNOWN,
                                    lambda c: c.kind, "kind"),
        "by_menu_option": menu_rows(settings, rows),
        "by_case_type": case_type_rows(cases, as_of),
        "by_disposition": disposition_rows(s, settings, p),
    }


def disposition_rows(s: Session, settings: Settings, p: Period) -> list[dict[str, Any]]:
    """The agents' wrap-up codes of the calls they took (in the configured order; codes no
    longer configured after them; calls without one last, as ``-``): calls, and of those
    campaign calls."""
    counts: dict[str, list[int]] = {}
    for code, purpose, n in data.disposition_counts(s, p.start, p.end):
        pair = counts.setdefault(code or UNKNOWN, [0, 0])
        pair[0] += n
        pair[1] += n if purpose == "campaign" else 0
    order = [d.code for d in settings.wrapup.dispositions]
    keys = sorted(counts, key=lambda k: (k == UNKNOWN, order.index(k) if k in order else len(order), k))
    labels = {d.code: d for d in settings.wrapup.dispositions}
    return [{"code": k, "label_zh": labels[k].zh_CN if k in labels else k, "label_en": labels[k].en if k in labels else k,
             "calls": counts[k][0], "campaign_calls": counts[k][1]} for k in keys]


def menu_rows(settings: Settings, rows: list[kpis.CallRow]) -> list[dict[str, Any]]:
    """Calls by the caller's menu choice (what they pressed or said), calls figures only."""
    out = []
    for key, mine in sorted(kpis.grouped(rows, lambda r: r.menu_option or UNKNOWN).items(),
                            key=lambda kv: (kv[0] == UNKNOWN, str(kv[0]))):
        block = _calls(settings, mine)
        out.append({"menu_option": key, "calls_in": block["in"], "calls_out": block["out"],
                    "answered": block["answered"], "abandoned": block["abandoned"],
                    "service_level": block["service_level"], "asa_s": block["asa_s"], "aht_s": block["aht_s"]})
    return out


def case_type_rows(cases: list[Case], as_of: datetime) -> list[dict[str, Any]]:
    """Cases by the type the agent recorded (H13), whatever the caller chose in the menu."""
    out = []
    for kind, mine in sorted(kpis.grouped(cases, lambda c: c.kind).items()):
        out.append({"kind": kind, "cases": len(mine), "open": sum(1 for c in mine if c.status not in CLOSED),
                    "overdue": sum(1 for c in mine if is_overdue(c, as_of)),
                    "escalated": sum(1 for c in mine if c.kind == CaseKind.REPAIR and c.escalated_at is not None)})
    return out
