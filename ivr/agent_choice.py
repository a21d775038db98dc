"""Which agent takes the next caller: the strategy (``routing.strategy``), the preferences
other parts register (``add_preference``), who suits the item (skills, district H6, locale;
manager call-backs H11 to leads only) and who is free or due back from wrap-up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Presence, Role, User
from core.presence import set_presence
from ivr import wrapup
from ivr.models import Offer
from ivr.queue import Item

STRATEGIES: dict[str, Callable[[Session, list[User]], list[User]]] = {}


# -- strategies (Asterisk app_queue / FreeSWITCH mod_callcenter) ----------------------------

def _idle_since(agent: User) -> datetime:
    return agent.last_call_ended_at or datetime.min


def _strategy(name: str) -> Callable:
    def register(fn: Callable) -> Callable:
        STRATEGIES[name] = fn
        return fn
    return register


@_strategy("longest-idle")
def _longest_idle(_s: Session, agents: list[User]) -> list[User]:
    """The agent whose last call ended longest ago (never called first)."""
    return sorted(agents, key=lambda a: (_idle_since(a), a.presence_since, a.id))


@_strategy("round-robin")
def _round_robin(s: Session, agents: list[User]) -> list[User]:
    """The next agent after the one offered last (Asterisk rrmemory)."""
    last = s.scalar(select(Offer.agent_id).order_by(Offer.id.desc()).limit(1)) or 0
    ordered = sorted(agents, key=lambda a: a.id)
    return [a for a in ordered if a.id > last] + [a for a in ordered if a.id <= last]


@_strategy("fewest-calls")
def _fewest_calls(_s: Session, agents: list[User]) -> list[User]:
    """The agent who has handled the fewest calls (ties: longest idle)."""
    return sorted(agents, key=lambda a: (a.calls_handled or 0, _idle_since(a), a.presence_since, a.id))


MANAGER_SKILL = "manager"  # H11: a caller who asked for a manager is called back by a lead
MANAGER_ROLES = {Role.LEAD, Role.ADMIN}


Preference = Callable[[Session, list[User], datetime], list[User]]
PREFERENCES_KEY = "routing_preferences"


def add_preference(app: Flask, prefer: Preference) -> None:
    """Reorder the strategy's candidates (e.g. the roster's: agents on shift first); parts
    above the caller's path register theirs from their ``init_app``."""
    app.extensions.setdefault(PREFERENCES_KEY, []).append(prefer)


def preferred(app: Flask, s: Session, agents: list[User], now: datetime) -> list[User]:
    """``agents`` in the strategy's order, reordered by each registered preference."""
    for prefer in app.extensions.get(PREFERENCES_KEY, ()):
        agents = prefer(s, agents, now)
    return agents


def suitable(agent: User, item: Item) -> bool:
    """Skills by menu option (empty = all; emergencies go to anyone, H5), district (H6; empty =
    all), locale. Manager call-backs (H11) go to team leads only, never to an ordinary agent. A
    caller kept for one agent (a preview call) goes to that agent only."""
    if item.agent_id is not None and item.kind == "entry":
        return bool(agent.endpoint) and agent.id == item.agent_id  # kept for the agent who dialed it
    if item.skill == MANAGER_SKILL:
        return bool(agent.endpoint) and agent.role in MANAGER_ROLES
    skill_ok = (not agent.skills or item.skill is None or item.skill == "emergency"
                or item.skill in agent.skills)
    district_ok = not agent.districts or not item.district or item.district in agent.districts
    locale_ok = not agent.locales or not item.locale or item.locale in agent.locales
    return bool(agent.endpoint) and skill_ok and district_ok and locale_ok


# -- presence housekeeping --------------------------------------------------------------------

def end_wrap_ups(s: Session, settings: Settings, now: datetime) -> list[int]:
    """Agents in wrap-up longer than ``routing.wrap_up_s`` become available (not one whose last
    call still needs its disposition: ``wrapup.require_disposition``)."""
    limit = now - timedelta(seconds=settings.routing.wrap_up_s)
    ended = []
    for agent in s.scalars(select(User).where(User.presence == Presence.WRAP_UP,
                                              User.presence_since <= limit, User.active.is_(True))):
        if wrapup.awaiting_disposition(s, settings, agent) is not None:
            continue
        set_presence(s, agent, Presence.AVAILABLE)
        ended.append(agent.id)
    return ended


def anyone_free(s: Session, settings: Settings, now: datetime) -> bool:
    """Is any agent available, or due back from wrap-up? (No locks: dispatch re-checks.)"""
    wrap_up_over = now - timedelta(seconds=settings.routing.wrap_up_s)
    return s.scalar(select(User.id).where(
        User.active.is_(True), User.endpoint.is_not(None),
        or_(User.presence == Presence.AVAILABLE,
            and_(User.presence == Presence.WRAP_UP, User.presence_since <= wrap_up_over))).limit(1)) is not None


def available_agents(s: Session, *, lock: bool = False) -> list[User]:
    query = select(User).where(User.presence == Presence.AVAILABLE, User.active.is_(True),
                               User.endpoint.is_not(None))
    if lock:
        query = query.with_for_update(skip_locked=True)
    return list(s.scalars(query))
