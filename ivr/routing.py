"""Routing: pair the next waiting caller (or due call-back) with the right free agent.

Agent leg first, then hand-off through a per-offer queue. ``dispatch(app)`` takes
everything waiting in service order (priority desc, original join time asc) and, for each,
the suitable available agent the strategy prefers (skills by menu option, district H6,
locale); it records an ``Offer``, reserves the agent (presence ``busy``) and places the
agent's leg (or, for a call-back, the customer's call first). When the agent answers,
``/ivr/agent/answer`` dequeues that very caller into the offer's queue, which the agent's
``<Dial><Queue>`` takes. An agent who does not answer is set ``away`` and the next is tried;
after each call the agent is in ``wrap_up`` for ``routing.wrap_up_s``.

Dispatch runs after the response of the webhooks that change the line (enqueue, a waitUrl
fetch while an agent is free or due back from wrap-up, calls ending), on presence changes
(``core.presence.announce``) and from ``dispatch_due(app)`` (the scheduler's periodic
job); placing the legs it decided (Twilio REST) never holds a caller's webhook.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session, object_session

from core.config import Settings
from core.db import session_scope, utcnow
from core.events import CallOffered, CallQueued, publish
from core.models import Call, CallbackRequest, CallbackStatus, Presence, QueueEntry, QueueStatus, Role, User
from core.presence import announce, set_presence
from core.telephony.gateway import GatewayError, get_gateway
from core.twiml import absolute_url
from ivr import queue
from ivr.calls import add_event
from ivr.models import ACTIVE_OFFER_STATUSES, Offer, OfferStatus

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


def suitable(agent: User, item: queue.Item) -> bool:
    """Skills by menu option (empty = all; emergencies go to anyone, H5), district (H6; empty =
    all), locale. Manager call-backs (H11) go to team leads only, never to an ordinary agent."""
    if item.skill == MANAGER_SKILL:
        return bool(agent.endpoint) and agent.role in MANAGER_ROLES
    skill_ok = (not agent.skills or item.skill is None or item.skill == "emergency"
                or item.skill in agent.skills)
    district_ok = not agent.districts or not item.district or item.district in agent.districts
    locale_ok = not agent.locales or not item.locale or item.locale in agent.locales
    return bool(agent.endpoint) and skill_ok and district_ok and locale_ok


# -- presence housekeeping --------------------------------------------------------------------

def end_wrap_ups(s: Session, settings: Settings, now: datetime) -> list[int]:
    """Agents in wrap-up longer than ``routing.wrap_up_s`` become available."""
    limit = now - timedelta(seconds=settings.routing.wrap_up_s)
    ended = []
    for agent in s.scalars(select(User).where(User.presence == Presence.WRAP_UP,
                                              User.presence_since <= limit, User.active.is_(True))):
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


# -- dispatch ----------------------------------------------------------------------------------

@dataclass
class _Guard:
    lock: threading.Lock = field(default_factory=threading.Lock)
    again: bool = False


def _guard(app: Flask) -> _Guard:
    return app.extensions.setdefault("ivr_dispatch", _Guard())


def dispatch(app: Flask) -> int:
    """Offer waiting callers and due call-backs to free agents. Returns the offers made.

    Safe to call from anywhere (webhooks, signals, jobs): a call while another dispatch runs
    in this process only asks that one to look again.
    """
    guard = _guard(app)
    if not guard.lock.acquire(blocking=False):
        guard.again = True
        return 0
    made = 0
    try:
        for _round in range(20):
            guard.again = False
            made += _dispatch_once(app)
            if not guard.again:
                break
    finally:
        guard.lock.release()
    return made


def _dispatch_once(app: Flask) -> int:
    settings: Settings = app.config["HOTLINE"]
    order = STRATEGIES[settings.routing.strategy]
    with session_scope(app) as s:
        now = utcnow()
        if not anyone_free(s, settings, now):
            return 0  # the common case on a busy line: one cheap query per waitUrl, no locks
        freed = end_wrap_ups(s, settings, now)
        agents = available_agents(s, lock=True)
        offers: list[int] = []
        if agents:
            for item in queue.service_order(s, now, lock=True):
                if item.kind == "entry":
                    entry = s.get(QueueEntry, item.id)
                    if entry is None or entry.status != QueueStatus.WAITING:
                        continue  # an agent is already ringing for this caller
                candidates = preferred(app, s, order(s, [a for a in agents if suitable(a, item)]), now)
                if not candidates:
                    continue
                agent = candidates[0]
                agents.remove(agent)
                offers.append(_reserve(s, item, agent, now).id)
                if not agents:
                    break
    for user_id in freed:
        announce(app, user_id, Presence.AVAILABLE)
    for offer_id in offers:
        place(app, offer_id)
    return len(offers)


def _reserve(s: Session, item: queue.Item, agent: User, now: datetime) -> Offer:
    set_presence(s, agent, Presence.BUSY)  # reserved while the leg rings
    if item.kind == "entry":
        entry = s.get(QueueEntry, item.id)
        assert entry is not None
        entry.status = QueueStatus.OFFERED
        entry.agent_id = agent.id
        offer = Offer(kind="queue", queue_entry=entry, agent=agent, status=OfferStatus.RINGING,
                      caller_call_sid=entry.call.call_sid, created_at=now)
        add_event(s, entry.call, "offered", agent=agent.name, agent_code=agent.agent_code)
        publish(s, CallOffered(call_sid=entry.call.call_sid, agent_id=agent.id))
    else:
        request = s.get(CallbackRequest, item.id)
        assert request is not None
        request.status = CallbackStatus.DIALING
        request.agent_id = agent.id
        request.attempts = (request.attempts or 0) + 1
        request.last_attempt_at = now
        offer = Offer(kind="callback", callback=request, agent=agent,
                      status=OfferStatus.DIALING_CUSTOMER, created_at=now)
        publish(s, CallOffered(call_sid=None, agent_id=agent.id))
    s.add(offer)
    s.flush()
    return offer


def place(app: Flask, offer_id: int) -> None:
    """Place the call an offer needs: the agent's leg, or a call-back's customer call first.
    A failure releases what was reserved (a bad agent endpoint sets the agent away)."""
    settings: Settings = app.config["HOTLINE"]
    gateway = get_gateway(app)
    with session_scope(app) as s:
        offer = s.get(Offer, offer_id)
        if offer is None:
            return
        if offer.status == OfferStatus.DIALING_CUSTOMER:
            assert offer.callback is not None
            to, purpose = offer.callback.phone, "callback"
            answer = absolute_url(settings, "/ivr/callback/answer", offer=offer.id)
            status = absolute_url(settings, "/ivr/callback/status", offer=offer.id)
            timeout, amd = settings.callbacks.ring_timeout_s, "Enable"
        else:
            to, purpose = offer.agent.endpoint or "", "agent_leg"
            answer = absolute_url(settings, "/ivr/agent/answer", offer=offer.id)
            status = absolute_url(settings, "/ivr/agent/status", offer=offer.id)
            timeout, amd = settings.routing.agent_answer_timeout_s, None
        agent_id = offer.agent_id
    try:
        sid = gateway.place_call(to, answer, status_callback=status, timeout_s=timeout,
                                 machine_detection=amd)
    except GatewayError as exc:
        _placing_failed(app, offer_id, purpose, str(exc)[:40])
        return
    with session_scope(app) as s:
        offer = s.get(Offer, offer_id)
        assert offer is not None
        leg = Call(call_sid=sid, direction="outbound-api", purpose=purpose, to_number=to[:80],
                   from_number=gateway.caller_id, status="queued", agent_id=agent_id, started_at=utcnow())
        if purpose == "callback":
            assert offer.callback is not None
            offer.callback.call_sid = sid
            leg.caller_id = offer.callback.caller_id
            leg.locale = offer.callback.locale
            leg.menu_option = offer.callback.skill
            leg.priority = offer.callback.priority
            offer.caller_call_sid = sid
        else:
            offer.agent_call_sid = sid
        s.add(leg)
        s.flush()
        add_event(s, leg, "started", direction="outbound-api", purpose=purpose, offer=offer_id)


def _placing_failed(app: Flask, offer_id: int, purpose: str, why: str) -> None:
    settings: Settings = app.config["HOTLINE"]
    with session_scope(app) as s:
        offer = s.get(Offer, offer_id)
        if offer is None:
            return
        now = utcnow()
        if purpose == "callback":
            release_agent(s, offer.agent, Presence.AVAILABLE)
            assert offer.callback is not None
            queue.callback_attempt_failed(s, settings, offer.callback, now, f"failed: {why}")
            close_offer(offer, OfferStatus.FAILED, now, why)
        else:
            agent_missed(s, offer, now, why)
    _guard(app).again = True


# -- offer outcomes ----------------------------------------------------------------------------

def close_offer(offer: Offer, status: str, now: datetime, reason: str | None = None) -> None:
    offer.status = status
    offer.ended_at = offer.ended_at or now
    if reason:
        offer.reason = reason[:40]


def release_agent(s: Session, agent: User, state: str) -> None:
    if agent.presence in (Presence.BUSY, Presence.AVAILABLE):
        set_presence(s, agent, state)


def back_in_line(offer: Offer) -> None:
    """The caller waits on (keeping their place) for the next agent."""
    entry = offer.queue_entry
    if entry is not None and entry.status == QueueStatus.OFFERED:
        entry.status = QueueStatus.WAITING
        entry.agent_id = None
        s = object_session(entry)
        if s is not None:
            publish(s, CallQueued(call_sid=entry.call.call_sid))


def agent_missed(s: Session, offer: Offer, now: datetime, why: str) -> None:
    """The agent's leg was not answered (no-answer / busy / failed): the agent is set away,
    the caller goes back to waiting at the same place."""
    if offer.agent.presence == Presence.BUSY:
        set_presence(s, offer.agent, Presence.AWAY)
    close_offer(offer, OfferStatus.FAILED, now, why)
    back_in_line(offer)
    if offer.queue_entry is not None:
        add_event(s, offer.queue_entry.call, "agent_missed", agent=offer.agent.name, reason=why)


def caller_gone(s: Session, offer: Offer, now: datetime) -> None:
    """The caller hung up before the bridge: cancel the offer, the agent is free again."""
    close_offer(offer, OfferStatus.CANCELLED, now, "caller hung up")
    release_agent(s, offer.agent, Presence.AVAILABLE)


def finish_bridge(s: Session, offer: Offer, now: datetime) -> None:
    """The bridged call ended: the agent goes to wrap-up (``routing.wrap_up_s``)."""
    if offer.status == OfferStatus.DONE:
        return
    was_bridged = offer.status == OfferStatus.BRIDGED
    close_offer(offer, OfferStatus.DONE if was_bridged else OfferStatus.CANCELLED, now)
    agent = offer.agent
    if was_bridged:
        agent.calls_handled = (agent.calls_handled or 0) + 1
        if agent.presence == Presence.BUSY:
            set_presence(s, agent, Presence.WRAP_UP)
        agent.last_call_ended_at = now
        if offer.callback is not None and offer.callback.status == CallbackStatus.CONNECTED:
            offer.callback.status = CallbackStatus.DONE
    else:
        release_agent(s, agent, Presence.AVAILABLE)


def offer_for_agent_leg(s: Session, call_sid: str) -> Offer | None:
    return s.scalar(select(Offer).where(Offer.agent_call_sid == call_sid).order_by(Offer.id.desc()).limit(1))


@functools.cache
def _active_offer_query() -> Select:
    return (select(Offer).where(Offer.queue_entry_id == bindparam("entry_id"),
                                Offer.status.in_(ACTIVE_OFFER_STATUSES))
            .order_by(Offer.id.desc()).limit(1))


def active_offer_for_entry(s: Session, entry: QueueEntry) -> Offer | None:
    return s.scalar(_active_offer_query(), {"entry_id": entry.id})  # built once: a caller's hang-up asks it


def stale_offers(s: Session, settings: Settings, now: datetime) -> list[Offer]:
    """Offers ringing far past every timeout (a lost status callback): failed, so the caller
    and the agent are not stuck."""
    limit = now - timedelta(seconds=max(settings.routing.agent_answer_timeout_s,
                                        settings.callbacks.ring_timeout_s) + 120)
    return list(s.scalars(select(Offer).where(
        Offer.status.in_((OfferStatus.RINGING, OfferStatus.DIALING_CUSTOMER)), Offer.created_at < limit)))


def dispatch_due(app: Flask) -> int:
    """The periodic job (the scheduler calls it every few seconds): clear offers whose status
    callbacks never came, end wrap-ups, dial due call-backs, connect waiting callers."""
    settings: Settings = app.config["HOTLINE"]
    with session_scope(app) as s:
        now = utcnow()
        stale = stale_offers(s, settings, now)
        for offer in stale:
            if offer.status == OfferStatus.DIALING_CUSTOMER and offer.callback is not None:
                release_agent(s, offer.agent, Presence.AVAILABLE)
                queue.callback_attempt_failed(s, settings, offer.callback, now, "no status")
                close_offer(offer, OfferStatus.FAILED, now, "no status callback")
            else:
                agent_missed(s, offer, now, "no status callback")
        if not stale and not anyone_free(s, settings, now):
            return 0  # a quiet line costs one transaction per tick
    return dispatch(app)


def on_presence_changed(app: Flask, _user_id: int, _state: str) -> None:
    """``core.presence.announce`` listener: an agent may have become free."""
    if "gateway" in app.extensions and "ivr_routing" in app.extensions:
        dispatch(app)
