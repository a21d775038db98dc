"""Limits across campaigns: a number's attempt caps (``campaigns.number_daily_cap`` over 24 hours,
``campaigns.number_weekly_cap`` over 7 days, every campaign together) and a campaign's holidays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from scheduler.models import Attempt, AttemptStatus, Campaign
from scheduler.windows import WindowError, zone


def capped_numbers(s: Session, settings: Settings, phones: list[str], now: datetime) -> dict[str, datetime]:
    """Numbers at a cap → when their oldest counted attempt leaves the window (they wait until then)."""
    cfg = settings.campaigns
    caps = [(cap, timedelta(days=days)) for cap, days in ((cfg.number_daily_cap, 1), (cfg.number_weekly_cap, 7))
            if cap > 0]
    blocked: dict[str, datetime] = {}
    if not caps or not phones:
        return blocked
    for cap, span in caps:
        since = now - span
        counted = (Attempt.number.in_(phones), Attempt.created_at > since, Attempt.status != AttemptStatus.NOT_PLACED)
        over = s.execute(select(Attempt.number, func.count()).where(*counted).group_by(Attempt.number)
                         .having(func.count() >= cap)).all()
        for number, _count in over:
            times = list(s.scalars(select(Attempt.created_at).where(*counted, Attempt.number == number)
                                   .order_by(Attempt.created_at.desc()).limit(cap)))
            free_at = times[-1] + span + timedelta(seconds=1)
            blocked[number] = max(blocked.get(number, free_at), free_at)
    return blocked


def is_holiday(settings: Settings, campaign: Campaign, now: datetime) -> bool:
    """Is today, in the campaign's time zone, one of its holidays?"""
    if not campaign.holidays:
        return False
    try:
        tz = zone(campaign.timezone or settings.hours.timezone)
    except WindowError:
        return False
    return now.replace(tzinfo=UTC).astimezone(tz).date().isoformat() in campaign.holidays
