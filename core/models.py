"""Models every part shares: callers, calls and their events, users (agents, leads,
admins and their presence), queue entries, call-back requests, cases, the audit log and
generated secrets. Part-specific models live beside their part (``ivr/models.py``…).

Times are naive UTC (``core.db.utcnow``); phone numbers are E.164.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow


class Role(StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"


class Presence(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    BUSY = "busy"
    WRAP_UP = "wrap_up"
    AWAY = "away"


class CaseKind(StrEnum):
    """H13: routine (free) service, repair, complaint, inquiry; plus what the IVR opens."""

    ROUTINE = "routine"
    REPAIR = "repair"
    COMPLAINT = "complaint"
    INQUIRY = "inquiry"
    MESSAGE = "message"  # H4: after-hours message
    MANAGER_CALLBACK = "manager_callback"  # H11
    RECOVERY = "recovery"  # a caller who gave up waiting
    FOLLOW_UP = "follow_up"  # H20: new need found on an outbound call


class CaseStatus(StrEnum):
    OPEN = "open"
    DISPATCHED = "dispatched"
    RESOLVED = "resolved"
    CLOSED = "closed"


class QueueStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # an agent leg is ringing for this caller
    BRIDGED = "bridged"
    ABANDONED = "abandoned"
    CALLBACK = "callback"  # left the line, keeps its place as a call-back request
    LEFT = "left"
    OVERFLOW = "overflow"
    ERROR = "error"


class CallbackStatus(StrEnum):
    PENDING = "pending"
    DIALING = "dialing"
    CONNECTED = "connected"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Caller(Base):
    __tablename__ = "callers"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)  # E.164; None if withheld
    surname: Mapped[str | None] = mapped_column(String(40))  # H6: 请问您贵姓
    title: Mapped[str | None] = mapped_column(String(20))  # 先生 / 小姐 / Mr / Ms
    district: Mapped[str | None] = mapped_column(String(60))  # H6: route by region
    locale: Mapped[str | None] = mapped_column(String(10))  # remembered language choice
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    calls: Mapped[list[Call]] = relationship(back_populates="caller")


class User(Base):
    """A person who signs in: agent, team lead or admin. Agents' presence lives here."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(10), default=Role.AGENT)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # sha256 hex
    agent_code: Mapped[str | None] = mapped_column(String(16), unique=True)  # 工号
    # Where the agent answers: an E.164 number or a Twilio Client identity "client:alice".
    endpoint: Mapped[str | None] = mapped_column(String(80))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)  # menu options served
    districts: Mapped[list[str]] = mapped_column(JSON, default=list)  # H6; empty = any
    locales: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["zh-CN", "en"])
    presence: Mapped[str] = mapped_column(String(10), default=Presence.OFFLINE)
    presence_since: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_call_ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    calls_handled: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ix_users_presence", "presence", "role"),)


class Call(Base):
    """One Twilio call leg, inbound or outbound, identified by its CallSid."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    parent_call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    direction: Mapped[str] = mapped_column(String(20), default="inbound")
    # caller | agent_leg | callback | campaign | transfer
    purpose: Mapped[str] = mapped_column(String(20), default="caller")
    from_number: Mapped[str | None] = mapped_column(String(80))
    to_number: Mapped[str | None] = mapped_column(String(80))
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="ringing")
    locale: Mapped[str | None] = mapped_column(String(10))
    menu_option: Mapped[str | None] = mapped_column(String(20))
    priority: Mapped[int] = mapped_column(Integer, default=0)  # higher is served first (H5)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)  # connected to an agent
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    duration_s: Mapped[float | None] = mapped_column(Float)
    wait_s: Mapped[float | None] = mapped_column(Float)
    queue_result: Mapped[str | None] = mapped_column(String(30))
    answered_by: Mapped[str | None] = mapped_column(String(30))  # AMD result on outbound legs
    conference_sid: Mapped[str | None] = mapped_column(String(64))  # the bridge (a conference)
    # the agent's wrap-up: a code of ``wrapup.dispositions``, an optional note, who and when
    disposition: Mapped[str | None] = mapped_column(String(40), index=True)
    disposition_note: Mapped[str | None] = mapped_column(String(200))
    disposition_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    disposition_at: Mapped[datetime | None] = mapped_column(DateTime)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    caller: Mapped[Caller | None] = relationship(back_populates="calls")
    agent: Mapped[User | None] = relationship(foreign_keys=[agent_id])
    disposition_by: Mapped[User | None] = relationship(foreign_keys=[disposition_by_id])
    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", order_by="CallEvent.id", cascade="all, delete-orphan")


class CallEvent(Base):
    """The caller's timeline: what was said, pressed, waited, to whom connected."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    call: Mapped[Call] = relationship(back_populates="events")


def _place_default(context: Any) -> datetime:
    """A queue entry's place in line defaults to when it joined."""
    return context.get_current_parameters().get("joined_at") or utcnow()


class QueueEntry(Base):
    """A caller's place in line: served in ``(priority desc, place_at, id)`` order. ``joined_at`` is
    when the wait started (Twilio's enqueue), which never moves a caller's place. A call-back request
    keeps the entry's ``place_at`` as its original join time."""

    __tablename__ = "queue_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    queue_name: Mapped[str] = mapped_column(String(64))
    skill: Mapped[str | None] = mapped_column(String(20))  # menu option
    district: Mapped[str | None] = mapped_column(String(60))
    locale: Mapped[str | None] = mapped_column(String(10))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # the wait starts (Twilio enqueued)
    place_at: Mapped[datetime] = mapped_column(DateTime, default=_place_default)  # the place in line (service order)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(12), default=QueueStatus.WAITING)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reassurances: Mapped[int] = mapped_column(Integer, default=0)
    last_announced_wait_s: Mapped[float | None] = mapped_column(Float)
    first_announced_wait_s: Mapped[float | None] = mapped_column(Float)

    call: Mapped[Call] = relationship()

    __table_args__ = (Index("ix_queue_entries_waiting", "status", "priority", "place_at"),)


class CallbackRequest(Base):
    """A promised call-back (H9, H11, abandoned callers). Fair: ordered by original join time."""

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)  # E.164
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"))
    queue_entry_id: Mapped[int | None] = mapped_column(ForeignKey("queue_entries.id"))
    reason: Mapped[str] = mapped_column(String(20))  # queue | abandoned | manager | after_hours
    status: Mapped[str] = mapped_column(String(12), default=CallbackStatus.PENDING, index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    skill: Mapped[str | None] = mapped_column(String(20))
    locale: Mapped[str | None] = mapped_column(String(10))
    original_joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    call_sid: Mapped[str | None] = mapped_column(String(64))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    note: Mapped[str | None] = mapped_column(Text)


class Case(Base):
    """H12–H14: every contact logged; what cannot be answered at once becomes a case."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default=CaseKind.INQUIRY)
    status: Mapped[str] = mapped_column(String(12), default=CaseStatus.OPEN, index=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(12), default="call")  # call/visit/letter/online/voicemail
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    parent_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    caller_name: Mapped[str | None] = mapped_column(String(80))
    contact_number: Mapped[str | None] = mapped_column(String(32))  # E.164
    place: Mapped[str | None] = mapped_column(String(200))  # building/room or place (H12)
    district: Mapped[str | None] = mapped_column(String(60))
    department: Mapped[str | None] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    recording_url: Mapped[str | None] = mapped_column(String(500))
    transcript: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    reply_due_at: Mapped[datetime | None] = mapped_column(DateTime)  # H14
    replied_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)  # H15
    work_order_returned_at: Mapped[datetime | None] = mapped_column(DateTime)  # H16
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    caller: Mapped[Caller | None] = relationship()


class AuditLog(Base):
    """Sign-ins, number reveals (H25), library edits, campaign actions."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(120))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AppSecret(Base):
    """Secrets generated on first start (simulator auth token, session key)."""

    __tablename__ = "app_secrets"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
