"""Agent presence. Changing it signals routing (``core.events.presence_changed``)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from core.db import utcnow
from core.events import presence_changed
from core.models import Presence, User

STATES = {p.value for p in Presence}


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
    return True


def announce(app: Flask, user_id: int, state: str) -> None:
    """Tell routing and the console, after the change is committed."""
    presence_changed.send(app, user_id=user_id, presence=state)
