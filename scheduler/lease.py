"""The scheduler's leader lease: exactly one process fires jobs, with fail-over.

One ``scheduler_lease`` row (holder, expires_at). A process takes it only when it is free or
expired, and renews it every ``scheduler.lease_s / 3``; if the holder dies (SIGKILL), the lease
lapses after ``lease_s`` and a follower takes over. Taking and renewing are one conditional
``UPDATE … WHERE holder = me OR expires_at < now`` — atomic on SQLite (one writer) and on
PostgreSQL (the row lock makes a concurrent UPDATE re-check the WHERE clause) — so two processes
can never both hold it. ``fencing`` goes up at each change of holder; each dial re-checks the
lease in its own transaction (``still_held``), so a leader that stalled past its lease does not dial.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.models import Lease

LEASE_NAME = "scheduler"


def new_holder_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _ensure_row(s: Session, name: str) -> None:
    if s.get(Lease, name) is None:
        try:
            with s.begin_nested():
                s.add(Lease(name=name, holder=None, expires_at=None, fencing=0))
        except IntegrityError:
            pass


def try_acquire(s: Session, holder: str, lease_s: float, now: datetime, name: str = LEASE_NAME) -> bool:
    """Take or renew the lease (committed by the caller). True when ``holder`` holds it now."""
    _ensure_row(s, name)
    expires = now + timedelta(seconds=lease_s)
    renewed = s.execute(update(Lease).where(Lease.name == name, Lease.holder == holder)
                        .values(expires_at=expires, renewed_at=now)).rowcount
    if renewed:
        return True
    taken = s.execute(update(Lease).where(
        Lease.name == name, or_(Lease.holder.is_(None), Lease.expires_at.is_(None), Lease.expires_at < now))
        .values(holder=holder, expires_at=expires, acquired_at=now, renewed_at=now,
                fencing=Lease.fencing + 1)).rowcount
    return bool(taken)


def still_held(s: Session, holder: str, now: datetime, name: str = LEASE_NAME) -> bool:
    """Inside a dial's transaction: is the lease still ours and unexpired?"""
    row = s.execute(select(Lease.holder, Lease.expires_at).where(Lease.name == name)).first()
    return row is not None and row.holder == holder and row.expires_at is not None and row.expires_at >= now


def release(s: Session, holder: str, name: str = LEASE_NAME) -> None:
    s.execute(update(Lease).where(Lease.name == name, Lease.holder == holder)
              .values(holder=None, expires_at=None))


def current(s: Session, name: str = LEASE_NAME) -> Lease | None:
    return s.get(Lease, name)
