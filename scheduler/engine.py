"""The scheduler's tick: ``tick(app)`` does whatever is due *now* (``core.db.utcnow()``, the
simulator's virtual clock in tests): start due campaigns, reconcile stale attempts, settle finished
campaigns, run the follow-up rules, let routing dispatch, then dial due contacts within pacing.

APScheduler calls ``tick`` every ``scheduler.tick_s`` in the leader process; tests call it after
``sim.advance(...)``. Every step opens its own session (``session_scope``).

The parts: ``scheduler.pacing`` (which contacts, when), ``scheduler.dialer`` (one call exactly
once), ``scheduler.attempts`` (an attempt's outcome, retries), ``scheduler.reconcile`` (attempts
without news: ask Twilio, never redial).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask
from sqlalchemy import func, or_, select, update

from core.config import Settings
from core.db import in_app_context, session_scope, utcnow
from ivr.routing import dispatch_due
from scheduler import campaign_fields, followup
from scheduler import campaigns as svc
from scheduler.attempts import RETRY_STATUSES, TWILIO_STATUSES, apply_call_status, outbound_url, publish
from scheduler.models import IN_FLIGHT_ATTEMPT, Attempt, Campaign, CampaignStatus, Contact, ContactStatus
from scheduler.pacing import dial_due
from scheduler.reconcile import reconcile

__all__ = ["RETRY_STATUSES", "TWILIO_STATUSES", "TickReport", "add_tick_hook", "apply_call_status",
           "dial_due", "fire_campaign", "fire_due_campaigns", "outbound_url", "reconcile", "settle_campaigns",
           "tick"]

log = logging.getLogger(__name__)

_publish = publish  # the name the webhooks use


@dataclass
class TickReport:
    started: list[int] = field(default_factory=list)
    dialed: list[int] = field(default_factory=list)  # attempt ids
    reconciled: int = 0
    finished: list[int] = field(default_factory=list)
    followups: dict[str, int] = field(default_factory=dict)
    dispatched: int = 0
    hooks: dict[str, int] = field(default_factory=dict)  # what each tick hook did (by its name)


def _settings(app: Flask) -> Settings:
    return app.config["HOTLINE"]


def _lock(app: Flask) -> threading.Lock:
    return app.extensions.setdefault("scheduler_tick_lock", threading.Lock())


@in_app_context
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
            report.followups = followup.run_rules(app)
            active = active or any(report.followups.values())
        if dispatch:
            report.dispatched = _routing_dispatch(app)
        report.hooks = run_tick_hooks(app)
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


@in_app_context
def run_tick_hooks(app: Flask) -> dict[str, int]:
    """Run the registered tick hooks; one failing hook never stops the dialer or the others.
    Returns what each did (its count), by the hook's name."""
    done: dict[str, int] = {}
    for hook in app.extensions.get("scheduler_tick_hooks", []):
        name = getattr(hook, "__name__", repr(hook))
        try:
            done[name] = done.get(name, 0) + int(hook(app, utcnow()))
        except Exception:  # noqa: BLE001 - a hook's problem must not stop the dialer
            log.exception("scheduler tick hook %s failed", name)
    return done


def _routing_dispatch(app: Flask) -> int:
    """H9 call-backs are placed by routing when the caller's turn comes: run its periodic job."""
    try:
        return int(dispatch_due(app) or 0)
    except Exception:  # noqa: BLE001 - routing trouble must not stop the dialer
        log.exception("ivr.routing.dispatch_due failed")
        return 0


# -- campaign starts (start time / cron) --------------------------------------------------------

@in_app_context
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


@in_app_context
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


@in_app_context
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
            fire = campaign_fields.next_cron_fire(campaign.cron, campaign.timezone or "UTC", now) if campaign.cron else None
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

