"""The app's notion of now.

In production this is the wall clock. When the simulator runs on a manual or auto-advancing
clock (tests, ``flask simulate call``), the app follows the simulator's virtual time, so a
two-minute wait, a wrap-up timer or a next-day follow-up happen in milliseconds and every
timestamp the app writes agrees with what the simulated caller lived through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo

_source: Callable[[], datetime] | None = None


def wall_utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def utcnow() -> datetime:
    """Now in UTC, naive (how the database stores times)."""
    return _source() if _source is not None else wall_utcnow()


def follow(seconds: Callable[[], float], start: datetime | None = None) -> None:
    """Make ``utcnow()`` = ``start`` + ``seconds()`` (e.g. the simulator's virtual time)."""
    global _source
    origin = start or wall_utcnow()
    _source = lambda: origin + timedelta(seconds=seconds())  # noqa: E731


def reset() -> None:
    global _source
    _source = None


@contextmanager
def following(seconds: Callable[[], float], start: datetime | None = None) -> Iterator[None]:
    """``follow`` for the duration of a block, then whatever was in force before."""
    with kept():
        follow(seconds, start)
        yield


@contextmanager
def kept() -> Iterator[None]:
    """Whatever clock is in force now is in force again after the block."""
    global _source
    previous = _source
    try:
        yield
    finally:
        _source = previous


def local_label(when_utc: datetime, zone: tzinfo, seconds: bool = False) -> str:
    """A stored (naive UTC) time as people in ``zone`` read it: ``2026-12-01 08:13 CST``."""
    local = when_utc.replace(tzinfo=UTC).astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")
