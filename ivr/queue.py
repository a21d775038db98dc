"""The waiting line (H3, H5, H9): entries, service order, position, the line's snapshot,
abandoned callers.

The database is the source of truth for service order: ``(priority desc, place_at asc)``,
where a pending call-back competes with its caller's **original** join time. Services take a
``Session`` and plain values and never commit.

What a waiting caller is told and when is ``ivr.waiting``; call-back requests are
``ivr.callbacks``. The names of those the caller's path and other parts use as
``queue.<name>`` are re-exported here (``import name as name``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Exists, Select, and_, bindparam, func, literal, or_, select
from sqlalchemy.orm import Session, object_session

from core.cases import open_case
from core.config import Settings
from core.events import CallEnded, CallQueued, publish
from core.models import (
    Call,
    CallbackRequest,
    CallbackStatus,
    CaseKind,
    Presence,
    QueueEntry,
    QueueStatus,
    User,
)
from ivr.callbacks import callback_attempt_failed as callback_attempt_failed
from ivr.callbacks import change_callback_number as change_callback_number
from ivr.callbacks import pending_for as pending_for
from ivr.callbacks import request_callback
from ivr.calls import add_event
from ivr.waiting import announced_minutes as announced_minutes
from ivr.waiting import expected_wait_s as expected_wait_s
from ivr.waiting import hold_audio_path as hold_audio_path
from ivr.waiting import speech_seconds as speech_seconds
from ivr.waiting import wait_plan as wait_plan
from ivr.waiting import wav_seconds as wav_seconds

IN_LINE = (QueueStatus.WAITING, QueueStatus.OFFERED)


@dataclass(frozen=True)
class Item:
    """One thing waiting for an agent: a caller in line or a due call-back."""

    kind: str  # "entry" | "callback"
    id: int
    priority: int
    place_at: datetime
    skill: str | None
    district: str | None
    locale: str | None
    agent_id: int | None = None  # kept for this agent (a preview call the agent dialed)

    @property
    def order(self) -> tuple[int, datetime, int, int]:
        return (-self.priority, self.place_at, 0 if self.kind == "entry" else 1, self.id)


def in_line_entries(s: Session, *, lock: bool = False) -> list[QueueEntry]:
    query = (select(QueueEntry).where(QueueEntry.status.in_(IN_LINE))
             .order_by(QueueEntry.priority.desc(), QueueEntry.place_at, QueueEntry.id))
    if lock:
        query = query.with_for_update(skip_locked=True)
    return list(s.scalars(query))


def pending_callbacks(s: Session, now: datetime, *, lock: bool = False) -> list[CallbackRequest]:
    """Call-backs waiting for their turn (due now), in fair order (original join time)."""
    query = (select(CallbackRequest)
             .where(CallbackRequest.status == CallbackStatus.PENDING,
                    or_(CallbackRequest.due_at.is_(None), CallbackRequest.due_at <= now))
             .order_by(CallbackRequest.priority.desc(), CallbackRequest.original_joined_at,
                       CallbackRequest.id))
    if lock:
        query = query.with_for_update(skip_locked=True)
    return list(s.scalars(query))


def service_order(s: Session, now: datetime, *, lock: bool = False) -> list[Item]:
    """Everything waiting, in the order agents serve it."""
    items = [Item("entry", e.id, e.priority, e.place_at, e.skill, e.district, e.locale, e.agent_id)
             for e in in_line_entries(s, lock=lock)]
    items += [Item("callback", c.id, c.priority, c.original_joined_at, c.skill, None, c.locale)
              for c in pending_callbacks(s, now, lock=lock)]
    return sorted(items, key=lambda item: item.order)


def active_entry(s: Session, call: Call | None) -> QueueEntry | None:
    """The call's current place in line (waiting or being offered)."""
    if call is None:
        return None
    return s.scalar(select(QueueEntry).where(QueueEntry.call_id == call.id)
                    .order_by(QueueEntry.id.desc()).limit(1))


def _ahead_counts(entry_id: Any = None, priority: Any = None, placed: Any = None) -> tuple[Any, Any]:
    """COUNT subqueries in ``Item.order`` terms (priority desc, place in line, entries before
    call-backs at the same instant, id): callers in line and due call-backs served first. The
    entry's values are bind parameters (``ahead_params``) unless column expressions are given
    (the entry row of an enclosing SELECT), so the statement is built once either way. Core
    tables, not ORM entities: the caller's path runs them on a plain connection too."""
    entry_id = bindparam("entry_id") if entry_id is None else entry_id
    priority = bindparam("priority") if priority is None else priority
    placed = bindparam("placed") if placed is None else placed
    now = bindparam("now")
    other = QueueEntry.__table__.alias("other").c
    callbacks = CallbackRequest.__table__.c
    entries_ahead = select(func.count()).select_from(other.id.table).where(
        other.status.in_([literal(status) for status in IN_LINE]), other.id != entry_id,  # not an expanding IN
        or_(other.priority > priority,
            and_(other.priority == priority,
                 or_(other.place_at < placed,
                     and_(other.place_at == placed, other.id < entry_id)))))
    callbacks_ahead = select(func.count()).select_from(callbacks.id.table).where(
        callbacks.status == CallbackStatus.PENDING,
        or_(callbacks.due_at.is_(None), callbacks.due_at <= now),
        or_(callbacks.priority > priority,
            and_(callbacks.priority == priority, callbacks.original_joined_at < placed)))
    return (entries_ahead.scalar_subquery().label("entries_ahead"),
            callbacks_ahead.scalar_subquery().label("callbacks_ahead"))


def ahead_params(entry: QueueEntry, now: datetime) -> dict[str, Any]:
    return {"entry_id": entry.id, "priority": entry.priority, "placed": entry.place_at, "now": now}


@functools.cache
def _position_query() -> Select:
    return select(*_ahead_counts())


def effective_position(s: Session, entry: QueueEntry, now: datetime) -> int:
    """1 = next. Counts everyone served before ``entry`` — including pending call-backs and
    higher-priority callers Twilio's FIFO numbers do not put ahead (H5). One SELECT of two
    COUNTs, so a reassurance costs the same with 1,000 in line."""
    row = s.execute(_position_query(), ahead_params(entry, now)).one()
    return 1 + (row[0] or 0) + (row[1] or 0)


@dataclass(frozen=True)
class LineSnapshot:
    """What one reassurance needs to know, read in one SELECT."""

    position: int  # 1 = next (0 entries/call-backs counted when there is no entry)
    free_agents: int  # available now
    logged_in: int  # signed in (not offline)
    due_back: int  # in wrap-up past ``routing.wrap_up_s`` (dispatch makes them available)

    @property
    def anyone_free(self) -> bool:
        return self.free_agents + self.due_back > 0


def _agent_count(label: str, *conditions: Any) -> Any:
    users = User.__table__.c
    return (select(func.count()).select_from(users.id.table)
            .where(users.active.is_(True), users.endpoint.is_not(None), *conditions).scalar_subquery().label(label))


def _agent_counts() -> list[Any]:
    """Agents available, signed in, and in wrap-up past ``wrap_up_over`` (a bind parameter)."""
    users = User.__table__.c
    return [_agent_count("available", users.presence == Presence.AVAILABLE),
            _agent_count("signed_in", users.presence != Presence.OFFLINE),
            _agent_count("due_back", users.presence == Presence.WRAP_UP,
                         users.presence_since <= bindparam("wrap_up_over"))]


def _snapshot(values: Any) -> LineSnapshot:
    """A snapshot from (available, signed in, due back, entries ahead, call-backs ahead)."""
    return LineSnapshot(position=1 + sum(value or 0 for value in values[3:]), free_agents=values[0] or 0,
                        logged_in=values[1] or 0, due_back=values[2] or 0)


@functools.cache
def line_columns() -> list[Any]:
    """The line snapshot as labelled columns of the SELECT that reads the call and its latest
    queue entry (``ivr.hotpath``): the position counted from the entry row's place in line (the
    ``queue_entries`` table, unaliased), with the agents' counts — the wait loop's read and the
    call's in one statement. Bind parameters: ``line_params``."""
    entry = QueueEntry.__table__.c
    return [*_agent_counts(), *_ahead_counts(entry.id, entry.priority, entry.place_at)]


def line_params(settings: Settings, now: datetime) -> dict[str, Any]:
    return {**anyone_free_params(settings, now), "now": now}


def line_from_columns(values: Any) -> LineSnapshot:
    """The snapshot read by ``line_columns`` (position valid for an entry in line, as stored)."""
    return _snapshot(values)


@functools.cache
def anyone_free_column() -> Exists:
    """SQL: is an agent available, or due back from wrap-up? Built once; its bind parameter
    ``wrap_up_over`` comes from ``anyone_free_params`` (``routing.wrap_up_s``)."""
    return select(User.id).where(
        User.active.is_(True), User.endpoint.is_not(None),
        or_(User.presence == Presence.AVAILABLE,
            and_(User.presence == Presence.WRAP_UP, User.presence_since <= bindparam("wrap_up_over")))).exists()


@functools.cache
def anyone_free_columns() -> list[Any]:
    return [anyone_free_column()]


def anyone_free_params(settings: Settings, now: datetime) -> dict[str, Any]:
    return {"wrap_up_over": now - timedelta(seconds=settings.routing.wrap_up_s)}


@functools.cache
def _line_and_agents_query() -> Select:
    in_line = select(func.count()).select_from(QueueEntry).where(QueueEntry.status.in_(IN_LINE))
    return select(in_line.scalar_subquery(), _agent_count("signed_in", User.__table__.c.presence != Presence.OFFLINE),
                  anyone_free_column())


def line_and_agents(s: Session, settings: Settings, now: datetime) -> tuple[int, int, bool]:
    """(callers in line, agents signed in, is one free or due back from wrap-up?) in one
    SELECT — what joining the line checks."""
    row = s.execute(_line_and_agents_query(), anyone_free_params(settings, now)).one()
    return row[0] or 0, row[1] or 0, bool(row[2])


def agents_logged_in(s: Session) -> int:
    return s.scalar(select(func.count()).select_from(User)
                    .where(User.active.is_(True), User.presence != Presence.OFFLINE,
                           User.endpoint.is_not(None))) or 0


def in_line_count(s: Session) -> int:
    return s.scalar(select(func.count()).select_from(QueueEntry)
                    .where(QueueEntry.status.in_(IN_LINE))) or 0


def free_agents(s: Session) -> int:
    """Agents available now (signed in, not on a call or in wrap-up) who can be rung."""
    return s.scalar(select(func.count()).select_from(User)
                    .where(User.active.is_(True), User.presence == Presence.AVAILABLE,
                           User.endpoint.is_not(None))) or 0


def join(s: Session, settings: Settings, call: Call, *, skill: str | None, priority: int,
         now: datetime, status: str = QueueStatus.WAITING, for_agent: int | None = None) -> QueueEntry:
    """Put the caller in line (H5: ``priority`` > 0 is served first); ``for_agent``: only that
    agent is offered the caller (the agent who dialed a preview call), until their leg fails."""
    caller = call.caller
    entry = QueueEntry(call=call, queue_name=settings.queue.name, skill=skill,
                       district=caller.district if caller else None, locale=call.locale,
                       priority=priority, joined_at=now, place_at=now, status=status, agent_id=for_agent)
    s.add(entry)
    s.flush()
    publish(s, CallQueued(call_sid=call.call_sid, callback=status == QueueStatus.CALLBACK))
    return entry


def record_announcement(entry: QueueEntry, wait_s: float) -> None:
    """Kept for the reports (announced vs actual wait)."""
    entry.reassurances = (entry.reassurances or 0) + 1
    entry.last_announced_wait_s = wait_s
    if entry.first_announced_wait_s is None:
        entry.first_announced_wait_s = wait_s


def enqueued_at(entry: Any, now: datetime, queue_time: float) -> datetime:
    """When Twilio enqueued the caller (its ``QueueTime`` semantics), not the menu choice before
    the transfer line: the API, the wait loop and the reports then count the same wait. Taken
    on the first waitUrl fetch, before any reassurance; later fetches keep it. ``entry``: a
    ``QueueEntry`` or a row with its ``joined_at`` and ``reassurances``."""
    if entry.reassurances:
        return entry.joined_at
    return max(entry.joined_at, now - timedelta(seconds=max(0.0, queue_time)))


def end_entry(entry: QueueEntry, status: str, now: datetime) -> None:
    entry.status = status
    entry.ended_at = entry.ended_at or now
    call = entry.call
    if call is not None and call.wait_s is None:
        call.wait_s = max(0.0, (now - entry.joined_at).total_seconds())
    s = object_session(entry)
    if s is not None and status != QueueStatus.BRIDGED:  # a bridge is announced as answered
        publish(s, CallEnded(call_sid=call.call_sid if call is not None else None))


def abandon(s: Session, settings: Settings, entry: QueueEntry, now: datetime) -> CallbackRequest | None:
    """The caller hung up while waiting. Past ``queue.short_abandon_s`` they get a recovery
    call-back and a case automatically."""
    end_entry(entry, QueueStatus.ABANDONED, now)
    call = entry.call
    waited = (now - entry.joined_at).total_seconds()
    add_event(s, call, "abandoned", waited_s=round(waited, 1))
    phone = call.caller.phone if call.caller else None
    if waited <= settings.queue.short_abandon_s or phone is None:
        return None
    request, created = request_callback(s, phone=phone, reason="abandoned", entry=entry,
                                        caller_id=call.caller_id, now=now,
                                        note=f"hung up after waiting {waited:.0f} s")
    if created:
        case = open_case(s, settings, kind=CaseKind.RECOVERY, source="call", caller_id=call.caller_id,
                         call_id=call.id, contact_number=phone,
                         description=f"Caller hung up after waiting {waited:.0f} s "
                                     f"(menu option: {entry.skill or '-'}); recovery call-back queued.")
        request.case_id = case.id
        add_event(s, call, "recovery_callback", callback_id=request.id, case=case.ref)
    return request
