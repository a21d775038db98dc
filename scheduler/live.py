"""What the live campaign page shows beside the counts: the pace of the last minute, the day's
answer and abandon rates against the cap, agents free and busy, and scheduler warnings (no
leader running, at the abandon cap, nobody free to take an agent call, a holiday)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from scheduler import lease as leases
from scheduler.agents import agent_capacity, agent_load, dial_stats
from scheduler.limits import is_holiday
from scheduler.models import AGENT_DIAL_MODES, Attempt, Campaign, CampaignStatus


def live_figures(s: Session, settings: Settings, campaign: Campaign, now: datetime) -> dict[str, Any]:
    stats = dial_stats(s, settings, now)
    load = agent_load(s, settings, now, stats)
    last_minute = s.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.campaign_id == campaign.id, Attempt.created_at > now - timedelta(seconds=60))) or 0
    figures = {"dial_mode": campaign.dial_mode, "calls_last_minute": last_minute,
               "rate_per_s": round(last_minute / 60.0, 3), **stats.as_json(settings),
               "agents": {"free": load.free, "busy": load.busy, "soon_free": load.soon_free,
                          "waiting": load.waiting}}
    return {"dialing": figures, "warnings": warnings(s, settings, campaign, now, figures)}


def warnings(s: Session, settings: Settings, campaign: Campaign, now: datetime,
             figures: dict[str, Any]) -> list[str]:
    if campaign.status not in (CampaignStatus.RUNNING, CampaignStatus.SCHEDULED):
        return []
    found = []
    lease = leases.current(s)
    if lease is None or lease.expires_at is None or lease.expires_at < now:
        found.append("no scheduler is running (nobody holds the leader lease): nothing is dialed")
    if is_holiday(settings, campaign, now):
        found.append("today is one of the campaign's holidays: nothing is dialed")
    if campaign.dial_mode in AGENT_DIAL_MODES:
        if figures["agents"]["free"] == 0 and figures["agents"]["soon_free"] == 0:
            found.append("no agent is free: no call is placed until one is")
        if campaign.dial_mode == "predictive" and figures["at_cap"]:
            found.append(f"abandon rate at the cap ({figures['abandon_rate']:.1%} of answered, cap "
                         f"{figures['abandon_cap']:.0%}): dialing one call per free agent")
        if campaign.dial_mode != "preview" and figures["agents"]["free"] and \
                agent_capacity(s, settings, campaign, now) == 0 and figures["agents"]["waiting"]:
            found.append("callers are waiting for the free agents: no new call now")
    return found
