"""Server-side console sessions: each sign-in gets a random key, stored (hashed) in
``console_sessions`` and named by the signed session cookie; every request checks the row is
still there. Sign-out deletes it, so a cookie copied before sign-out is refused after it;
"sign out everywhere" deletes all of a user's rows (admins may do it for anyone).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.web.models import ConsoleSession


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(s: Session, user_id: int, lifetime: timedelta) -> str:
    """A new session for ``user_id`` (the key goes in the cookie); prunes expired ones."""
    s.execute(delete(ConsoleSession).where(ConsoleSession.created_at < utcnow() - lifetime))
    key = secrets.token_urlsafe(32)
    s.add(ConsoleSession(id=_hash(key), user_id=user_id, created_at=utcnow()))
    return key


def alive(s: Session, user_id: int, key: str) -> bool:
    return bool(key) and s.scalar(select(ConsoleSession.user_id).where(ConsoleSession.id == _hash(key))) == user_id


def end(s: Session, key: str) -> None:
    s.execute(delete(ConsoleSession).where(ConsoleSession.id == _hash(key)))


def end_all(s: Session, user_id: int) -> int:
    """Sign ``user_id`` out of every browser; how many sessions ended."""
    result = s.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)
