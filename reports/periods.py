"""Date ranges and shifts in the configured time zone (``hours.timezone``); the database is UTC.

Reports take inclusive *local* dates (``from``/``to``); queries use the half-open UTC interval
``[start of from, start of the day after to)``. Shifts (``shifts``, H24) may pass midnight:
a shift instance is identified by its name and the local date it starts on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.config import Settings, ShiftSettings

MAX_RANGE_DAYS = 366
MIN_YEAR, MAX_YEAR = 1970, 9998  # beyond these the UTC arithmetic would overflow
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    """A bad date, month or range; the message names the parameter."""


def parse_date(value: str | None, name: str) -> date | None:
    """``YYYY-MM-DD`` → date; None/empty → None; anything else → PeriodError naming ``name``."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not _DATE.match(value):
        raise PeriodError(f"{name}: expected a date YYYY-MM-DD, got {value[:40]!r}")
    try:
        parsed = date.fromisoformat(value)
    except ValueError as exc:
        raise PeriodError(f"{name}: not a calendar date: {value!r}") from exc
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise PeriodError(f"{name}: the year must be from {MIN_YEAR} to {MAX_YEAR}")
    return parsed


def parse_month(value: str | None) -> date:
    """``YYYY-MM`` → the first day of that month."""
    match = _MONTH.match((value or "").strip())
    if not match:
        raise PeriodError(f"month: expected YYYY-MM, got {(value or '')[:40]!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"month: not a month: {value!r}")
    return date(year, month, 1)


def month_last_day(first: date) -> date:
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall time in ``zone`` → naive UTC."""
    return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def to_local(utc_naive: datetime, zone: ZoneInfo) -> datetime:
    return utc_naive.replace(tzinfo=UTC).astimezone(zone)


def local_today(settings: Settings, now_utc: datetime) -> date:
    return to_local(now_utc, settings.hours.zone).date()


@dataclass(frozen=True)
class Period:
    """Inclusive local dates and their half-open UTC bounds."""

    first: date
    last: date
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def label(self) -> str:
        return self.first.isoformat() if self.first == self.last else f"{self.first}–{self.last}"


def period(settings: Settings, first: date, last: date) -> Period:
    if first > last:
        raise PeriodError(f"from ({first}) is after to ({last})")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise PeriodError(f"the range is {(last - first).days + 1} days; at most {MAX_RANGE_DAYS}")
    zone = settings.hours.zone
    start = to_utc(datetime.combine(first, time(0, 0)), zone)
    end = to_utc(datetime.combine(last + timedelta(days=1), time(0, 0)), zone)
    return Period(first, last, start, end)


def period_from_args(settings: Settings, raw_from: str | None, raw_to: str | None, now_utc: datetime) -> Period:
    """The ``from``/``to`` query parameters (inclusive local dates, default today)."""
    today = local_today(settings, now_utc)
    first = parse_date(raw_from, "from")
    last = parse_date(raw_to, "to")
    if first is None and last is None:
        first = last = today
    elif first is None:
        first = last
    elif last is None:
        last = first if first > today else today
    assert first is not None and last is not None
    return period(settings, first, last)


# -- shifts (H24) --------------------------------------------------------------------------------

def _hm(value: str) -> time:
    hours, _, minutes = value.partition(":")
    return time(int(hours) % 24, int(minutes or 0))


@dataclass(frozen=True)
class ShiftInstance:
    name: str
    day: date  # local date the shift starts on
    start: datetime  # UTC
    end: datetime  # UTC

    @property
    def key(self) -> str:
        return f"{self.day.isoformat()}:{self.name}"


def shift_instance(settings: Settings, shift: ShiftSettings, day: date) -> ShiftInstance:
    """The shift ``shift`` starting on local ``day``; an end at or before the start is the next day
    (H24: 16:00–1:00)."""
    zone = settings.hours.zone
    begin, finish = _hm(shift.start), _hm(shift.end)
    local_start = datetime.combine(day, begin)
    local_end = datetime.combine(day if finish > begin else day + timedelta(days=1), finish)
    return ShiftInstance(shift.name, day, to_utc(local_start, zone), to_utc(local_end, zone))


def shift_instances(settings: Settings, around: datetime, days: int = 1) -> list[ShiftInstance]:
    """Every configured shift starting from ``days`` local days before to ``days`` after ``around``
    (UTC), ordered by start."""
    today = local_today(settings, around)
    out = [shift_instance(settings, shift, today + timedelta(days=d))
           for d in range(-days, days + 1) for shift in settings.shifts]
    return sorted(out, key=lambda i: (i.start, i.name))


def find_shift(settings: Settings, key: str) -> ShiftInstance | None:
    """``YYYY-MM-DD:name`` → the shift instance, None when unknown."""
    raw_day, _, name = (key or "").partition(":")
    try:
        day = parse_date(raw_day, "shift")
    except PeriodError:
        return None
    shift = next((s for s in settings.shifts if s.name == name), None)
    if day is None or shift is None:
        return None
    return shift_instance(settings, shift, day)


def handover_shift(settings: Settings, now: datetime) -> ShiftInstance | None:
    """The shift whose handover is due: the one that started before ``now`` and ends soonest after
    it (the shift now ending), else the one that ended most recently."""
    started = [i for i in shift_instances(settings, now) if i.start <= now]
    running = [i for i in started if i.end > now]
    if running:
        return min(running, key=lambda i: i.end)
    return max(started, key=lambda i: i.end) if started else None


def next_shift(settings: Settings, instance: ShiftInstance) -> ShiftInstance | None:
    """The shift that takes over from ``instance``: the first other one starting after it starts."""
    later = [i for i in shift_instances(settings, instance.start, days=2)
             if i.start > instance.start and i.key != instance.key]
    return min(later, key=lambda i: i.start) if later else None
