"""H4: service hours. Outside them callers leave a message for the next shift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.config import Settings


def local_time(settings: Settings, now_utc: datetime) -> datetime:
    """A naive UTC time as an aware time in the configured zone."""
    return now_utc.replace(tzinfo=UTC).astimezone(settings.hours.zone)


def _open_on(settings: Settings, moment: datetime) -> bool:
    hours = settings.hours
    if moment.date() in hours.closed_dates or moment.weekday() not in hours.open_weekdays:
        return False
    start, end = hours.window
    now = moment.time().replace(tzinfo=None)
    return start <= now and (end is None or now < end)


def is_open(settings: Settings, now_utc: datetime) -> bool:
    """H4: is the phone service open at ``now_utc`` (closed dates and weekdays included)?"""
    return _open_on(settings, local_time(settings, now_utc))


def next_opening(settings: Settings, now_utc: datetime) -> datetime | None:
    """The next local time the service opens (within two weeks), for the message case."""
    local = local_time(settings, now_utc)
    start, _end = settings.hours.window
    for days in range(0, 15):
        day = (local + timedelta(days=days)).date()
        candidate = datetime.combine(day, start, tzinfo=local.tzinfo)
        if candidate > local and _open_on(settings, candidate):
            return candidate
    return None
