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

Which agent suits and is preferred is ``ivr.agent_choice``; what becomes of an offer (missed,
cancelled, bridged and finished) is ``ivr.offers``. The names of those the caller's path and
other parts use as ``routing.<name>`` are re-exported here (``import name as name``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import in_app_context, session_scope, utcnow
from core.events import CallOffered, publish
from core.models import Call, CallbackRequest, CallbackStatus, Presence, QueueEntry, QueueStatus, User
from core.presence import announce, set_presence
from core.telephony.gateway import GatewayError, get_gateway
from core.twiml import absolute_url
from ivr import queue
from ivr.agent_choice import MANAGER_SKILL as MANAGER_SKILL
from ivr.agent_choice import STRATEGIES, anyone_free, available_agents, end_wrap_ups, preferred, suitable
from ivr.agent_choice import add_preference as add_preference
from ivr.calls import add_event
from ivr.models import Offer, OfferStatus
from ivr.offers import active_offer_for_entry as active_offer_for_entry
from ivr.offers import agent_missed, close_offer, release_agent, stale_offers
from ivr.offers import back_in_line as back_in_line
from ivr.offers import caller_gone as caller_gone
from ivr.offers import finish_bridge as finish_bridge
from ivr.offers import offer_for_agent_leg as offer_for_agent_leg

# -- dispatch ----------------------------------------------------------------------------------

@dataclass
class _Guard:
    lock: threading.Lock = field(default_factory=threading.Lock)
    again: bool = False


def _guard(app: Flask) -> _Guard:
    return app.extensions.setdefault("ivr_dispatch", _Guard())


@in_app_context
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


@in_app_context
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


@in_app_context
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
