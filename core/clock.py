"""The app's notion of now.

In production this is the wall clock. When the simulator runs on a manual or auto-advancing
clock (tests, ``flask simulate call``), the app follows the simulator's virtual time, so a
two-minute wait, a wrap-up timer or a next-day follow-up happen in milliseconds and every
timestamp the app writes agrees with what the simulated caller lived through.

Each app keeps its own clock (``app.extensions["clock"]``): two apps in one process, each
driven by its own simulator, each live at their own virtual time. ``utcnow()`` reads the
current app's clock (a request, a job in ``app.app_context()`` or ``db.session_scope(app)``);
outside any app it is the wall clock. The functions that change a clock take the app, or use
the current one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo

from flask import Flask, current_app, has_app_context

EXTENSION = "clock"


class AppClock:
    """One app's now: the wall clock unless something (the simulator) gives it a source."""

    def __init__(self) -> None:
        self.source: Callable[[], datetime] | None = None

    def now(self) -> datetime:
        source = self.source
        return source() if source is not None else wall_utcnow()


def wall_utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def clock_of(app: Flask | None = None) -> AppClock | None:
    """``app``'s clock (created on first use), the current app's without one, None outside any app."""
    if app is None:
        if not has_app_context():
            return None
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(EXTENSION)
    if found is None:
        found = app.extensions.setdefault(EXTENSION, AppClock())
    return found


def _required(app: Flask | None) -> AppClock:
    found = clock_of(app)
    if found is None:
        raise RuntimeError("the clock of which app? pass app= or work inside app.app_context()")
    return found


def utcnow(app: Flask | None = None) -> datetime:
    """Now in UTC, naive (how the database stores times), by ``app``'s or the current app's clock."""
    found = clock_of(app)
    return found.now() if found is not None else wall_utcnow()


def follow(seconds: Callable[[], float], start: datetime | None = None, app: Flask | None = None) -> None:
    """Make the app's ``utcnow()`` = ``start`` + ``seconds()`` (e.g. the simulator's virtual time)."""
    origin = start or wall_utcnow()
    _required(app).source = lambda: origin + timedelta(seconds=seconds())


def reset(app: Flask | None = None) -> None:
    """The app's clock is the wall clock again."""
    _required(app).source = None


@contextmanager
def following(seconds: Callable[[], float], start: datetime | None = None,
              app: Flask | None = None) -> Iterator[None]:
    """``follow`` for the duration of a block, then whatever was in force before."""
    with kept(app):
        follow(seconds, start, app)
        yield


@contextmanager
def kept(app: Flask | None = None) -> Iterator[None]:
    """Whatever clock the app has now is in force again after the block."""
    found = _required(app)
    previous = found.source
    try:
        yield
    finally:
        found.source = previous


def local_label(when_utc: datetime, zone: tzinfo, seconds: bool = False) -> str:
    """A stored (naive UTC) time as people in ``zone`` read it: ``2026-12-01 08:13 CST``."""
    local = when_utc.replace(tzinfo=UTC).astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def parse_instant(text: str, zone: tzinfo) -> datetime:
    """ISO 8601 text (``Z`` allowed) as naive UTC, the way times are stored; a time without an
    offset is read in ``zone``. ``ValueError`` when the text is not a date-time."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC).replace(tzinfo=None)
