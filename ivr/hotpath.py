"""The wait URL without the ORM: the webhook every waiting caller fetches about every 30 s.

Twilio fetches the queue's waitUrl again and again for each caller in line, so this is the
webhook the line's size multiplies. It reads and writes with SQLAlchemy Core on the request's
connection — no ORM objects, no identity map, no unit of work:

1. one prebuilt SELECT (``_wait_read``, values as bind parameters): the call's locale and
   purpose, its latest queue entry, that entry's active offer, and the line as the entry sees
   it (agents available / signed in / due back from wrap-up, callers and call-backs ahead);
2. the reassurance chosen from those values (``ivr.waiting``, ``ivr.prompts``, ``ivr.twiml``:
   the same pure functions as before);
3. one UPDATE of the entry (the wait's start on the first fetch, the announcement kept for the
   reports) and one INSERT of the timeline event — committed together by the view — plus,
   rarely, the call's locale or the offer's "placing" mark.

Work that follows the commit (dispatch, ringing a reserved agent, bringing the caller to an
agent who answered) is returned as actions for the view to defer, as ``flow.Step.after`` is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Row, Select, Update, bindparam, func, literal, select, update
from sqlalchemy.sql.dml import Insert
from twilio.twiml.voice_response import VoiceResponse

from core.config import Settings
from core.events import LastWrite
from core.models import Call, QueueEntry, QueueStatus
from core.twiml import absolute_url
from ivr import flow, prompts, queue, routing, twiml
from ivr.calls import timeline_insert
from ivr.models import ACTIVE_OFFER_STATUSES, Offer, OfferStatus
from ivr.queue import LineSnapshot

Action = Callable[[Flask], None]


@functools.cache
def _wait_read() -> Select:
    """The call by CallSid (absent: NULLs), its latest queue entry, the entry's active offer and
    the line's counts, in one row — built once, then only its parameters change (the status
    lists are plain bind parameters, not an expanding IN that is rendered again every time)."""
    calls, entries, offers = Call.__table__, QueueEntry.__table__, Offer.__table__
    latest = entries.alias("latest")
    newest_entry = (select(latest.c.id).where(latest.c.call_id == calls.c.id)
                    .order_by(latest.c.id.desc()).limit(1).scalar_subquery())
    candidate = offers.alias("candidate")
    active_offer = (select(candidate.c.id).where(candidate.c.queue_entry_id == entries.c.id,
                                                 candidate.c.status.in_([literal(s) for s in ACTIVE_OFFER_STATUSES]))
                    .order_by(candidate.c.id.desc()).limit(1).scalar_subquery())
    one = select(literal(1).label("one")).subquery()
    return (select(calls.c.id.label("call_id"), calls.c.locale, calls.c.purpose,
                   entries.c.id.label("entry_id"), entries.c.status, entries.c.joined_at, entries.c.reassurances,
                   offers.c.id.label("offer_id"), offers.c.status.label("offer_status"), offers.c.agent_call_sid,
                   *queue.line_columns())
            .select_from(one)
            .outerjoin(calls, calls.c.call_sid == bindparam("call_sid"))
            .outerjoin(entries, entries.c.id == newest_entry)
            .outerjoin(offers, offers.c.id == active_offer))


@functools.cache
def _announce() -> Update:
    """The entry's reassurance, kept for the reports (announced vs actual wait)."""
    entry = QueueEntry.__table__.c
    return (update(QueueEntry.__table__).where(entry.id == bindparam("entry_id"))
            .values(joined_at=bindparam("new_joined_at"),
                    reassurances=func.coalesce(entry.reassurances, 0) + 1,
                    last_announced_wait_s=bindparam("wait_s"),
                    first_announced_wait_s=func.coalesce(entry.first_announced_wait_s, bindparam("wait_s"))))


@functools.lru_cache(maxsize=8)
def _announce_carried(note: Insert) -> Insert:
    """PostgreSQL: ``WITH announce AS (UPDATE queue_entries …) INSERT INTO call_events …`` —
    the entry's update and the timeline event in one statement (built once per INSERT shape)."""
    return note.add_cte(_announce().cte("announce"))


def _announce_and_note(conn: Connection, announce: dict[str, Any], note: LastWrite) -> None:
    """Write the reassurance: the entry's UPDATE and the timeline INSERT — one round trip on
    PostgreSQL (a data-modifying WITH), two on SQLite (which has none)."""
    if conn.dialect.name == "postgresql":
        conn.execute(_announce_carried(note.statement), {**announce, **note.params})
    else:
        conn.execute(_announce(), announce)
        conn.execute(note.statement, note.params)


@functools.cache
def _set_locale() -> Update:
    return update(Call.__table__).where(Call.__table__.c.id == bindparam("call_id")).values(
        locale=bindparam("new_locale"))


@functools.cache
def _mark_placing() -> Update:
    """An agent reserved for a call-back customer is rung once: the real CallSid replaces the mark."""
    offer = Offer.__table__.c
    return (update(Offer.__table__).where(offer.id == bindparam("offer_id"), offer.agent_call_sid.is_(None))
            .values(agent_call_sid="placing"))


@dataclass(frozen=True)
class WaitRead:
    """What the wait URL read: the row of ``_wait_read``, the line and the caller's language."""

    call_sid: str
    row: Row[Any]
    line: LineSnapshot
    locale: str

    @property
    def in_line(self) -> bool:
        return self.row.entry_id is not None and self.row.status in queue.IN_LINE


def read_wait(conn: Connection, settings: Settings, call_sid: str, now: datetime) -> WaitRead:
    """One SELECT; an unknown CallSid reads the agents' counts alone (the entry's are NULL)."""
    row = conn.execute(_wait_read(), {"call_sid": call_sid, **queue.line_params(settings, now)}).one()
    line = queue.line_from_columns((row.available, row.signed_in, row.due_back, row.entries_ahead,
                                    row.callbacks_ahead))
    return WaitRead(call_sid, row, line, prompts.locale_of(row.locale, settings))


def answer_wait(conn: Connection, settings: Settings, read: WaitRead, now: datetime, *, twilio_position: int,
                queue_time: float, hold_url: str | None, hold_s: float | None) -> tuple[VoiceResponse, list[Action]]:
    """One waitUrl document (H3, H9) and the work that follows the commit.

    Position and expected wait in the caller's language, the call-back offer, then hold audio /
    pause so the next reassurance comes within ``reassure_every_s``. The first fetch starts the
    caller's wait at Twilio's enqueue (``QueueTime``); their place in line (``place_at``, what
    the position counts) stays where the menu choice put it."""
    row, line, locale = read.row, read.line, read.locale
    if row.call_id is not None and row.locale is None:  # the language the caller hears, recorded once
        conn.execute(_set_locale(), {"call_id": row.call_id, "new_locale": locale})
    in_line = read.in_line
    position = line.position if in_line else max(1, twilio_position)
    ringing = in_line and row.status == QueueStatus.OFFERED  # an agent's phone rings for them
    expected = 0.0 if ringing else queue.expected_wait_s(settings, position, line.free_agents, line.logged_in)
    minutes = queue.announced_minutes(expected)
    # H9: offer a call-back — not to a customer we are calling back already, nor when connecting now.
    offer_callback = settings.queue.callback_offer and minutes > 0 and row.purpose != "callback"
    key = "connecting_now" if minutes == 0 else "reassurance" if offer_callback else "reassurance_plain"
    lines = [prompts.minutes_in_words(prompts.text(settings, key, locale, position=position, wait_minutes=minutes),
                                      locale, minutes)]
    if offer_callback and not prompts.offers_callback(lines[0]):
        lines.append(prompts.text(settings, "callback_offer", locale))  # H9 (the reassurance may include it)
    text = "".join(lines) if locale == "zh-CN" else " ".join(lines)
    after: list[Action] = []
    if in_line:
        detail = {"position": position, "wait_minutes": minutes, "queue_time_s": round(queue_time),
                  "prompt": key, "locale": locale, "text": text}
        _announce_and_note(conn, {"entry_id": row.entry_id, "wait_s": expected,
                                  "new_joined_at": queue.enqueued_at(row, now, queue_time)},
                           timeline_insert([(row.call_id, "reassured", detail, now)]))
        if ringing:
            after += _reserved_agent(conn, settings, read)
    if line.anyone_free:  # a free agent (or one back from wrap-up) takes the next caller
        after.append(routing.dispatch)
    plan = queue.wait_plan(settings, queue.speech_seconds(settings, text, locale), hold_s if hold_url else None)
    response = twiml.wait_loop(settings, locale, text, action=absolute_url(settings, "/ivr/queue/option"),
                               input_timeout=plan.input_timeout_s, pause_s=plan.pause_s,
                               play_url=hold_url, play_loops=plan.play_loops,
                               hints=", ".join(prompts.CALLBACK_PHRASES[locale]), listen=offer_callback)
    return response, after


def _reserved_agent(conn: Connection, settings: Settings, read: WaitRead) -> list[Action]:
    """A call-back customer is now in line: ring the agent reserved for them. An agent who
    answered before the caller reached the line: bring the caller over now (``ivr.bridge``)."""
    row = read.row
    offer_id = row.offer_id
    if offer_id is None:
        return []
    if row.offer_status == OfferStatus.RINGING and row.agent_call_sid is None:
        if conn.execute(_mark_placing(), {"offer_id": offer_id}).rowcount != 1:
            return []  # another fetch is placing the agent's leg already
        return [lambda app: routing.place(app, offer_id)]
    if row.offer_status == OfferStatus.ANSWERED:
        return [functools.partial(flow.bring_caller, caller_sid=read.call_sid, agent_sid=row.agent_call_sid,
                                  url=absolute_url(settings, "/ivr/queue/handoff", offer=offer_id))]
    return []
