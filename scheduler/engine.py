"""The dialer: ``tick(app)`` does whatever is due *now* (``core.db.utcnow()``, the simulator's
virtual clock in tests): start due campaigns, reconcile stale attempts, dial due contacts
within pacing, settle finished campaigns, run the follow-up rules, and let routing dispatch.

APScheduler calls ``tick`` every ``scheduler.tick_s`` in the leader process; tests call it after
``sim.advance(...)``. Every step opens its own session (``session_scope``).

Exactly once: ``_dial`` commits an ``Attempt`` (status ``dialing``, unique idempotency key
``campaign:contact:round:seq``) *before* ``gateway.place_call``, then stores the CallSid. After a
crash, an attempt without CallSid is reconciled (Twilio's call list for that number, or the status
callback that carries the attempt id) and never redialed; a retry is always a new attempt.

Pacing (``_Pacer``): each campaign has a slot pointer (``next_slot_at``) advanced by
``1 / calls_per_second`` per dial, plus the account-wide pointer (``campaigns.calls_per_second``,
Twilio's 1 CPS); slots missed while idle are not made up beyond one tick, late ones are caught up at
most at twice the pace, and a tick with a look-ahead never dials past it (so ticks do not overrun).
In-flight attempts (not final) never exceed ``max_concurrent``.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import local_label
from core.config import Settings
from core.db import session_scope, utcnow
from core.telephony.gateway import GatewayError, get_gateway
from scheduler import campaigns as svc
from scheduler import lease as leases
from scheduler.models import (
    FINAL_ATTEMPT,
    IN_FLIGHT_ATTEMPT,
    Attempt,
    AttemptStatus,
    Campaign,
    CampaignStatus,
    Contact,
    ContactStatus,
    DncNumber,
)
from scheduler.windows import WindowError

log = logging.getLogger(__name__)

RETRY_STATUSES = {AttemptStatus.BUSY, AttemptStatus.NO_ANSWER, AttemptStatus.FAILED, AttemptStatus.CANCELED}
TWILIO_STATUSES = {"queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed",
                   "no-answer", "canceled"}
THROTTLE_BACKOFF_S = 5.0  # REST still 429 after the gateway's own retries: wait before the next dial


@dataclass
class TickReport:
    started: list[int] = field(default_factory=list)
    dialed: list[int] = field(default_factory=list)  # attempt ids
    reconciled: int = 0
    finished: list[int] = field(default_factory=list)
    followups: dict[str, int] = field(default_factory=dict)
    dispatched: int = 0
    emailed: int = 0


def _settings(app: Flask) -> Settings:
    return app.config["HOTLINE"]


def outbound_url(settings: Settings, kind: str, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{settings.public_url}/ivr/outbound/{kind}" + (f"?{query}" if query else "")


def _lock(app: Flask) -> threading.Lock:
    return app.extensions.setdefault("scheduler_tick_lock", threading.Lock())


def tick(app: Flask, *, holder: str | None = None, horizon_s: float = 0.0,
         sleep: Callable[[float], None] | None = None, followups: bool = True,
         dispatch: bool = True) -> TickReport:
    """Do everything due now. ``holder``: the lease holder (dials re-check it). ``horizon_s`` and
    ``sleep``: on the wall clock, dial the slots of the next ``horizon_s`` seconds, sleeping until
    each (the APScheduler job passes its interval); tests leave both unset."""
    report = TickReport()
    began = utcnow()  # the look-ahead counts from the tick's start, not from when dialing begins
    with _lock(app):
        active = campaigns_active(app)  # one query on a quiet day instead of four
        if active:
            report.started = fire_due_campaigns(app)
            report.reconciled = reconcile(app)
            report.finished = settle_campaigns(app)
        if followups:
            from scheduler import followup

            report.followups = followup.run_rules(app)
            active = active or any(report.followups.values())
        if dispatch:
            report.dispatched = _routing_dispatch(app)
        report.emailed = run_tick_hooks(app)
        # Dialing comes last: with a look-ahead it ends before the next tick is due (no overrun).
        if active:
            report.dialed = dial_due(app, holder=holder, horizon_s=horizon_s, sleep=sleep, began=began)
    return report


def campaigns_active(app: Flask) -> bool:
    """Is a campaign scheduled or running, or an attempt still in flight? (Otherwise a tick has
    nothing to fire, settle, reconcile or dial.)"""
    with session_scope(app) as s:
        campaign = select(Campaign.id).where(Campaign.status.in_((CampaignStatus.SCHEDULED,
                                                                   CampaignStatus.RUNNING))).exists()
        attempt = select(Attempt.id).where(Attempt.status.in_(IN_FLIGHT_ATTEMPT)).exists()
        return bool(s.scalar(select(or_(campaign, attempt))))


TickHook = Callable[[Flask, datetime], int]


def add_tick_hook(app: Flask, hook: TickHook) -> None:
    """Let a part above the scheduler run work on every tick (e.g. reports' e-mail delivery)
    without the scheduler importing it."""
    hooks: list[TickHook] = app.extensions.setdefault("scheduler_tick_hooks", [])
    if hook not in hooks:
        hooks.append(hook)


def run_tick_hooks(app: Flask) -> int:
    """Run the registered tick hooks; one failing hook never stops the dialer or the others."""
    done = 0
    for hook in app.extensions.get("scheduler_tick_hooks", []):
        try:
            done += int(hook(app, utcnow()))
        except Exception:  # noqa: BLE001 - a hook's problem must not stop the dialer
            log.exception("scheduler tick hook %s failed", getattr(hook, "__name__", hook))
    return done


def _routing_dispatch(app: Flask) -> int:
    """H9 call-backs are placed by routing when the caller's turn comes: run its periodic job."""
    try:
        routing = importlib.import_module("ivr.routing")
    except ImportError:
        return 0
    dispatch_due = getattr(routing, "dispatch_due", None)
    if dispatch_due is None:
        return 0
    try:
        return int(dispatch_due(app) or 0)
    except Exception:  # noqa: BLE001 - routing trouble must not stop the dialer
        log.exception("ivr.routing.dispatch_due failed")
        return 0


# -- campaign starts (start time / cron) --------------------------------------------------------

def fire_due_campaigns(app: Flask) -> list[int]:
    """Scheduled campaigns whose ``next_run_at`` has come start a new round (idempotent)."""
    now = utcnow()
    started = []
    with session_scope(app) as s:
        ids = list(s.scalars(select(Campaign.id).where(Campaign.status == CampaignStatus.SCHEDULED,
                                                       Campaign.next_run_at <= now)))
    for campaign_id in ids:
        if fire_campaign(app, campaign_id, now):
            started.append(campaign_id)
    return started


def fire_campaign(app: Flask, campaign_id: int, now: datetime | None = None) -> bool:
    """Start the campaign's next round if it is due (APScheduler's date/cron job calls this too)."""
    now = now or utcnow()
    with session_scope(app) as s:
        campaign = s.get(Campaign, campaign_id)
        if campaign is None or campaign.status != CampaignStatus.SCHEDULED or campaign.next_run_at is None \
                or campaign.next_run_at > now:
            return False
        expected_round = campaign.round
        claimed = s.execute(update(Campaign).where(Campaign.id == campaign_id, Campaign.round == expected_round,
                                                   Campaign.status == CampaignStatus.SCHEDULED)
                            .values(status=CampaignStatus.RUNNING, round=expected_round + 1,
                                    started_at=func.coalesce(Campaign.started_at, now),
                                    next_slot_at=now, next_run_at=None)).rowcount
        if not claimed:
            return False
        new_round = expected_round + 1
        if expected_round > 0:
            # A recurring campaign: everyone not on the DNC list is called again this round.
            s.execute(update(Contact).where(Contact.campaign_id == campaign_id,
                                            Contact.status.in_((ContactStatus.COMPLETED, ContactStatus.FAILED,
                                                                ContactStatus.PENDING)))
                      .values(status=ContactStatus.PENDING, round=new_round, attempts=0, next_attempt_at=None,
                              result=None, reason=f"round {new_round} started", updated_at=now))
        s.execute(update(Contact).where(Contact.campaign_id == campaign_id, Contact.status == ContactStatus.PENDING)
                  .values(round=new_round))
        svc.audit(s, None, "campaign_running", campaign, round=new_round)
    return True


def settle_campaigns(app: Flask) -> list[int]:
    """Running campaigns with nobody left to call complete (or wait for their next cron fire)."""
    now = utcnow()
    done = []
    with session_scope(app) as s:
        for campaign in s.scalars(select(Campaign).where(Campaign.status == CampaignStatus.RUNNING,
                                                         Campaign.system_rule.is_(None))):
            left = s.scalar(select(Contact.id).where(
                Contact.campaign_id == campaign.id,
                Contact.status.in_((ContactStatus.PENDING, ContactStatus.IN_PROGRESS))).limit(1))
            if left is not None:
                continue
            in_flight = s.scalar(select(func.count()).select_from(Attempt).where(
                Attempt.campaign_id == campaign.id, Attempt.status.in_(IN_FLIGHT_ATTEMPT)))
            if in_flight:
                continue
            fire = svc.next_cron_fire(campaign.cron, campaign.timezone or "UTC", now) if campaign.cron else None
            if fire is not None:
                campaign.status = CampaignStatus.SCHEDULED
                campaign.next_run_at = fire
            else:
                campaign.status = CampaignStatus.COMPLETED
                campaign.finished_at = now
            done.append(campaign.id)
    if done:
        _publish(app, "campaign", {"ids": done})
    return done


# -- dialing ------------------------------------------------------------------------------------

@dataclass
class AccountPace:
    """The account-wide pointer (``campaigns.calls_per_second``, Twilio's CPS) shared by campaigns:
    the next slot allowed, when the last call was placed, and how long ``calls.create`` takes."""

    next_slot: datetime | None = None
    last_dial: datetime | None = None
    create_s: float = 0.0  # moving estimate of the REST latency


def _account(app: Flask) -> AccountPace:
    pace = app.extensions.get("scheduler_account_pace")
    if pace is None:
        pace = app.extensions["scheduler_account_pace"] = AccountPace()
        with session_scope(app) as s:  # after a restart: the last dial any process made
            pace.last_dial = s.scalar(select(Attempt.created_at).order_by(Attempt.id.desc()).limit(1))
    return pace


def dial_due(app: Flask, *, holder: str | None = None, horizon_s: float = 0.0,
             sleep: Callable[[float], None] | None = None, began: datetime | None = None) -> list[int]:
    """Dial what is due; with ``horizon_s``, the slots before ``began + horizon_s`` (``began``: when
    the tick started), so the tick ends before the next one is due."""
    settings = _settings(app)
    now = utcnow()
    end = (began or now) + timedelta(seconds=horizon_s)
    # Slots that fell due since the previous tick may be dialed now; nothing older (no bursts
    # after a pause, a quiet night or a fail-over).
    last = app.extensions.get("scheduler_last_dial_tick")
    app.extensions["scheduler_last_dial_tick"] = now
    lag = timedelta(0) if last is None else min(max(now - last, timedelta(0)),
                                                timedelta(seconds=settings.scheduler.tick_s))
    with session_scope(app) as s:
        running = list(s.scalars(select(Campaign.id).where(Campaign.status == CampaignStatus.RUNNING)
                                 .order_by(Campaign.id)))
    dialed: list[int] = []
    for campaign_id in running:
        pacer = _Pacer(app, settings, campaign_id, now, end if horizon_s > 0 else None, sleep)
        dialed.extend(pacer.run(holder, lag))
    return dialed


class _Pacer:
    """One campaign's dials of this tick, at its pace and the account's.

    Slot times follow ``next_slot_at`` one ``1 / calls_per_second`` apart. A tick with a
    look-ahead (``horizon_s``) dials the slots before ``now + horizon_s`` — never one it could
    not place before then, so a tick ends before the next one is due — sleeping until each;
    without one (tests, after ``sim.advance``) it dials the slots already due. A late slot is
    dialed at once but never sooner than half an interval after the previous call of the
    campaign or of the account (persisted: also across restarts), so catching up runs at most
    at twice the pace: no burst."""

    def __init__(self, app: Flask, settings: Settings, campaign_id: int, now: datetime, end: datetime | None,
                 sleep: Callable[[float], None] | None) -> None:
        self.app, self.settings, self.campaign_id, self.now = app, settings, campaign_id, now
        self.sleep = sleep
        self.end = end or now
        self.ahead = end is not None
        self.account = _account(app)
        self.account_interval = timedelta(seconds=1.0 / settings.campaigns.calls_per_second)
        self.interval = self.account_interval
        self.last_dial: datetime | None = None

    def earliest(self, slot: datetime) -> datetime:
        """When ``slot`` may be dialed: not before it, nor half an interval after the last call
        (a tick without look-ahead cannot sleep between calls: it dials the slots already due)."""
        at = slot
        if not self.ahead:
            return at
        if self.last_dial is not None:
            at = max(at, self.last_dial + self.interval / 2)
        if self.account.last_dial is not None:
            at = max(at, self.account.last_dial + self.account_interval / 2)
        return at

    def fits(self, at: datetime) -> bool:
        if not self.ahead:
            return at <= self.now
        return at + timedelta(seconds=self.account.create_s) < self.end

    def plan(self, lag: timedelta) -> tuple[datetime, list[int]] | None:
        with session_scope(self.app) as s:
            campaign = s.get(Campaign, self.campaign_id)
            if campaign is None or campaign.status != CampaignStatus.RUNNING:
                return None
            self.interval = max(timedelta(seconds=1.0 / max(campaign.calls_per_second, 0.001)),
                                self.account_interval)
            in_flight = s.scalar(select(func.count()).select_from(Attempt).where(
                Attempt.campaign_id == self.campaign_id, Attempt.status.in_(IN_FLIGHT_ATTEMPT))) or 0
            capacity = campaign.max_concurrent - in_flight
            if capacity <= 0:
                return None
            self.last_dial = s.scalar(select(Attempt.created_at).where(Attempt.campaign_id == self.campaign_id)
                                      .order_by(Attempt.id.desc()).limit(1))
            slot = max(campaign.next_slot_at or self.now, self.now - lag)
            if self.account.next_slot is not None:
                slot = max(slot, self.account.next_slot)
            wanted, probe = 0, slot
            while wanted < capacity and self.fits(self.earliest(probe)):
                wanted += 1
                probe += self.interval
            contact_ids = [c.id for c in _due_contacts(s, self.settings, campaign, self.now, wanted)]
        return slot, contact_ids

    def run(self, holder: str | None, lag: timedelta) -> list[int]:
        planned = self.plan(lag)
        if planned is None:
            return []
        slot, contact_ids = planned
        dialed: list[int] = []
        for contact_id in contact_ids:
            at = self.earliest(slot)
            if not self.fits(at):
                break
            if self.sleep is not None and at > utcnow():
                self.sleep((at - utcnow()).total_seconds())
            started = utcnow()
            attempt_id = _dial(self.app, self.settings, self.campaign_id, contact_id, slot, holder)
            if attempt_id is None:
                continue
            if attempt_id < 0:  # throttled by Twilio: stop this campaign for now
                slot = utcnow() + timedelta(seconds=THROTTLE_BACKOFF_S)
                break
            placed = utcnow()
            took = (placed - started).total_seconds()
            self.account.create_s = took if not self.account.create_s else 0.8 * self.account.create_s + 0.2 * took
            dialed.append(attempt_id)
            # The floor counts from when Twilio had the call: however long a request takes to get
            # there, two calls reach it at least half an interval apart.
            self.last_dial = self.account.last_dial = placed
            self.account.next_slot = slot + self.account_interval
            slot += self.interval
        with session_scope(self.app) as s:
            s.execute(update(Campaign).where(Campaign.id == self.campaign_id).values(
                next_slot_at=slot if dialed or slot > self.now else func.coalesce(Campaign.next_slot_at, self.now)))
        return dialed


def _due_contacts(s: Session, settings: Settings, campaign: Campaign, now: datetime, wanted: int) -> list[Contact]:
    """Up to ``wanted`` contacts to dial now. Those outside their window are moved to its next
    opening; those put on the DNC list since import are marked (explainable dialing)."""
    if wanted <= 0:
        return []
    picked: list[Contact] = []
    for _round in range(5):  # skip past contacts pushed to their window, a few batches at most
        query = select(Contact).where(
            Contact.campaign_id == campaign.id, Contact.status == ContactStatus.PENDING,
            or_(Contact.next_attempt_at.is_(None), Contact.next_attempt_at <= now))
        if picked:  # each contact fills one slot at most
            query = query.where(Contact.id.not_in([c.id for c in picked]))
        batch = list(s.scalars(query.order_by(Contact.next_attempt_at.asc().nulls_first(), Contact.id)
                               .limit(max(wanted * 4, 50))))
        if not batch:
            break
        dnc = set(s.scalars(select(DncNumber.phone).where(DncNumber.phone.in_([c.phone for c in batch]))))
        windows: dict[str | None, Any] = {}
        for contact in batch:
            if contact.phone in dnc:
                contact.status = ContactStatus.DNC
                contact.reason = "on the do-not-call list (added after import): not dialed"
                continue
            if contact.timezone not in windows:
                try:
                    windows[contact.timezone] = svc.window_for(settings, campaign, contact.timezone)
                except WindowError:
                    windows[contact.timezone] = None
            window = windows[contact.timezone]
            if window is None:
                contact.status = ContactStatus.FAILED
                contact.result = "invalid_timezone"
                contact.reason = f"timezone {contact.timezone!r} unknown: not dialed"
                continue
            if not window.contains(now):
                opens = window.next_open(now)
                contact.next_attempt_at = opens or now + timedelta(days=1)
                contact.reason = f"outside its call window ({window.describe()}): waits for it to open"
                continue
            if contact.attempts >= campaign.max_attempts:
                contact.status = ContactStatus.FAILED
                contact.result = "retry_cap"
                contact.reason = f"retry cap reached ({contact.attempts} attempts)"
                continue
            picked.append(contact)
            if len(picked) >= wanted:
                return picked
        s.flush()
    return picked


def _dial(app: Flask, settings: Settings, campaign_id: int, contact_id: int, slot: datetime,
          holder: str | None) -> int | None:
    """Record the attempt, then place the call. Returns the attempt id, None if skipped, -1 if throttled."""
    now = utcnow()
    with session_scope(app) as s:
        contact = s.get(Contact, contact_id, with_for_update=s.bind.dialect.name == "postgresql")
        campaign = s.get(Campaign, campaign_id)
        if contact is None or campaign is None or contact.status != ContactStatus.PENDING \
                or campaign.status != CampaignStatus.RUNNING:
            return None
        if contact.next_attempt_at is not None and contact.next_attempt_at > now:
            return None  # its retry back-off (or window) is not over: picked before a callback moved it
        if holder is not None and not leases.still_held(s, holder, now):
            log.warning("lease lost: not dialing contact %s", contact_id)
            return None
        seq = (s.scalar(select(func.count()).select_from(Attempt).where(
            Attempt.contact_id == contact_id, Attempt.round == contact.round)) or 0) + 1
        attempt = Attempt(campaign_id=campaign_id, contact_id=contact_id, number=contact.phone, seq=seq,
                          round=contact.round, idempotency_key=f"{campaign_id}:{contact_id}:{contact.round}:{seq}",
                          status=AttemptStatus.DIALING, holder=holder, slot_at=slot, created_at=now,
                          updated_at=now)
        try:
            with s.begin_nested():
                s.add(attempt)
        except IntegrityError:  # another process recorded this very attempt: it is theirs
            s.rollback()
            return None
        contact.status = ContactStatus.IN_PROGRESS
        contact.attempts += 1
        contact.reason = f"dialing (attempt {contact.attempts} of {campaign.max_attempts})"
        s.flush()
        attempt_id = attempt.id
        to = contact.phone
        ring_timeout = campaign.ring_timeout_s
        amd = "DetectMessageEnd" if campaign.machine_detection else None
    # Committed: from here on the attempt exists whatever happens to this process.
    gateway = get_gateway(app)
    try:
        call_sid = gateway.place_call(
            to, outbound_url(settings, "answer", attempt=attempt_id),
            status_callback=outbound_url(settings, "status", attempt=attempt_id),
            status_events=("initiated", "ringing", "answered", "completed"),
            timeout_s=ring_timeout, machine_detection=amd)
    except GatewayError as exc:
        return _dial_failed(app, attempt_id, exc)
    except Exception as exc:  # noqa: BLE001 - network trouble: the call may or may not exist
        log.exception("placing attempt %s failed", attempt_id)
        _dial_failed(app, attempt_id, GatewayError(str(exc)[:200]))
        return attempt_id
    with session_scope(app) as s:
        s.execute(update(Attempt).where(Attempt.id == attempt_id, Attempt.call_sid.is_(None))
                  .values(call_sid=call_sid, dialed_at=utcnow(), updated_at=utcnow()))
        s.execute(update(Attempt).where(Attempt.id == attempt_id, Attempt.status == AttemptStatus.DIALING)
                  .values(status=AttemptStatus.QUEUED))
    _publish(app, "campaign", {"id": campaign_id})
    return attempt_id


def _dial_failed(app: Flask, attempt_id: int, exc: GatewayError) -> int:
    settings = _settings(app)
    now = utcnow()
    message = f"Twilio {exc.code}: {exc}" if exc.code else str(exc)
    with session_scope(app) as s:
        attempt = s.get(Attempt, attempt_id)
        contact = attempt.contact
        attempt.error_code = exc.code
        attempt.error = message[:240]
        attempt.updated_at = now
        if exc.invalid_number:
            attempt.status = AttemptStatus.FAILED
            attempt.ended_at = now
            contact.status = ContactStatus.FAILED
            contact.result = "invalid_number"
            contact.reason = f"invalid number: {message}"[:240]
            return attempt_id
        if exc.status == 429:
            # The gateway retried already and nothing was dialed: put the contact back, slow down.
            attempt.status = AttemptStatus.NOT_PLACED
            attempt.ended_at = now
            contact.status = ContactStatus.PENDING
            contact.attempts = max(0, contact.attempts - 1)
            contact.next_attempt_at = now + timedelta(seconds=THROTTLE_BACKOFF_S)
            retry_at = local_label(contact.next_attempt_at, settings.hours.zone, seconds=True)
            contact.reason = f"Twilio is throttling (429): not dialed, retried at {retry_at}"
            return -1
        if exc.status is None or exc.status >= 500:
            # The call may exist: never redial blindly; reconcile() asks Twilio later.
            attempt.status = AttemptStatus.UNKNOWN
            contact.reason = f"REST answer lost ({message}): checking with Twilio before any retry"[:240]
            return attempt_id
        attempt.status = AttemptStatus.FAILED
        attempt.ended_at = now
        _after_final(s, settings, attempt, now)
    return attempt_id


# -- outcomes -----------------------------------------------------------------------------------

def apply_call_status(s: Session, settings: Settings, attempt: Attempt, status: str, *,
                      call_sid: str | None = None, answered_by: str | None = None,
                      duration: str | int | None = None, now: datetime | None = None) -> bool:
    """Apply a status callback / fetched status to the attempt; settle the contact when final.
    Returns True when the attempt became final now."""
    now = now or utcnow()
    if status not in TWILIO_STATUSES:
        return False
    if call_sid and attempt.call_sid is None:
        clash = s.scalar(select(Attempt.id).where(Attempt.call_sid == call_sid, Attempt.id != attempt.id))
        if clash is None:
            attempt.call_sid = call_sid
            attempt.dialed_at = attempt.dialed_at or now
    if answered_by:
        attempt.answered_by = answered_by[:30]
    if attempt.status in FINAL_ATTEMPT:
        return False
    if status == "initiated":
        status = AttemptStatus.QUEUED
    attempt.updated_at = now
    if status == "in-progress" and attempt.answered_at is None:
        attempt.answered_at = now
    if status not in {"completed", "busy", "failed", "no-answer", "canceled"}:
        attempt.status = status
        return False
    attempt.status = status
    attempt.ended_at = now
    if duration not in (None, ""):
        try:
            attempt.duration_s = float(duration)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            pass
    _after_final(s, settings, attempt, now)
    return True


def _backoff(campaign: Campaign, attempts: int) -> timedelta:
    return timedelta(seconds=campaign.retry_backoff_s * campaign.retry_backoff_factor ** max(0, attempts - 1))


def _after_final(s: Session, settings: Settings, attempt: Attempt, now: datetime) -> None:
    """The attempt is over: complete the contact, schedule its retry, or fail it at the cap."""
    contact = attempt.contact
    campaign = attempt.campaign
    latest = s.scalar(select(func.max(Attempt.id)).where(Attempt.contact_id == contact.id))
    if latest != attempt.id or contact.status != ContactStatus.IN_PROGRESS:
        return
    answered = attempt.answered_at is not None or (attempt.duration_s or 0) > 0
    result = attempt.result
    if attempt.status == AttemptStatus.COMPLETED and not answered and result is None:
        attempt.status = AttemptStatus.NO_ANSWER  # ended before anyone answered
    if attempt.status == AttemptStatus.COMPLETED and result in (None, "no_response", "reschedule"):
        result = result or "answered"
    cap = campaign.max_attempts
    history = ", ".join(s.scalars(select(Attempt.status).where(
        Attempt.contact_id == contact.id, Attempt.round == contact.round,
        Attempt.status != AttemptStatus.NOT_PLACED).order_by(Attempt.id)))
    if attempt.status == AttemptStatus.COMPLETED and result not in ("no_response", "reschedule"):
        contact.status = ContactStatus.COMPLETED
        contact.result = result
        contact.next_attempt_at = None
        contact.reason = {"voicemail": "reached: voicemail left after the beep",
                          "wrong_person": "reached: not the person we called for (H20), not called again",
                          "connected": "reached: connected to an agent",
                          "fax": "a fax machine answered: not called again"}.get(
            result or "", f"reached: {result or 'answered'} (attempt {contact.attempts})")
    elif contact.attempts < cap and campaign.status not in (CampaignStatus.CANCELLED,):
        wait = _backoff(campaign, contact.attempts)
        contact.status = ContactStatus.PENDING
        contact.result = result if result in ("no_response", "reschedule") else attempt.status
        contact.next_attempt_at = now + wait
        what = {"reschedule": "not convenient now (H20): another time",
                "no_response": "answered but no reply"}.get(result or "", str(attempt.status))
        contact.reason = (f"{what} (attempt {contact.attempts} of {cap}); retry after "
                          f"{wait.total_seconds():.0f}s")
    elif campaign.status == CampaignStatus.CANCELLED:
        contact.status = ContactStatus.CANCELLED
        contact.reason = "campaign cancelled"
    else:
        contact.status = ContactStatus.FAILED
        contact.result = "retry_cap"
        contact.reason = f"retry cap reached: {contact.attempts} attempts ({history})"[:240]
    if contact.case_id is not None:
        from scheduler import followup

        followup.contact_finished(s, settings, contact, attempt, now)


# -- reconciliation -----------------------------------------------------------------------------

def reconcile(app: Flask) -> int:
    """Attempts with no news for ``scheduler.reconcile_after_s``: ask Twilio (never redial).

    - no CallSid (crash between commit and REST answer, or a 5xx): look the number up in Twilio's
      call list since the attempt was recorded; adopt the call found, or prove it was never placed;
    - CallSid but not final (lost status callbacks): fetch the call and apply its status;
    - Twilio cannot tell (list unavailable, call unknown) for ``scheduler.lost_after_s``: the
      attempt is ``lost`` and its contact failed with that reason — not redialed.
    """
    settings = _settings(app)
    now = utcnow()
    stale_before = now - timedelta(seconds=settings.scheduler.reconcile_after_s)
    with session_scope(app) as s:
        stale = list(s.execute(select(Attempt.id, Attempt.call_sid, Attempt.status, Attempt.number,
                                      Attempt.created_at, Attempt.campaign_id).where(
            Attempt.status.in_(IN_FLIGHT_ATTEMPT), Attempt.updated_at < stale_before)
            .order_by(Attempt.id).limit(200)).all())
    if not stale:
        return 0
    gateway = get_gateway(app)
    done = 0
    for attempt_id, call_sid, _status, number, created_at, _campaign_id in stale:
        info = None
        lookup_failed = False
        not_found = False
        if call_sid is None:
            find = getattr(gateway, "find_calls", None)
            try:
                found = find(number, created_at - timedelta(seconds=60)) if find else None
            except GatewayError:
                found = None
            if found is None:
                lookup_failed = True
            else:
                with session_scope(app) as s:
                    claimed = set(s.scalars(select(Attempt.call_sid).where(
                        Attempt.call_sid.in_([c.sid for c in found]))))
                candidates = [c for c in found if c.sid not in claimed]
                if candidates:
                    info = candidates[0]
        else:
            try:
                info = gateway.fetch_call(call_sid)
            except GatewayError as exc:
                lookup_failed = True
                not_found = exc.status == 404 or exc.code == 20404
        with session_scope(app) as s:
            attempt = s.get(Attempt, attempt_id)
            if attempt is None or attempt.status in FINAL_ATTEMPT:
                continue
            age = (now - attempt.created_at).total_seconds()
            if info is not None:
                attempt.updated_at = now
                apply_call_status(s, settings, attempt, info.status, call_sid=info.sid,
                                  answered_by=info.answered_by, duration=info.duration, now=now)
                done += 1
            elif call_sid is None and not lookup_failed:
                attempt.status = AttemptStatus.NOT_PLACED
                attempt.ended_at = now
                attempt.error = "not placed: Twilio has no call for this attempt (the process stopped first)"
                contact = attempt.contact
                if contact.status == ContactStatus.IN_PROGRESS:
                    contact.status = ContactStatus.PENDING
                    contact.attempts = max(0, contact.attempts - 1)
                    contact.next_attempt_at = None
                    contact.reason = "previous attempt was never placed (process stopped): dialed again"
                done += 1
            elif age >= settings.scheduler.lost_after_s or not_found:
                attempt.status = AttemptStatus.LOST
                attempt.ended_at = now
                attempt.error = (f"call {call_sid} unknown to Twilio: outcome lost, not redialed" if call_sid
                                 else "REST answer lost and Twilio cannot be asked: not redialed")
                contact = attempt.contact
                if contact.status == ContactStatus.IN_PROGRESS:
                    contact.status = ContactStatus.FAILED
                    contact.result = "lost"
                    contact.reason = attempt.error
                done += 1
            else:
                attempt.status = AttemptStatus.UNKNOWN if call_sid is None else attempt.status
                attempt.updated_at = now  # ask again after reconcile_after_s
    return done


def _publish(app: Flask, topic: str, payload: dict[str, Any]) -> None:
    try:
        from core.events import live_update

        live_update.send(app, topic=topic, payload=payload)
    except Exception:  # noqa: BLE001 - the console is optional
        log.debug("live_update failed", exc_info=True)
