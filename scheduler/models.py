"""Models of the scheduler part: campaigns, their contacts and dial attempts, the do-not-call
list, follow-up bookkeeping (H14–H18), lead alerts and the scheduler's leader lease.

Exactly-once dialing rests on ``Attempt``: one row per dial, committed (status ``dialing``) with
a unique ``idempotency_key`` before the REST request; a retry is a new row, never a redial.
Times are naive UTC (``core.db.utcnow``); numbers E.164.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow


class Purpose(StrEnum):
    REPAIR_SATISFACTION = "repair_satisfaction"  # H16
    COMPLAINT_FOLLOWUP = "complaint_followup"  # H17
    SURVEY = "survey"  # H18-H19
    OUTAGE_NOTICE = "outage_notice"  # H21
    FEE_REMINDER = "fee_reminder"  # H22
    GENERAL_CALLBACK = "general_callback"  # H20


class Mode(StrEnum):
    AUTOMATED = "automated"  # the IVR speaks and collects keypad/speech answers
    AGENT_ASSISTED = "agent_assisted"  # the contact is connected to an agent with a case preview


class DialMode(StrEnum):
    FIXED_RATE = "fixed_rate"  # automated calls at calls_per_second (notices, surveys)
    PREVIEW = "preview"  # the agent sees the contact and clicks to dial
    PROGRESSIVE = "progressive"  # one call per free agent
    PREDICTIVE = "predictive"  # dials ahead from the measured answer rate, under the abandon cap


AGENT_DIAL_MODES = frozenset({DialMode.PREVIEW, DialMode.PROGRESSIVE, DialMode.PREDICTIVE})


class CampaignStatus(StrEnum):
    DRAFT = "draft"  # being prepared (contacts uploaded), not started
    SCHEDULED = "scheduled"  # waits for its start time / next cron fire
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class ContactStatus(StrEnum):
    PENDING = "pending"  # waiting to be dialed (first attempt or a retry)
    IN_PROGRESS = "in_progress"  # an attempt is in flight
    COMPLETED = "completed"  # reached (answered by a person, or voicemail left)
    FAILED = "failed"  # retry cap reached, invalid number, or outcome lost
    DNC = "dnc"  # on the do-not-call list: never dialed
    CANCELLED = "cancelled"  # campaign cancelled before it was reached


class AttemptStatus(StrEnum):
    DIALING = "dialing"  # committed before the REST request
    UNKNOWN = "unknown"  # the REST answer was lost (crash / 5xx): reconcile before anything else
    QUEUED = "queued"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"
    NOT_PLACED = "not_placed"  # proven never placed (REST refused, e.g. 429 after retries)
    LOST = "lost"  # placed, but its outcome can no longer be learned


FINAL_ATTEMPT = frozenset({AttemptStatus.COMPLETED, AttemptStatus.BUSY, AttemptStatus.NO_ANSWER,
                           AttemptStatus.FAILED, AttemptStatus.CANCELED, AttemptStatus.NOT_PLACED,
                           AttemptStatus.LOST})
IN_FLIGHT_ATTEMPT = frozenset({AttemptStatus.DIALING, AttemptStatus.UNKNOWN, AttemptStatus.QUEUED,
                               AttemptStatus.RINGING, AttemptStatus.IN_PROGRESS})


class Campaign(Base):
    __tablename__ = "scheduler_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    purpose: Mapped[str] = mapped_column(String(24), default=Purpose.GENERAL_CALLBACK)
    mode: Mapped[str] = mapped_column(String(16), default=Mode.AUTOMATED)
    status: Mapped[str] = mapped_column(String(12), default=CampaignStatus.DRAFT, index=True)
    locale: Mapped[str] = mapped_column(String(10), default="zh-CN")
    # H20 order: list of library entry ids (or {"id", "text", "kind"} for custom lines).
    script: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Placeholders for the script ({result}, {issue}, {area}, {amount}…); contacts may override.
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    voicemail_text: Mapped[str | None] = mapped_column(Text)  # left after the beep (AMD)
    start_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC; None = when started
    cron: Mapped[str | None] = mapped_column(String(120))  # recurrence (crontab, campaign time zone)
    timezone: Mapped[str | None] = mapped_column(String(64))  # default hours.timezone
    window: Mapped[str | None] = mapped_column(String(16))  # HH:MM-HH:MM, default hours.open
    weekdays: Mapped[list[int] | None] = mapped_column(JSON)  # default hours.open_weekdays
    calls_per_second: Mapped[float] = mapped_column(Float, default=1.0)
    max_concurrent: Mapped[int] = mapped_column(Integer, default=5)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    retry_backoff_s: Mapped[float] = mapped_column(Float, default=1800)
    retry_backoff_factor: Mapped[float] = mapped_column(Float, default=2.0)
    ring_timeout_s: Mapped[int] = mapped_column(Integer, default=30)
    machine_detection: Mapped[bool] = mapped_column(Boolean, default=True)
    agent_code: Mapped[str | None] = mapped_column(String(16))  # 工号 said on automated calls (H20)
    agent_surname: Mapped[str | None] = mapped_column(String(20))
    dial_mode: Mapped[str] = mapped_column(String(16), default=DialMode.FIXED_RATE)
    caller_id: Mapped[str | None] = mapped_column(String(32))  # E.164 shown to the contact
    holidays: Mapped[list[str] | None] = mapped_column(JSON)  # ISO dates (campaign zone): no calls
    # Recycling: contacts at their cap after no-answer/busy get another pass, later, in this window.
    recycle_passes: Mapped[int] = mapped_column(Integer, default=0)
    recycle_after_s: Mapped[float] = mapped_column(Float, default=4 * 3600)
    recycle_window: Mapped[str | None] = mapped_column(String(16))  # HH:MM-HH:MM, default the window
    machine_retry: Mapped[bool] = mapped_column(Boolean, default=False)  # retry instead of voicemail
    optout_key: Mapped[bool] = mapped_column(Boolean, default=True)  # "press 9 to stop these calls"
    system_rule: Mapped[str | None] = mapped_column(String(16), unique=True)  # follow-up campaign (H16/H17)
    round: Mapped[int] = mapped_column(Integer, default=0)  # incremented at each (cron) start
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    next_slot_at: Mapped[datetime | None] = mapped_column(DateTime)  # pacing: the next dial allowed
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Contact(Base):
    __tablename__ = "scheduler_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("scheduler_campaigns.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(32))  # E.164
    name: Mapped[str | None] = mapped_column(String(80))
    title: Mapped[str | None] = mapped_column(String(40))  # "王先生" said when verifying identity (H20)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    case_ref: Mapped[str | None] = mapped_column(String(24))
    timezone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # extra CSV columns
    row_number: Mapped[int | None] = mapped_column(Integer)  # CSV row it came from
    status: Mapped[str] = mapped_column(String(12), default=ContactStatus.PENDING)
    round: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # placed attempts this round
    recycle_pass: Mapped[int] = mapped_column(Integer, default=0)  # recycling passes used
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)  # None = as soon as allowed
    reason: Mapped[str | None] = mapped_column(String(240))  # why it was (not) dialed, last word
    result: Mapped[str | None] = mapped_column(String(40))  # answered / voicemail / busy / declined…
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # answers collected
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship()

    __table_args__ = (
        UniqueConstraint("campaign_id", "phone", "case_id", name="uq_scheduler_contacts_campaign_phone"),
        Index("ix_scheduler_contacts_due", "campaign_id", "status", "next_attempt_at"),
    )


class Attempt(Base):
    """One dial. Committed before the REST call; ``idempotency_key`` makes a second row for the
    same attempt impossible, so no contact is dialed twice for one attempt."""

    __tablename__ = "scheduler_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("scheduler_campaigns.id", ondelete="CASCADE"),
                                             index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("scheduler_contacts.id", ondelete="CASCADE"),
                                            index=True)
    number: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3… within the contact's round
    round: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=AttemptStatus.DIALING, index=True)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    holder: Mapped[str | None] = mapped_column(String(80))  # the scheduler process that dialed
    error_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(240))
    answered_by: Mapped[str | None] = mapped_column(String(30))  # AMD result
    result: Mapped[str | None] = mapped_column(String(40))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    duration_s: Mapped[float | None] = mapped_column(Float)
    slot_at: Mapped[datetime | None] = mapped_column(DateTime)  # the pacing slot it was given
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    dialed_at: Mapped[datetime | None] = mapped_column(DateTime)  # REST answered
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the agent who took the call
    disposition: Mapped[str | None] = mapped_column(String(40))  # the agent's wrap-up code
    disposition_note: Mapped[str | None] = mapped_column(String(200))
    disposed_at: Mapped[datetime | None] = mapped_column(DateTime)

    contact: Mapped[Contact] = relationship()
    campaign: Mapped[Campaign] = relationship()


class DncNumber(Base):
    """The do-not-call list: never dialed by any campaign."""

    __tablename__ = "scheduler_dnc"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)  # one entry per number
    reason: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(40))  # manual, import, opt_out_key, disposition…
    campaign_id: Mapped[int | None] = mapped_column(  # None: every campaign; else only this one
        ForeignKey("scheduler_campaigns.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)  # None: never
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class FollowUp(Base):
    """A follow-up rule fired for a case (H14–H17); the unique key keeps each rule idempotent."""

    __tablename__ = "scheduler_followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(8))  # H14 | H15 | H16 | H17
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))  # e.g. the local date, or the call-back number
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("scheduler_contacts.id", ondelete="SET NULL"))
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("rule", "case_id", "key", name="uq_scheduler_followups_rule_case_key"),)


class FollowUpAlert(Base):
    """An alert for the team lead / supervisor (H14 no reply in 1 day, H15 repair open > 2 days)."""

    __tablename__ = "scheduler_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(8))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    audience: Mapped[str] = mapped_column(String(12), default="lead")  # lead | supervisor
    message: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Lease(Base):
    """The scheduler's leader lease: only its holder fires jobs (renewed every lease_s / 3)."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(80))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    acquired_at: Mapped[datetime | None] = mapped_column(DateTime)
    renewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    fencing: Mapped[int] = mapped_column(Integer, default=0)  # +1 at each change of holder
