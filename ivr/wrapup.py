"""The agent's wrap-up of a call: a disposition code from ``wrapup.dispositions`` (one list for
inbound calls, call-backs and campaign calls; each code says which it is offered for), an
optional note, who gave it and when — stored on the call (``Call.disposition*``), noted on its
timeline and audited.

Only the agent who took the call (or a lead/admin) may give it, once the call is over (while
it is live the outcome is not known yet: 409). Giving it again replaces it. With
``wrapup.require_disposition`` an agent whose last call has none stays in wrap-up: the
"available" button is refused and the end of ``routing.wrap_up_s`` does not free them
(``awaiting_disposition``). Higher layers hear of each disposition (``on_disposition``): the
scheduler copies a campaign call's onto its attempt (``do_not_call`` → the DNC list).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.api import ApiError
from core.config import Disposition, Settings
from core.db import utcnow
from core.models import Call, QueueEntry, Role, User
from core.web.auth import audit
from ivr.calls import FINAL_STATUSES, add_event, find_call
from ivr.models import Offer

MAX_NOTE = 200
#: ``listener(s, settings, call, user)`` runs in the transaction that stores a disposition
DispositionListener = Callable[[Session, Settings, Call, User], None]


class DispositionRefused(ApiError):
    """A wrap-up code the call or the user does not allow (``message`` names the field, ``status``)."""

    @property
    def field(self) -> str:
        return self.message.split(":", 1)[0]


def kind_of(call: Call) -> str:
    """Which codes a call is offered: ``campaigns`` for a campaign call, else ``calls``."""
    return "campaigns" if call.purpose == "campaign" else "calls"


def offered(settings: Settings, call: Call) -> list[Disposition]:
    return settings.wrapup.codes_for("campaigns" if kind_of(call) == "campaigns" else "calls")


def label(settings: Settings, code: str | None, locale: str) -> str | None:
    """The code's label in ``locale`` (the code itself when no longer configured)."""
    if code is None:
        return None
    found = next((d for d in settings.wrapup.dispositions if d.code == code), None)
    return found.label(locale) if found else code


def handled_by(s: Session, call: Call, user: User) -> bool:
    """Did ``user`` take this call (its agent, or an agent it was bridged to before a transfer)?"""
    if call.agent_id == user.id:
        return True
    return s.scalar(select(Offer.id).join(QueueEntry, Offer.queue_entry_id == QueueEntry.id).where(
        QueueEntry.call_id == call.id, Offer.agent_id == user.id, Offer.bridged_at.is_not(None)).limit(1)) is not None


def finished(call: Call) -> bool:
    return call.status in FINAL_STATUSES or call.ended_at is not None


def set_disposition(s: Session, settings: Settings, user: User, call_sid: str, code: Any, note: Any = None,
                    app: Flask | None = None) -> Call:
    """Check and store the disposition (not committed). Refusals: 404 no call, 403 not the
    user's call, 409 the call is still live or never reached an agent, 422 a bad code or note."""
    call = find_call(s, call_sid)
    if call is None:
        raise DispositionRefused(f"call_sid: no call {call_sid!r}", 404)
    if user.role not in (Role.LEAD, Role.ADMIN) and not handled_by(s, call, user):
        raise DispositionRefused("call_sid: not your call", 403)
    if call.agent_id is None:
        raise DispositionRefused("call_sid: the call never reached an agent", 409)
    if not finished(call):
        raise DispositionRefused("call_sid: the call is not finished yet", 409)
    codes = [d.code for d in offered(settings, call)]
    if not isinstance(code, str) or code not in codes:
        raise DispositionRefused(f"code: must be one of {', '.join(codes)}", 422)
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE or "\x00" in note):
        raise DispositionRefused(f"note: text of at most {MAX_NOTE} characters", 422)
    call.disposition = code
    call.disposition_note = (note.strip() or None) if isinstance(note, str) else None
    call.disposition_by_id = user.id
    call.disposition_at = utcnow()
    audit(s, user.id, "call_disposition", target=call.call_sid, code=code)
    add_event(s, call, "disposition", code=code, by=user.name)
    if app is not None:
        for listener in list(app.extensions.get("disposition_listeners", ())):
            listener(s, settings, call, user)
    return call


def on_disposition(app: Flask, listener: DispositionListener) -> None:
    """Call ``listener`` in the transaction of each disposition given (registered by higher layers)."""
    listeners: list[DispositionListener] = app.extensions.setdefault("disposition_listeners", [])
    if listener not in listeners:
        listeners.append(listener)


def disposition_json(settings: Settings, call: Call) -> dict[str, Any] | None:
    if call.disposition is None:
        return None
    by = call.disposition_by
    return {"code": call.disposition, "label": {lang: label(settings, call.disposition, lang)
                                                for lang in ("zh-CN", "en")},
            "note": call.disposition_note, "by": by.name if by else None,
            "at": call.disposition_at.isoformat() + "Z" if call.disposition_at else None}


def awaiting_disposition(s: Session, settings: Settings, user: User) -> Call | None:
    """With ``wrapup.require_disposition``: the agent's last call, over and without a
    disposition (it keeps the agent in wrap-up); else None."""
    if not settings.wrapup.require_disposition:
        return None
    last = s.scalar(select(Call).where(Call.agent_id == user.id, Call.answered_at.is_not(None))
                    .order_by(Call.answered_at.desc(), Call.id.desc()).limit(1))
    if last is None or last.disposition is not None or not finished(last):
        return None
    return last
