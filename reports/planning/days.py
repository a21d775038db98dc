"""Local days and planning intervals: a day in ``hours.timezone`` as naive-UTC bounds, and the
interval (half hour by default, ``planning.interval_min``) a moment falls in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from core.config import Settings


def day_start(settings: Settings, day: date) -> datetime:
    """Local midnight of ``day`` as naive UTC (how the database stores times)."""
    local = datetime.combine(day, time(0), tzinfo=settings.hours.zone)
    return local.astimezone(UTC).replace(tzinfo=None)


def day_bounds(settings: Settings, day: date) -> tuple[datetime, datetime]:
    return day_start(settings, day), day_start(settings, day + timedelta(days=1))


def interval_s(settings: Settings) -> int:
    return settings.planning.interval_min * 60


def intervals_per_day(settings: Settings) -> int:
    return 24 * 60 // settings.planning.interval_min


def interval_of(settings: Settings, start: datetime, moment: datetime) -> int:
    """Index of the interval of ``moment`` in the day starting at ``start`` (both naive UTC)."""
    return int((moment - start).total_seconds() // interval_s(settings))


def label(settings: Settings, index: int) -> str:
    minutes = index * settings.planning.interval_min
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def local_day_of(settings: Settings, moment: datetime) -> date:
    return moment.replace(tzinfo=UTC).astimezone(settings.hours.zone).date()
