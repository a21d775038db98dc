"""Even pacing (``dial_due``): each campaign has a slot pointer (``next_slot_at``) advanced by
``1 / calls_per_second`` per dial, plus the account-wide pointer (``campaigns.calls_per_second``,
Twilio's 1 CPS); slots missed while idle are not made up beyond one tick, late ones are caught up at
most at twice the pace, and a tick with a look-ahead never dials past it (so ticks do not overrun).
In-flight attempts (not final) never exceed ``max_concurrent``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import in_app_context, session_scope, utcnow
from scheduler import campaign_progress
from scheduler.agents import agent_capacity
from scheduler.dialer import THROTTLE_BACKOFF_S, dial
from scheduler.dnc import blocked_numbers
from scheduler.limits import capped_numbers, is_holiday
from scheduler.models import (
    IN_FLIGHT_ATTEMPT,
    Attempt,
    Campaign,
    CampaignStatus,
    Contact,
    ContactStatus,
)
from scheduler.windows import WindowError


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


@in_app_context
def dial_due(app: Flask, *, holder: str | None = None, horizon_s: float = 0.0,
             sleep: Callable[[float], None] | None = None, began: datetime | None = None) -> list[int]:
    """Dial what is due; with ``horizon_s``, the slots before ``began + horizon_s`` (``began``: when
    the tick started), so the tick ends before the next one is due."""
    settings: Settings = app.config["HOTLINE"]
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
            for_agents = agent_capacity(s, self.settings, campaign, self.now)
            if for_agents is not None:
                capacity = min(capacity, for_agents)  # calls needing an agent: only if one can take them
            if capacity <= 0 or is_holiday(self.settings, campaign, self.now):
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
            attempt_id = dial(self.app, self.settings, self.campaign_id, contact_id, slot, holder)
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
        for contact in screen(s, settings, campaign, batch, now):
            picked.append(contact)
            if len(picked) >= wanted:
                return picked
        s.flush()
    return picked


def screen(s: Session, settings: Settings, campaign: Campaign, batch: list[Contact], now: datetime) -> list[Contact]:
    """The contacts of ``batch`` that may be dialed now; the others are marked with why not (DNC,
    the number's attempt cap, outside the window, bad zone, retry cap)."""
    dnc = blocked_numbers(s, [c.phone for c in batch], campaign.id, now)
    capped = capped_numbers(s, settings, [c.phone for c in batch], now)
    windows: dict[str | None, Any] = {}
    ready: list[Contact] = []
    for contact in batch:
        if contact.phone in dnc:
            contact.status = ContactStatus.DNC
            contact.reason = "on the do-not-call list (added after import): not dialed"
            continue
        if contact.phone in capped:
            contact.next_attempt_at = capped[contact.phone]
            contact.reason = "attempt cap for this number across campaigns reached: waits"
            continue
        if contact.timezone not in windows:
            try:
                windows[contact.timezone] = campaign_progress.window_for(settings, campaign, contact.timezone)
            except WindowError:
                windows[contact.timezone] = None
        window = windows[contact.timezone]
        if window is None:
            contact.status = ContactStatus.FAILED
            contact.result = "invalid_timezone"
            contact.reason = f"timezone {contact.timezone!r} unknown: not dialed"
        elif not window.contains(now):
            contact.next_attempt_at = window.next_open(now) or now + timedelta(days=1)
            contact.reason = f"outside its call window ({window.describe()}): waits for it to open"
        elif contact.attempts >= campaign.max_attempts:
            contact.status = ContactStatus.FAILED
            contact.result = "retry_cap"
            contact.reason = f"retry cap reached ({contact.attempts} attempts)"
        else:
            ready.append(contact)
    return ready
