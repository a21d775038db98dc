"""Database rows → the plain rows of ``reports.kpis`` (all queries portable: SQLite and PostgreSQL;
date arithmetic is done in Python, never in SQL).

Reads the shared ``core`` tables (calls, queue entries, call events, cases) and, where they exist,
the console's alerts and the scheduler's campaign dials.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.alerts import Alert
from core.config import Settings
from core.models import Call, Caller, CallEvent, Case, QueueEntry, QueueStatus, User
from ivr import prompts
from reports import kpis
from scheduler.models import Attempt

IN_LINE = (QueueStatus.WAITING, QueueStatus.OFFERED)
CUSTOMER_PURPOSES = ("caller", "callback")


def seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return max(0.0, (later - earlier).total_seconds())


# -- calls --------------------------------------------------------------------------------------

def _outcome(call: Call, entries: Sequence[QueueEntry]) -> tuple[str, float | None]:
    """(outcome, queue wait) of one call from its queue entries (see ``reports.kpis``)."""
    if call.answered_at is not None:
        wait = call.wait_s if call.wait_s is not None else (
            seconds(call.answered_at, entries[0].joined_at) if entries else None)
        return kpis.ANSWERED, wait
    if not entries:
        return kpis.NOT_QUEUED, None
    by_status = {e.status: e for e in entries}
    for status, outcome in ((QueueStatus.ABANDONED, kpis.ABANDONED), (QueueStatus.CALLBACK, kpis.CALLBACK)):
        entry = by_status.get(status)
        if entry is not None:
            return outcome, seconds(entry.ended_at, entry.joined_at)
    live = [e for e in entries if e.status in IN_LINE]
    if live and call.ended_at is None:
        return kpis.WAITING, None
    last = entries[-1]
    return kpis.OTHER, seconds(last.ended_at, last.joined_at)


def disposition_counts(s: Session, start: datetime, end: datetime) -> list[tuple[str | None, str, int]]:
    """(disposition code or None, purpose, calls) of the calls an agent took, started in [start, end)."""
    rows = s.execute(select(Call.disposition, Call.purpose, func.count()).where(
        Call.started_at >= start, Call.started_at < end, Call.answered_at.is_not(None),
        Call.agent_id.is_not(None), Call.purpose.in_((*CUSTOMER_PURPOSES, "campaign")))
        .group_by(Call.disposition, Call.purpose)).all()
    return [(code, purpose, int(n)) for code, purpose, n in rows]


def call_rows(s: Session, start: datetime, end: datetime) -> list[kpis.CallRow]:
    """Customer calls (inbound and call-back legs) started in [start, end)."""
    calls = list(s.scalars(select(Call).where(Call.started_at >= start, Call.started_at < end,
                                              Call.purpose.in_(CUSTOMER_PURPOSES)).order_by(Call.id)))
    ids = select(Call.id).where(Call.started_at >= start, Call.started_at < end,
                                Call.purpose.in_(CUSTOMER_PURPOSES))
    entries: dict[int, list[QueueEntry]] = {}
    for entry in s.scalars(select(QueueEntry).where(QueueEntry.call_id.in_(ids)).order_by(QueueEntry.joined_at,
                                                                                          QueueEntry.id)):
        entries.setdefault(entry.call_id, []).append(entry)
    districts = dict(s.execute(select(Caller.id, Caller.district).where(
        Caller.id.in_(select(Call.caller_id).where(Call.id.in_(ids))))).all())
    rows = []
    for call in calls:
        mine = entries.get(call.id, [])
        outcome, wait = _outcome(call, mine)
        district = next((e.district for e in mine if e.district), None) or districts.get(call.caller_id)
        rows.append(kpis.CallRow(
            id=call.id, inbound=call.purpose == "caller", started_at=call.started_at, outcome=outcome,
            wait_s=wait, talk_s=seconds(call.ended_at, call.answered_at) if call.answered_at else None,
            agent_id=call.agent_id, district=district, menu_option=call.menu_option))
    return rows


def campaign_dials(s: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Campaign dials placed in [start, end) (the scheduler's attempts), and how many were answered."""
    rows = s.execute(select(Attempt.answered_at).where(Attempt.dialed_at.is_not(None),
                                                       Attempt.dialed_at >= start, Attempt.dialed_at < end)).all()
    return {"placed": len(rows), "answered": sum(1 for (answered,) in rows if answered is not None)}


# -- announced waits and reassurances (H3) ------------------------------------------------------------

def wait_samples(s: Session, start: datetime, end: datetime) -> list[kpis.WaitSample]:
    """Answered callers' first announced wait against the wait that followed it."""
    entries = list(s.scalars(select(QueueEntry).join(Call, QueueEntry.call_id == Call.id).where(
        Call.started_at >= start, Call.started_at < end, Call.purpose == "caller",
        QueueEntry.status == QueueStatus.BRIDGED, QueueEntry.first_announced_wait_s.is_not(None),
        QueueEntry.ended_at.is_not(None))))
    firsts = _first_reassurance_offsets(s, [e.call_id for e in entries])
    out = []
    for entry in entries:
        total = seconds(entry.ended_at, entry.joined_at) or 0.0
        offset = min(firsts.get(entry.call_id, 0.0), total)
        out.append(kpis.WaitSample(float(entry.first_announced_wait_s or 0.0), total - offset))
    return out


def _first_reassurance_offsets(s: Session, call_ids: list[int]) -> dict[int, float]:
    """Seconds in line at each call's first reassurance (the event's ``queue_time_s``)."""
    out: dict[int, float] = {}
    if not call_ids:
        return out
    for call_id, detail in s.execute(select(CallEvent.call_id, CallEvent.detail).where(
            CallEvent.call_id.in_(call_ids), CallEvent.kind == "reassured").order_by(CallEvent.id)):
        if call_id not in out:
            value = (detail or {}).get("queue_time_s")
            out[call_id] = float(value) if isinstance(value, int | float) else 0.0
    return out


@dataclass(frozen=True)
class ReassuranceData:
    reassurances: list[kpis.Reassurance]
    abandons: dict[int, datetime]
    texts: dict[str, str]  # wording id → the wording (N = position, M = minutes)


def wording_of(settings: Settings, call: Call, detail: dict[str, Any]) -> tuple[str, str]:
    """(wording id, wording) of a ``reassured`` event. The caller's path records position and
    minutes only, so the wording is the prompt it uses for that caller: ``reassurance`` (with the
    call-back offer, H9) or ``reassurance_plain`` (a customer being called back), in the call's
    locale. An event that names its ``prompt`` (or ``wording``) is taken at its word."""
    locale = str(detail.get("locale") or call.locale or settings.company.default_locale)
    key = detail.get("prompt") or detail.get("wording")
    if not key:
        plain = call.purpose == "callback" or not settings.queue.callback_offer
        key = "reassurance_plain" if plain else "reassurance"
    wording_id = f"{key} ({locale})"
    text = str(detail.get("text") or "")
    if not text:
        text = prompts.text(settings, str(key), locale, position="N", wait_minutes="M")
    return wording_id, text or str(key)


def reassurance_data(s: Session, settings: Settings, start: datetime, end: datetime) -> ReassuranceData:
    calls = {c.id: c for c in s.scalars(select(Call).where(Call.started_at >= start, Call.started_at < end,
                                                           Call.purpose.in_(CUSTOMER_PURPOSES)))}
    reassurances: list[kpis.Reassurance] = []
    abandons: dict[int, datetime] = {}
    texts: dict[str, str] = {}
    if not calls:
        return ReassuranceData(reassurances, abandons, texts)
    ids = select(Call.id).where(Call.started_at >= start, Call.started_at < end,
                                Call.purpose.in_(CUSTOMER_PURPOSES))
    events = s.execute(select(CallEvent.call_id, CallEvent.kind, CallEvent.at, CallEvent.detail).where(
        CallEvent.call_id.in_(ids), CallEvent.kind.in_(("reassured", "abandoned"))).order_by(CallEvent.id))
    for call_id, kind, at, detail in events:
        if kind == "abandoned":
            abandons.setdefault(call_id, at)
            continue
        wording_id, text = wording_of(settings, calls[call_id], detail or {})
        texts.setdefault(wording_id, text)
        reassurances.append(kpis.Reassurance(call_id, at, wording_id))
    return ReassuranceData(reassurances, abandons, texts)


# -- cases, alerts, people -------------------------------------------------------------------------

def cases_created(s: Session, start: datetime, end: datetime) -> list[Case]:
    return list(s.scalars(select(Case).where(Case.created_at >= start, Case.created_at < end)
                          .order_by(Case.created_at, Case.id)))


def forbidden_alerts(s: Session, start: datetime, end: datetime) -> list[Any]:
    """The forbidden-phrase alerts raised in [start, end)."""
    return list(s.scalars(select(Alert).where(Alert.kind == "forbidden_phrase", Alert.created_at >= start,
                                              Alert.created_at < end).order_by(Alert.id)))


def users_by_id(s: Session, ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in s.scalars(select(User).where(User.id.in_(ids)))}
