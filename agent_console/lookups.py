"""Reading what the other parts record: which call an agent is on (the caller's path's
``Offer`` rows, the console's transfer legs), menu labels and library prompts.

The caller's path links an agent's leg to a caller with ``ivr.models.Offer``
(``agent_call_sid`` ↔ ``caller_call_sid``); a manager transfer's lead leg is a ``Call`` with
``purpose="transfer"`` whose ``parent_call_sid`` is the caller's call.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import utcnow
from core.models import Call, QueueEntry, User
from ivr import prompts
from ivr.models import ACTIVE_OFFER_STATUSES, Offer, OfferStatus
from scripts_library.service import get_prompt

log = logging.getLogger(__name__)
FINAL = {"completed", "busy", "failed", "no-answer", "canceled"}
RINGING = {"queued", "initiated", "ringing"}
AFTER_CALL_CARD_S = 600  # the ended call stays on the desk this long, so a case can still be linked


def call_by_sid(s: Session, sid: str | None) -> Call | None:
    if not sid:
        return None
    return s.scalar(select(Call).where(Call.call_sid == sid))


def _offer_call(s: Session, offer: Any) -> Call | None:
    if offer.queue_entry is not None:
        return offer.queue_entry.call
    return call_by_sid(s, offer.caller_call_sid)


def current_conversation(s: Session, user: User) -> tuple[Call | None, Call | None, bool]:
    """(the user's leg, the caller's call, ringing?) — live first, else the call just ended."""
    offer = s.scalar(select(Offer).where(Offer.agent_id == user.id, Offer.status.in_(ACTIVE_OFFER_STATUSES))
                     .order_by(Offer.id.desc()).limit(1))
    if offer is not None:
        ringing = offer.status in (OfferStatus.RINGING, OfferStatus.DIALING_CUSTOMER)
        return call_by_sid(s, offer.agent_call_sid), _offer_call(s, offer), ringing
    transfer = s.scalar(select(Call).where(Call.agent_id == user.id, Call.purpose == "transfer",
                                           Call.ended_at.is_(None), Call.status.not_in(FINAL))
                        .order_by(Call.id.desc()).limit(1))
    if transfer is not None:
        return transfer, call_by_sid(s, transfer.parent_call_sid), transfer.status in RINGING
    direct = s.scalar(select(Call).where(Call.agent_id == user.id, Call.purpose.in_(("caller", "callback")),
                                         Call.ended_at.is_(None), Call.status.not_in(FINAL))
                      .order_by(Call.id.desc()).limit(1))
    if direct is not None:  # connected some other way (e.g. a call-back placed by hand)
        return None, direct, False
    return _last_conversation(s, user)


def _last_conversation(s: Session, user: User) -> tuple[Call | None, Call | None, bool]:
    since = utcnow() - timedelta(seconds=AFTER_CALL_CARD_S)
    found: list[tuple[datetime, Call | None, Call | None]] = []
    offer = s.scalar(select(Offer).where(Offer.agent_id == user.id, Offer.status == OfferStatus.DONE,
                                         Offer.ended_at >= since)
                     .order_by(Offer.ended_at.desc()).limit(1))
    if offer is not None and offer.ended_at is not None:
        found.append((offer.ended_at, call_by_sid(s, offer.agent_call_sid), _offer_call(s, offer)))
    transfer = s.scalar(select(Call).where(Call.agent_id == user.id, Call.purpose == "transfer",
                                           Call.answered_at.is_not(None), Call.ended_at >= since)
                        .order_by(Call.ended_at.desc()).limit(1))
    if transfer is not None and transfer.ended_at is not None:
        found.append((transfer.ended_at, transfer, call_by_sid(s, transfer.parent_call_sid)))
    if not found:
        return None, None, False
    _at, leg, call = max(found, key=lambda item: item[0])
    return leg, call, False


def agents_of_call(s: Session, call_sid: str) -> list[int]:
    ids: set[int] = set()
    call = call_by_sid(s, call_sid)
    if call is not None and call.agent_id:
        ids.add(call.agent_id)
    ids.update(s.scalars(select(Offer.agent_id).where(
        (Offer.agent_call_sid == call_sid) | (Offer.caller_call_sid == call_sid))))
    ids.update(a for a in s.scalars(select(Call.agent_id).where(Call.parent_call_sid == call_sid,
                                                                Call.purpose == "transfer")) if a)
    return sorted(ids)


def conversation_call(s: Session, leg: Call) -> Call | None:
    """The caller's call a leg belongs to (itself when it is the caller's call)."""
    if leg.purpose in ("caller", "callback"):
        return leg
    if leg.purpose == "transfer":
        return call_by_sid(s, leg.parent_call_sid)
    offer = s.scalar(select(Offer).where(Offer.agent_call_sid == leg.call_sid)
                     .order_by(Offer.id.desc()).limit(1))
    if offer is not None:
        return _offer_call(s, offer)
    return call_by_sid(s, leg.parent_call_sid)


def answered_at(s: Session, call: Call, leg: Call | None) -> datetime | None:
    """When the agent and the caller were connected (the call timer's start, H7)."""
    if leg is not None and leg.purpose == "transfer":
        return leg.answered_at
    if call.answered_at:
        return call.answered_at
    if leg is not None:
        offer = s.scalar(select(Offer).where(Offer.agent_call_sid == leg.call_sid).limit(1))
        if offer is not None:
            return offer.bridged_at
    return None


def waited_s(s: Session, call: Call) -> float | None:
    entry = s.scalar(select(QueueEntry).where(QueueEntry.call_id == call.id).order_by(QueueEntry.id).limit(1))
    if entry is None:
        return None
    return max(0.0, ((entry.ended_at or utcnow()) - entry.joined_at).total_seconds())


def option_label(settings: Settings, option: str | None, locale: str) -> str | None:
    if not option:
        return None
    return prompts.option_label(settings, option, locale) or option


def prompt(prompt_id: str, locale: str, context: dict[str, Any] | None = None) -> str | None:
    """A library prompt (e.g. H2's ``apology_opener``), or None when the library lacks it."""
    try:
        return get_prompt(prompt_id, locale, context=context)
    except Exception:  # noqa: BLE001 - a library problem must not break the page
        log.warning("library prompt %s (%s) unavailable", prompt_id, locale)
        return None
