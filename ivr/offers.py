"""What becomes of an offer (an agent rung for a caller or a call-back): closed, the agent
released or set away, the caller back in line at the same place, wrap-up after a bridge; the
offers a status callback or the periodic job looks up."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, object_session

from core.config import Settings
from core.events import CallQueued, publish
from core.models import CallbackStatus, Presence, QueueEntry, QueueStatus, User
from core.presence import set_presence
from ivr.calls import add_event
from ivr.models import ACTIVE_OFFER_STATUSES, Offer, OfferStatus


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
