"""How many calls that need an agent may be placed now (progressive and predictive dialing), and
the day's answer and abandon rates the predictive dialer and the live page show.

- **progressive**: one call per free agent — free agents minus callers already waiting for one
  and agent calls still ringing.
- **predictive**: dials ahead by the per-agent model of ``scheduler.predictive`` (each agent's
  chance to be free when a call placed now is answered, from the measured ring delays, talk times
  and wrap-up; the chance each ringing call is still answered; each further call only while the
  abandons it adds stay within the cap's unused share); while one more abandoned call would take
  the last 24 hours over ``campaigns.abandon_cap`` of answered calls it dials progressively.

Nobody free and nobody about to be free: no call is placed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Presence, QueueEntry, QueueStatus, User
from scheduler.models import AGENT_DIAL_MODES, IN_FLIGHT_ATTEMPT, Attempt, AttemptStatus, Campaign, DialMode
from scheduler.predictive import AgentNow, Measured, calls_to_place, risk_share, seconds_since

DEFAULT_RING_S = 10.0
DEFAULT_HANDLE_S = 120.0
SAMPLES = 200  # the latest answered calls the ring delays and talk times are measured on


@dataclass
class DialStats:
    """The last 24 hours of agent-campaign calls."""

    finished: int = 0
    answered: int = 0
    abandoned: int = 0
    handle_s: float = DEFAULT_HANDLE_S
    ring_s: float = DEFAULT_RING_S
    ring_samples: list[float] = field(default_factory=list)  # sorted, seconds
    talk_samples: list[float] = field(default_factory=list)  # sorted, seconds

    def answer_rate(self, settings: Settings) -> float:
        if self.finished < settings.campaigns.predictive_min_calls or not self.answered:
            return settings.campaigns.predictive_answer_rate
        return self.answered / self.finished

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0

    def at_cap(self, settings: Settings) -> bool:
        """Would one more abandoned call take the day over the cap?"""
        return self.abandoned + 1 > settings.campaigns.abandon_cap * (self.answered + 1)

    def as_json(self, settings: Settings) -> dict[str, float | int | bool]:
        return {"finished": self.finished, "answered": self.answered, "abandoned": self.abandoned,
                "answer_rate": round(self.answer_rate(settings), 4), "abandon_rate": round(self.abandon_rate, 4),
                "abandon_cap": settings.campaigns.abandon_cap, "at_cap": self.at_cap(settings),
                "handle_s": round(self.handle_s, 1)}


def dial_stats(s: Session, settings: Settings, now: datetime) -> DialStats:
    since = now - timedelta(days=1)
    agent_campaigns = select(Campaign.id).where(Campaign.dial_mode.in_(AGENT_DIAL_MODES))
    base = and_(Attempt.campaign_id.in_(agent_campaigns), Attempt.ended_at >= since,
                Attempt.status != AttemptStatus.NOT_PLACED)
    finished, answered, abandoned = s.execute(select(
        func.count(), func.count(Attempt.answered_at),
        func.count().filter(Attempt.result == "abandoned")).where(base)).one()
    stats = DialStats(finished or 0, answered or 0, abandoned or 0)
    if stats.finished >= settings.campaigns.predictive_min_calls:
        talked = [(a.ended_at - a.answered_at).total_seconds() for a in s.execute(
            select(Attempt.answered_at, Attempt.ended_at).where(
                base, Attempt.answered_at.is_not(None), or_(Attempt.result.is_(None), Attempt.result != "abandoned"))
            .order_by(Attempt.id.desc()).limit(SAMPLES))]
        rung = [(a.answered_at - a.created_at).total_seconds() for a in s.execute(
            select(Attempt.created_at, Attempt.answered_at).where(base, Attempt.answered_at.is_not(None))
            .order_by(Attempt.id.desc()).limit(SAMPLES))]
        stats.talk_samples, stats.ring_samples = sorted(talked), sorted(rung)
        if talked:
            stats.handle_s = max(1.0, sum(talked) / len(talked))
        if rung:
            stats.ring_s = max(0.5, sum(rung) / len(rung))
    return stats


@dataclass
class AgentLoad:
    free: int  # available now
    soon_free: int  # on a call expected to end, or wrapping up, within the ring time
    busy: int  # on a call or wrapping up
    waiting: int  # callers in line for an agent, and agent calls not yet in line


def agent_load(s: Session, settings: Settings, now: datetime, stats: DialStats) -> AgentLoad:
    staffed = and_(User.active.is_(True), User.endpoint.is_not(None))
    free = s.scalar(select(func.count()).select_from(User).where(staffed, User.presence == Presence.AVAILABLE)) or 0
    busy = s.scalar(select(func.count()).select_from(User).where(
        staffed, User.presence.in_((Presence.BUSY, Presence.WRAP_UP)))) or 0
    ahead = now + timedelta(seconds=stats.ring_s)
    soon = s.scalar(select(func.count()).select_from(User).where(staffed, or_(
        and_(User.presence == Presence.BUSY,
             User.presence_since <= ahead - timedelta(seconds=stats.handle_s + settings.routing.wrap_up_s)),
        and_(User.presence == Presence.WRAP_UP,
             User.presence_since <= ahead - timedelta(seconds=settings.routing.wrap_up_s))))) or 0
    in_line = s.scalar(select(func.count()).select_from(QueueEntry).where(
        QueueEntry.status == QueueStatus.WAITING)) or 0  # an offered caller has its agent reserved already
    agent_campaigns = select(Campaign.id).where(Campaign.dial_mode.in_(AGENT_DIAL_MODES))
    # Ringing, or answered and not yet handed to the line (answering-machine detection still
    # listening): each will want an agent in a moment.
    ringing = s.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.campaign_id.in_(agent_campaigns), Attempt.status.in_(IN_FLIGHT_ATTEMPT),
        Attempt.result.is_(None))) or 0
    return AgentLoad(free, soon, busy, in_line + ringing)


def agent_capacity(s: Session, settings: Settings, campaign: Campaign, now: datetime) -> int | None:
    """Calls the campaign may place now for its agents (None: it needs none, fixed rate)."""
    if campaign.dial_mode == DialMode.FIXED_RATE:
        return None
    if campaign.dial_mode == DialMode.PREVIEW:
        return 0  # the agent dials from the preview
    stats = dial_stats(s, settings, now)
    load = agent_load(s, settings, now, stats)
    if campaign.dial_mode == DialMode.PREDICTIVE and not stats.at_cap(settings):
        return _predictive(s, settings, now, stats)
    return max(0, load.free - load.waiting)


def _predictive(s: Session, settings: Settings, now: datetime, stats: DialStats) -> int:
    staffed = and_(User.active.is_(True), User.endpoint.is_not(None))
    agents = [AgentNow(presence, seconds_since(now, since)) for presence, since in s.execute(
        select(User.presence, User.presence_since).where(
            staffed, User.presence.in_((Presence.AVAILABLE, Presence.BUSY, Presence.WRAP_UP))))]
    in_line = s.scalar(select(func.count()).select_from(QueueEntry).where(
        QueueEntry.status == QueueStatus.WAITING)) or 0
    agent_campaigns = select(Campaign.id).where(Campaign.dial_mode.in_(AGENT_DIAL_MODES))
    # Ringing (answer chance by how long it has rung), or answered and not yet in line (certain).
    in_flight = list(s.execute(select(Attempt.created_at, Attempt.answered_at).where(
        Attempt.campaign_id.in_(agent_campaigns), Attempt.status.in_(IN_FLIGHT_ATTEMPT), Attempt.result.is_(None))))
    ringing = [seconds_since(now, created) for created, answered in in_flight if answered is None]
    answered_waiting = len(in_flight) - len(ringing)
    measured = Measured(stats.answer_rate(settings), stats.ring_samples, stats.talk_samples,
                        settings.routing.wrap_up_s)
    share = risk_share(settings, stats.answered, stats.abandoned)
    return calls_to_place(settings, measured, agents, in_line + answered_waiting, ringing, share)
