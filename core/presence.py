"""Agent presence. A change is published as ``core.events.PresenceChanged`` (the pages hear
of it after the commit); ``announce`` tells routing an agent may have become free."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy.orm import Session

from core.db import utcnow
from core.events import PresenceChanged, publish
from core.models import Presence, User

STATES = {p.value for p in Presence}
PresenceListener = Callable[[Flask, int, str], None]


class PresenceError(ValueError):
    """Unknown presence state."""


def set_presence(s: Session, user: User, state: str) -> bool:
    """Set ``user``'s presence (not committed). Returns True when it changed."""
    if state not in STATES:
        raise PresenceError(f"state: must be one of {', '.join(sorted(STATES - {'offline'}))} or offline")
    if user.presence == state:
        return False
    if user.presence == Presence.BUSY and state != Presence.BUSY:
        user.last_call_ended_at = utcnow()
    user.presence = state
    user.presence_since = utcnow()
    if user.id is not None:
        publish(s, PresenceChanged(user_id=user.id, presence=str(state)))
    return True


def on_presence_announced(app: Flask, listener: PresenceListener) -> None:
    """Call ``listener(app, user_id, state)`` on each ``announce`` (routing: dispatch)."""
    listeners: list[PresenceListener] = app.extensions.setdefault("presence_listeners", [])
    if listener not in listeners:
        listeners.append(listener)


def announce(app: Flask, user_id: int, state: str) -> None:
    """Tell routing (after the change is committed) that an agent's presence changed."""
    for listener in list(app.extensions.get("presence_listeners", ())):
        listener(app, user_id, state)
