"""The team lead's daily spot-check sample: ``quality.spot_checks_per_agent`` random calls of
every agent who took calls that day — drawn with ``quality.sample_seed`` and the day, so the same
seed and day always give the same calls, and nobody who took a call is left out — plus every
call of the day with forbidden phrasing (S1–S9) or a complaint.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Call
from reports.periods import to_utc
from reports.quality.models import QaReview
from reports.quality.review import conversations, ensure_review, unreviewed

RANDOM, FORBIDDEN, COMPLAINT = "random", "forbidden", "complaint"


@dataclass(frozen=True)
class Pick:
    call_id: int
    agent_id: int
    reasons: tuple[str, ...]


def draw(calls: Iterable[tuple[int, int]], seed: str, day: date, per_agent: int) -> dict[int, list[int]]:
    """``(call_id, agent_id)`` pairs → each agent's random calls. One generator per agent, seeded
    with the seed, the day and the agent, so one agent's sample does not depend on the others'."""
    by_agent: dict[int, list[int]] = {}
    for call_id, agent_id in calls:
        by_agent.setdefault(agent_id, []).append(call_id)
    out: dict[int, list[int]] = {}
    for agent_id, ids in sorted(by_agent.items()):
        rng = random.Random(f"{seed}:{day.isoformat()}:{agent_id}")
        out[agent_id] = sorted(rng.sample(sorted(ids), min(per_agent, len(ids))))
    return out


def sample(calls: Iterable[tuple[int, int]], must: dict[int, tuple[str, ...]], seed: str, day: date,
           per_agent: int) -> list[Pick]:
    """The day's spot-checks: the random draw plus every call in ``must`` (call → reasons)."""
    pairs = list(calls)
    agent_of = dict(pairs)
    reasons: dict[int, list[str]] = {}
    for ids in draw(pairs, seed, day, per_agent).values():
        for call_id in ids:
            reasons.setdefault(call_id, []).append(RANDOM)
    for call_id, why in must.items():
        if call_id in agent_of:
            reasons.setdefault(call_id, []).extend(why)
    return [Pick(c, agent_of[c], tuple(r)) for c, r in sorted(reasons.items(), key=lambda kv: (agent_of[kv[0]], kv[0]))]


def day_bounds(settings: Settings, day: date) -> tuple[datetime, datetime]:
    zone = settings.hours.zone
    return to_utc(datetime.combine(day, time()), zone), to_utc(datetime.combine(day + timedelta(days=1), time()), zone)


def day_calls(s: Session, settings: Settings, day: date) -> list[tuple[int, int]]:
    """Answered, ended calls that started on local ``day``: ``(call_id, agent_id)``."""
    start, end = day_bounds(settings, day)
    query = conversations().where(Call.ended_at.is_not(None), Call.started_at >= start, Call.started_at < end)
    return [(cid, aid) for cid, aid in s.execute(query.with_only_columns(Call.id, Call.agent_id).order_by(Call.id))]


def must_check(s: Session, call_ids: list[int]) -> dict[int, tuple[str, ...]]:
    rows = s.execute(select(QaReview.call_id, QaReview.flagged, QaReview.complaint)
                     .where(QaReview.call_id.in_(call_ids))).all() if call_ids else []
    out: dict[int, tuple[str, ...]] = {}
    for call_id, flagged, complaint in rows:
        why = (FORBIDDEN,) * bool(flagged) + (COMPLAINT,) * bool(complaint)
        if why:
            out[call_id] = why
    return out


def spot_checks(app: Flask, s: Session, settings: Settings, day: date, now: datetime) -> list[Pick]:
    """The sample of ``day``. Calls that ended ``quality.score_after_s`` ago and are not scored yet
    are scored first; a call still in its wrap-up is in the sample, scored later."""
    calls = day_calls(s, settings, day)
    ids = [c for c, _ in calls]
    cutoff = now - timedelta(seconds=settings.quality.score_after_s)
    due = s.scalars(unreviewed(cutoff).where(Call.id.in_(ids)).with_only_columns(Call.id)).all() if ids else []
    for call_id in due:
        ensure_review(app, settings, call_id)
    s.expire_all()
    q = settings.quality
    return sample(calls, must_check(s, ids), q.sample_seed, day, q.spot_checks_per_agent)
