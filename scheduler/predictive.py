"""How many calls a predictive campaign places now: a per-agent model, not a mean.

A call placed now is answered (if at all) after a ring delay ``T`` drawn from the measured ring
delays of today's answered calls. It is abandoned if, at that moment, more answered calls want an
agent than agents are free. So the dialer estimates, from the measured distributions:

- **supply** — for every staffed agent, the chance of being free at ``T``: an available agent 1;
  one in wrap-up if its wrap-up (``routing.wrap_up_s``) ends before ``T``; one on a call if its
  call, already ``e`` seconds long, ends ``wrap_up_s`` before ``T`` — ``P(h <= e + T - wrap | h > e)``
  over the measured talk times ``h`` — each averaged over the ring delays;
- **demand** — callers already in line (certain), calls still ringing (the chance a call that has
  rung ``a`` seconds is still answered: ``p·S(a) / (p·S(a) + 1 - p)``, ``S`` the share of answer
  delays over ``a``; a call ringing longer than anyone ever answered counts for nothing), and each
  new call (the measured answer rate ``p``).

Each further call is placed while the abandons it adds — ``E[max(0, demand - supply)]`` grows by
that much, supply and demand independent sums of chances — stay within its share of the cap:
``campaigns.predictive_risk_factor × abandon_cap × (1 - today's abandon rate / abandon_cap)`` of
its chance to be answered. Calls for sure-free agents add nothing, so the day's rate stays under
the cap while the later calls take the rest of the allowance; as the day's rate nears the cap the
share shrinks to nothing (progressive dialing), and at the cap ``agents.agent_capacity`` dials
progressively. At most ``predictive_max_ratio`` (and ``1 / p``) calls per expected free agent,
counting the ringing calls that may still be answered.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core.config import Settings
from core.models import Presence

RING_POINTS = 40  # ring delays the free-agent chances are averaged over (quantiles of the measured ones)


@dataclass(frozen=True)
class Measured:
    """Today's measured answer rate and sorted samples (seconds) the model draws from."""

    answer_rate: float
    ring_s: Sequence[float]  # answered calls: from dialing to answer
    talk_s: Sequence[float]  # connected calls: from answer to hang-up
    wrap_up_s: float


@dataclass(frozen=True)
class AgentNow:
    presence: str
    for_s: float  # seconds in that presence


def _quantiles(samples: Sequence[float], points: int) -> list[float]:
    if len(samples) <= points:
        return list(samples)
    step = len(samples) / points
    return [samples[int(i * step + step / 2)] for i in range(points)]


def free_chance(agent: AgentNow, m: Measured, delays: Sequence[float]) -> float:
    """The chance ``agent`` is free when a call placed now is answered (averaged over ``delays``)."""
    if agent.presence == Presence.AVAILABLE:
        return 1.0
    if not delays:
        return 0.0
    if agent.presence == Presence.WRAP_UP:
        left = m.wrap_up_s - agent.for_s
        return sum(1 for t in delays if t >= left) / len(delays)
    if agent.presence != Presence.BUSY or not m.talk_s:
        return 0.0
    talk = m.talk_s
    done = bisect_right(talk, agent.for_s)
    longer = len(talk) - done
    if longer == 0:  # longer than every measured call: no basis to expect its end
        return 0.0
    ends = sum(bisect_right(talk, agent.for_s + t - m.wrap_up_s) - done for t in delays if t > m.wrap_up_s)
    return max(0.0, ends / longer / len(delays))


def still_answers(rung_s: float, m: Measured) -> float:
    """The chance a call ringing for ``rung_s`` seconds is still answered."""
    p = m.answer_rate
    if not m.ring_s:
        return p
    later = (len(m.ring_s) - bisect_left(m.ring_s, rung_s)) / len(m.ring_s)
    if later <= 0:
        return 0.0
    return p * later / (p * later + 1.0 - p)


def _with(dist: list[float], chance: float) -> list[float]:
    """The distribution of a count after adding one more event of ``chance``."""
    out = [0.0] * (len(dist) + 1)
    for k, pk in enumerate(dist):
        out[k] += pk * (1.0 - chance)
        out[k + 1] += pk * chance
    return out


def _count(chances: Sequence[float], certain: int = 0) -> list[float]:
    dist = [0.0] * certain + [1.0]
    for chance in chances:
        dist = _with(dist, chance)
    return dist


def overflow(demand: list[float], supply: list[float]) -> float:
    """``E[max(0, demand - supply)]`` for two independent count distributions:
    ``sum over a of P(demand = a) · sum over j < a of P(supply <= j)``."""
    cdf, total = [], 0.0
    for p in supply:
        total += p
        cdf.append(total)
    expected, below = 0.0, 0.0
    for a, pa in enumerate(demand):
        if a > 0:
            below += cdf[min(a - 1, len(cdf) - 1)]
        expected += pa * below
    return expected


def risk_share(settings: Settings, answered: int, abandoned: int) -> float:
    """How many abandons per answered call a further call may add: the cap's unused part."""
    cap = settings.campaigns.abandon_cap
    if cap <= 0:
        return 0.0
    used = (abandoned / answered) / cap if answered else 0.0
    return settings.campaigns.predictive_risk_factor * cap * max(0.0, 1.0 - used)


def calls_to_place(settings: Settings, m: Measured, agents: Sequence[AgentNow], waiting: int,
                   ringing_s: Sequence[float], share: float) -> int:
    """Calls to place now for ``agents`` with ``waiting`` callers in line and calls ringing for
    ``ringing_s`` seconds, each further call adding at most ``share`` abandons per answer."""
    delays = _quantiles(m.ring_s, RING_POINTS)
    supply_chances = [free_chance(a, m, delays) for a in agents]
    expected_free = sum(supply_chances)
    if expected_free <= 0:
        return 0
    ringing = [still_answers(a, m) for a in ringing_s]
    ratio = min(1.0 / m.answer_rate, settings.campaigns.predictive_max_ratio)
    live = sum(1 for chance in ringing if chance > 0)  # rung past every answer: it will not be
    ceiling = int(expected_free * ratio + 1e-9) - waiting - live
    supply = _count(supply_chances)
    demand = _count(ringing, certain=waiting)
    before = overflow(demand, supply)
    placed = 0
    while placed < ceiling:
        more = _with(demand, m.answer_rate)
        after = overflow(more, supply)
        if after - before > share * m.answer_rate + 1e-12:
            break
        demand, before, placed = more, after, placed + 1
    return placed


def seconds_since(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then is not None else 0.0
