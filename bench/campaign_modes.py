"""Predictive against progressive dialing on the simulator's virtual clock (part of
``bench/campaign_bench.py``; ``python bench/campaign_bench.py --modes`` runs only this part).

Each mode gets a fresh database, ``--agents`` agents who answer their leg after 1 s, and the same
contact list: a share ``--answer-rate`` answers after 3–15 s and talks 30–90 s (the handle time),
the rest does not answer (ring time 20 s). Both start mid-day: 200 agent calls earlier today drawn
the same way and none abandoned (the measured rates the predictive dialer needs). Reported per mode: calls placed, answered, abandoned
(answered with no agent free) as a share of answered calls against the 3 % cap, and agent idle
time (agent-seconds *available* over staffed agent-seconds, sampled every virtual second).
Progressive is the baseline.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench._harness import stop_app
from core.db import session_scope, utcnow
from core.models import Presence, User
from core.presence import announce, set_presence
from core.telephony.simulator import Behaviour
from core.users import create_user
from scheduler import campaigns as svc
from scheduler import contacts as contacts_svc
from scheduler import engine
from scheduler.models import Attempt, Contact


def _agents(app: Any, count: int) -> list[int]:
    sim = app.extensions["simulator"]
    ids = []
    with session_scope(app) as s:
        for n in range(count):
            user, _token, _password = create_user(s, f"agent{n}", "agent", "password123", endpoint=f"client:agent{n}",
                                                  agent_code=f"{2000 + n}")
            sim.set_behaviour(f"client:agent{n}", Behaviour(answer="human", answer_after_s=1))
            s.flush()
            set_presence(s, user, Presence.AVAILABLE)
            ids.append(user.id)
    for user_id in ids:
        announce(app, user_id, Presence.AVAILABLE)
    return ids


def _contacts(app: Any, count: int, answer_rate: float, seed: int) -> list[str]:
    rng = random.Random(seed)
    sim = app.extensions["simulator"]
    numbers = [f"+86137{n:08d}" for n in range(20_000_000, 20_000_000 + count)]
    for number in numbers:
        if rng.random() < answer_rate:
            sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=rng.uniform(3, 15),
                                                talk_s=rng.uniform(30, 90)))
        else:
            sim.set_behaviour(number, Behaviour(answer="no-answer"))
    return numbers


def _earlier_today(app: Any, calls: int, answer_rate: float, seed: int) -> None:
    """The day so far: ``calls`` finished agent calls in the last hours, drawn like the run's
    (answered at the answer rate after 3-15 s, talking 30-90 s; the rest rang 20 s), none
    abandoned, so both modes start mid-day with measured rates."""
    rng = random.Random(seed)
    settings = app.config["HOTLINE"]
    now = utcnow()
    with session_scope(app) as s:
        earlier = svc.create_campaign(s, settings, {"name": "earlier today", "dial_mode": "progressive"})
        earlier.status = "completed"
        for n in range(calls):
            contact = Contact(campaign_id=earlier.id, phone=f"+86136{n:08d}", status="completed", round=1)
            s.add(contact)
            s.flush()
            created = now - timedelta(seconds=120 * (calls - n))
            answered = rng.random() < answer_rate
            rang = timedelta(seconds=rng.uniform(3, 15) if answered else 20)
            talked = timedelta(seconds=rng.uniform(30, 90) if answered else 0)
            s.add(Attempt(campaign_id=earlier.id, contact_id=contact.id, number=contact.phone, seq=1, round=1,
                          idempotency_key=f"earlier:{n}", status="completed" if answered else "no-answer",
                          created_at=created, answered_at=created + rang if answered else None,
                          ended_at=created + rang + talked, result="connected" if answered else None))


def run_mode(make_app: Any, tmp: Path, mode: str, agents: int, contacts: int, minutes: float,
             answer_rate: float, history: int = 200, campaigns: dict[str, Any] | None = None) -> dict[str, float]:
    app = make_app(tmp, f"modes-{mode}", "manual", 5.0, campaigns)
    sim = app.extensions["simulator"]
    try:
        _agents(app, agents)
        _earlier_today(app, history, answer_rate, seed=11)
        numbers = _contacts(app, contacts, answer_rate, seed=7)
        settings = app.config["HOTLINE"]
        with session_scope(app) as s:
            campaign = svc.create_campaign(s, settings, {
                "name": mode, "purpose": "general_callback", "dial_mode": mode, "calls_per_second": 5,
                "max_concurrent": agents * 4, "max_attempts": 1, "machine_detection": False, "ring_timeout_s": 20,
                "agent_code": "1024", "agent_surname": "王",
                "context": {"date": "5月1日", "issue": "水管漏水", "result": "已修好"}})
            contacts_svc.import_csv(s, settings, campaign, "phone\n" + "\n".join(numbers) + "\n")
            svc.start_campaign(s, campaign, settings=settings)
            campaign_id = campaign.id
        idle = staffed = 0
        for _second in range(int(minutes * 60)):
            for _half in range(2):
                sim.advance(0.5)
                engine.tick(app, followups=False, dispatch=True)
            with session_scope(app) as s:
                idle += s.scalar(select(func.count()).select_from(User).where(
                    User.presence == Presence.AVAILABLE)) or 0
            staffed += agents
        with session_scope(app) as s:
            ours = Attempt.campaign_id == campaign_id
            placed = s.scalar(select(func.count()).select_from(Attempt).where(ours)) or 0
            answered = s.scalar(select(func.count()).select_from(Attempt).where(
                ours, Attempt.answered_at.is_not(None))) or 0
            abandoned = s.scalar(select(func.count()).select_from(Attempt).where(
                ours, Attempt.result == "abandoned")) or 0
            connected = s.scalar(select(func.count()).select_from(Attempt).where(
                ours, Attempt.result == "connected")) or 0
            day_answered = s.scalar(select(func.count()).select_from(Attempt).where(
                Attempt.answered_at.is_not(None))) or 0
        return {"placed": placed, "answered": answered, "abandoned": abandoned, "connected": connected,
                "abandon_pct": 100.0 * abandoned / answered if answered else 0.0,
                "day_abandon_pct": 100.0 * abandoned / day_answered if day_answered else 0.0,
                "idle_pct": 100.0 * idle / staffed if staffed else 0.0,
                "per_agent_hour": connected / agents / (minutes / 60)}
    finally:
        stop_app(app)


def report(results: dict[str, dict[str, float]], agents: int, minutes: float, answer_rate: float,
           history: int = 200, risk_factor: float = 0.5) -> list[str]:
    lines = [f"  dialing modes, virtual clock: {agents} agents, {minutes:g} min, answer rate {answer_rate:.0%},"
             f" handle 30-90 s, abandon cap 3 % ({history} calls earlier today), risk factor {risk_factor:g}"]
    for mode, label in (("predictive", "ours"), ("progressive", "baseline")):
        r = results[mode]
        lines.append(f"    {label:<9} {mode:<12} placed {r['placed']:.0f}, answered {r['answered']:.0f}, connected"
                     f" {r['connected']:.0f} ({r['per_agent_hour']:.1f}/agent-hour), abandoned {r['abandoned']:.0f}"
                     f" = {r['abandon_pct']:.1f} % of answered (day {r['day_abandon_pct']:.1f} %, cap 3),"
                     f" agent idle {r['idle_pct']:.1f} %")
    return lines
