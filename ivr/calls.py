"""Call records: each webhook keeps the Call row and its timeline up to date.

Reads are shaped for one webhook, one round trip: ``record_call`` finds the call and the
caller's record in one SELECT; ``find_call_with_entry`` brings the call's latest place in line
along. Timeline events (``add_event``) are kept on the session and written in one INSERT just
before its commit, however many a webhook adds.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, event, false, insert, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased, contains_eager
from sqlalchemy.sql.dml import Insert

from core.config import Settings
from core.db import utcnow
from core.events import CallArrived, LastWrite, publish, status_event, write_last
from core.models import Call, Caller, CallEvent, QueueEntry
from core.phone import caller_number

FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
KNOWN_STATUSES = FINAL_STATUSES | {"queued", "initiated", "ringing", "in-progress"}


PENDING_EVENTS = "ivr_pending_call_events"


@functools.cache
def _find_call_query() -> Select:
    return select(Call).where(Call.call_sid == bindparam("call_sid"))


def find_call(s: Session, call_sid: str) -> Call | None:
    return s.scalar(_find_call_query(), {"call_sid": call_sid})


@functools.cache
def _call_with_entry_query(also: Callable[[], list[Any]] | None, with_caller: bool) -> Select:
    latest = aliased(QueueEntry)
    newest_id = select(latest.id).where(latest.call_id == Call.id).order_by(latest.id.desc()).limit(1)
    query = select(Call, QueueEntry, *(also() if also is not None else ()))
    if with_caller:
        query = query.outerjoin(Call.caller).options(contains_eager(Call.caller))
    return (query.outerjoin(QueueEntry, QueueEntry.id == newest_id.scalar_subquery())
            .where(Call.call_sid == bindparam("call_sid")))


def find_call_with_entry(s: Session, call_sid: str, also: Callable[[], list[Any]] | None = None,
                         params: Mapping[str, Any] | None = None, with_caller: bool = True,
                         ) -> tuple[Call | None, QueueEntry | None, tuple[Any, ...] | None]:
    """The call (its caller loaded too, unless ``with_caller`` is False), its latest queue entry
    and the values of the column expressions ``also()`` (e.g. "is an agent free?"; they may refer
    to the entry row; their bind parameters in ``params``), in one SELECT. The statement is built
    once per shape, then only its parameters change. Unknown call: ``(None, None, None)``."""
    row = s.execute(_call_with_entry_query(also, with_caller), {"call_sid": call_sid, **(params or {})}).first()
    return (row[0], row[1], tuple(row[2:])) if row is not None else (None, None, None)


def record_call(s: Session, form: Mapping[str, str], settings: Settings, purpose: str = "caller") -> Call:
    """The Call row for this webhook's CallSid, created on first sight."""
    call_sid = (form.get("CallSid") or "").strip()[:64]
    phone = caller_number(form.get("From"), settings.campaigns.default_region) if purpose == "caller" else None
    call, known_caller = _call_and_caller(s, call_sid, phone)
    if call is None:
        caller = known_caller
        if caller is None and phone is not None:
            caller = Caller(phone=phone)
            s.add(caller)
        call = Call(call_sid=call_sid, direction=(form.get("Direction") or "inbound")[:20],
                    purpose=purpose, from_number=(form.get("From") or "")[:80] or None,
                    to_number=(form.get("To") or "")[:80] or None, caller=caller,
                    parent_call_sid=(form.get("ParentCallSid") or None),
                    status=_status(form.get("CallStatus")) or "ringing",
                    locale=caller.locale if caller else None)
        s.add(call)
        add_event(s, call, "started", direction=call.direction, status=call.status)
        publish(s, CallArrived(call_sid=call_sid))
    return call


@functools.cache
def _call_and_caller_query(by_phone: bool) -> Select:
    one = select(literal(1).label("one")).subquery()
    phone_match = and_(Call.id.is_(None), Caller.phone == bindparam("phone")) if by_phone else false()
    return (select(Call, Caller).select_from(one)
            .outerjoin(Call, Call.call_sid == bindparam("call_sid"))
            .outerjoin(Caller, or_(Caller.id == Call.caller_id, phone_match))
            .options(contains_eager(Call.caller)))


def _call_and_caller(s: Session, call_sid: str, phone: str | None) -> tuple[Call | None, Caller | None]:
    """One SELECT: the call by CallSid (with its caller) — or, for a new call, the caller's
    record by phone number."""
    params = {"call_sid": call_sid} if phone is None else {"call_sid": call_sid, "phone": phone}
    row = s.execute(_call_and_caller_query(phone is not None), params).first()
    if row is None:
        return None, None
    return row[0], row[1]


def add_event(s: Session, call: Call, kind: str, **detail: Any) -> None:
    """Note a timeline event; the session writes all of them in one INSERT before it commits."""
    pending = s.info.get(PENDING_EVENTS)
    if pending is None:
        pending = s.info[PENDING_EVENTS] = []
        write_last(s, events_insert)  # the commit's last write (it carries the live-update notice)
        if not s.info.get("ivr_events_hooked"):
            s.info["ivr_events_hooked"] = True
            event.listen(s, "after_rollback", _forget_events)
    pending.append((call, kind, detail, utcnow()))


def events_insert(s: Session) -> LastWrite | None:
    """The noted timeline events as one INSERT (the calls are flushed first), or None."""
    pending = s.info.pop(PENDING_EVENTS, None)
    if not pending:
        return None
    s.flush()
    return timeline_insert([(call.id, kind, detail, at) for call, kind, detail, at in pending])


def timeline_insert(rows: list[tuple[int, str, dict[str, Any], datetime]]) -> LastWrite:
    """Timeline events ``(call id, kind, detail, at)`` as one INSERT and its values (the caller's
    Core path, ``ivr.hotpath``, runs it on its connection; sessions run it before they commit)."""
    params: dict[str, Any] = {}
    for i, (call_id, kind, detail, at) in enumerate(rows):
        params.update({f"ev_call_id_{i}": call_id, f"ev_at_{i}": at, f"ev_kind_{i}": kind, f"ev_detail_{i}": detail})
    return LastWrite(_events_insert_query(len(rows)), params)


@functools.lru_cache(maxsize=32)
def _events_insert_query(rows: int) -> Insert:
    """INSERT of ``rows`` timeline events, built once per row count (values as bind parameters).
    ``INSERT … SELECT … UNION ALL SELECT …`` rather than a multi-row VALUES list: SQLAlchemy
    caches the compiled SQL of the former, while it compiles a multi-row VALUES every time."""
    table = CallEvent.__table__
    names = ("call_id", "at", "kind", "detail")
    rows_ = [select(*[bindparam(f"ev_{name}_{i}", type_=table.c[name].type) for name in names])
             for i in range(rows)]
    source = rows_[0] if rows == 1 else union_all(*rows_)
    return insert(table).from_select(list(names), source)  # the table: a plain Core INSERT


def _forget_events(s: Session) -> None:
    s.info.pop(PENDING_EVENTS, None)


def _status(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if value in KNOWN_STATUSES else None


def apply_status_callback(s: Session, form: Mapping[str, str], call: Call | None = None) -> Call | None:
    """Update the call from Twilio's status callback; unknown calls are ignored."""
    if call is None:
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
