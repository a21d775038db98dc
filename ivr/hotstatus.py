"""The number's status callback without the ORM, for its common paths.

Every call ends with ``/ivr/status``; most end one of two ways: the caller hung up while
waiting in line (shortly — no recovery call-back due — and no agent's phone ringing for them),
or the call ends normally (talked to an agent, left a message, …). Those read and write with
SQLAlchemy Core on the request's connection, as the wait URL does (``ivr.hotpath``):

1. one prebuilt SELECT (``_status_read``): the call, its caller's phone, its latest queue
   entry, whether that entry has an active offer, and whether an agent is free;
2. one UPDATE of the call (status, end, duration, wait, answering machine), one UPDATE of the
   entry when the caller abandoned the line, and the timeline events as the commit's last write
   (one INSERT that, on PostgreSQL, also carries the live-update notification: ``core.events``).

It runs on the connection of the request's session, so the paths it does not port (see below)
continue in the same transaction with the ORM, and the webhook still commits once.

The same events, timeline and follow-up work as the ORM path (``calls.apply_status_callback``,
``bridge.caller_status``, ``queue.abandon``). The rarer paths — an agent's leg ending, an offer
to cancel, a long wait that brings a recovery call-back and case — return ``None`` from
``read_status`` as ``orm`` and the view runs the ORM path for them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Row, Select, Update, bindparam, literal, select, update

from core.config import Settings
from core.events import CallEnded, Event, LastWrite, status_event
from core.models import Call, Caller, QueueEntry, QueueStatus
from ivr import queue, routing
from ivr.bridge import end_room, room_name
from ivr.calls import FINAL_STATUSES, KNOWN_STATUSES, timeline_insert
from ivr.models import ACTIVE_OFFER_STATUSES, Offer

Action = Callable[[Flask], None]


@functools.cache
def _status_read() -> Select:
    """The call by CallSid with its caller's phone, its latest queue entry, whether the entry
    has an active offer and whether an agent is free — one row, or none for an unknown call."""
    calls, callers, entries, offers = Call.__table__, Caller.__table__, QueueEntry.__table__, Offer.__table__
    latest = entries.alias("latest")
    newest_entry = (select(latest.c.id).where(latest.c.call_id == calls.c.id)
                    .order_by(latest.c.id.desc()).limit(1).scalar_subquery())
    active_offer = (select(offers.c.id).where(offers.c.queue_entry_id == entries.c.id,
                                              offers.c.status.in_([literal(s) for s in ACTIVE_OFFER_STATUSES]))
                    .limit(1).scalar_subquery())
    return (select(calls.c.id, calls.c.call_sid, calls.c.purpose, calls.c.status, calls.c.agent_id, calls.c.locale,
                   calls.c.started_at, calls.c.ended_at, calls.c.duration_s, calls.c.wait_s, calls.c.answered_by,
                   callers.c.phone, entries.c.id.label("entry_id"), entries.c.status.label("entry_status"),
                   entries.c.joined_at, entries.c.ended_at.label("entry_ended_at"),
                   active_offer.label("offer_id"), queue.anyone_free_column().label("anyone_free"))
            .outerjoin(callers, callers.c.id == calls.c.caller_id)
            .outerjoin(entries, entries.c.id == newest_entry)
            .where(calls.c.call_sid == bindparam("call_sid")))


@functools.cache
def _update_call() -> Update:
    c = Call.__table__.c
    return update(Call.__table__).where(c.id == bindparam("call_id")).values(
        status=bindparam("new_status"), ended_at=bindparam("new_ended_at"), duration_s=bindparam("new_duration_s"),
        wait_s=bindparam("new_wait_s"), answered_by=bindparam("new_answered_by"), locale=bindparam("new_locale"))


@functools.cache
def _abandon_entry() -> Update:
    e = QueueEntry.__table__.c
    return update(QueueEntry.__table__).where(e.id == bindparam("entry_id")).values(
        status=QueueStatus.ABANDONED, ended_at=bindparam("new_ended_at"))


@dataclass(frozen=True)
class StatusRead:
    """The row of ``_status_read`` and the status Twilio reported (None: not one it documents);
    ``orm``: a path left to the ORM code."""

    row: Row[Any]
    status: str | None
    orm: bool = False

    @property
    def abandons(self) -> bool:
        """A final status while the caller waits in line: the entry is abandoned."""
        return self.status in FINAL_STATUSES and self.row.entry_id is not None \
            and self.row.entry_status in queue.IN_LINE


def read_status(conn: Connection, settings: Settings, call_sid: str, reported: str,
                now: datetime) -> StatusRead | None:
    """One SELECT; None for an unknown call (ignored). ``orm`` when the ORM path must answer:
    an agent's leg ending, a caller whose offer must be cancelled, or a wait long enough for
    the recovery call-back and case (``queue.abandon``)."""
    row = conn.execute(_status_read(), {"call_sid": call_sid, **queue.anyone_free_params(settings, now)}).first()
    if row is None:
        return None
    status = reported.strip() if reported.strip() in KNOWN_STATUSES else None
    read = StatusRead(row, status)
    if status in FINAL_STATUSES and row.purpose == "agent_leg":
        return StatusRead(row, status, orm=True)
    if read.abandons and (row.offer_id is not None or (
            row.phone is not None and (now - row.joined_at).total_seconds() > settings.queue.short_abandon_s)):
        return StatusRead(row, status, orm=True)
    return read


@dataclass
class Applied:
    """What ``apply_status`` leaves for the view: the commit's last write (the timeline events),
    the events to publish with the commit, the follow-up work and the call's status."""

    last_write: LastWrite | None
    events: list[Event]
    after: list[Action]
    status: str


def apply_status(conn: Connection, read: StatusRead, form: Mapping[str, str], locale: str,
                 now: datetime) -> Applied:
    """Write what the status callback means (the call, the entry it abandons); the timeline
    INSERT and the events are left for the commit (``Applied``)."""
    row, status = read.row, read.status
    values = {"new_status": row.status, "new_ended_at": row.ended_at, "new_duration_s": row.duration_s,
              "new_wait_s": row.wait_s, "new_answered_by": row.answered_by, "new_locale": row.locale or locale}
    before = dict(values)
    timeline: list[tuple[int, str, dict[str, Any], datetime]] = []
    batch: list[Event] = []
    after: list[Action] = []
    if status is not None:
        _call_values(values, timeline, batch, row, status, form, now)
    if read.abandons:
        joined = row.joined_at
        conn.execute(_abandon_entry(), {"entry_id": row.entry_id, "new_ended_at": row.entry_ended_at or now})
        if values["new_wait_s"] is None:
            values["new_wait_s"] = max(0.0, (now - joined).total_seconds())
        batch.append(CallEnded(call_sid=row.call_sid))
        timeline.append((row.id, "abandoned", {"waited_s": round((now - joined).total_seconds(), 1)}, now))
        if row.anyone_free:  # dispatch finds nobody otherwise (an agent becoming free starts one)
            after.append(routing.dispatch)
    elif status in FINAL_STATUSES and row.entry_status == QueueStatus.BRIDGED:
        after.append(partial(end_room, room=room_name(row.call_sid)))
    if values != before or row.locale is None:  # (the language the caller hears, recorded once)
        conn.execute(_update_call(), {"call_id": row.id, **values})
    return Applied(timeline_insert(timeline) if timeline else None, batch, after, values["new_status"])


def _call_values(values: dict[str, Any], timeline: list[Any], batch: list[Event], row: Row[Any], status: str,
                 form: Mapping[str, str], now: datetime) -> None:
    """``calls.apply_status_callback`` on the row's values."""
    if row.status != status:
        values["new_status"] = status
        timeline.append((row.id, "status", {"status": status}, now))
        if (changed := status_event(row.call_sid, status, row.agent_id)) is not None:
            batch.append(changed)
    if status in FINAL_STATUSES:
        ended = values["new_ended_at"] = row.ended_at or now
        duration = form.get("CallDuration")
        if duration and duration.isdigit():
            values["new_duration_s"] = float(duration)
        elif row.duration_s is None:
            values["new_duration_s"] = (ended - row.started_at).total_seconds()
    answered_by = form.get("AnsweredBy")
    if answered_by:
        values["new_answered_by"] = answered_by[:30]
