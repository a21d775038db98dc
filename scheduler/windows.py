"""Call windows in the contact's time zone (default: the service hours, H4).

Pure functions over naive-UTC datetimes: is a moment inside the window, and when does the
window next open. ``Window`` is built from a campaign (its own window/weekdays/time zone, or
the settings' ``hours.*``) and a contact's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.config import Settings, parse_open_hours


class WindowError(ValueError):
    """A bad window or time zone; the message names the field."""


def zone(name: str | None, field: str = "timezone") -> ZoneInfo:
    try:
        return ZoneInfo(name or "")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise WindowError(f"{field}: unknown IANA time zone {name!r}") from exc


def parse_window(value: str, field: str = "window") -> tuple[time, time | None]:
    try:
        return parse_open_hours(value)
    except ValueError as exc:
        raise WindowError(f"{field}: {exc}") from exc


@dataclass(frozen=True)
class Window:
    start: time
    end: time | None  # None = end of day
    weekdays: frozenset[int]
    tz: ZoneInfo
    closed_dates: frozenset[date] = frozenset()

    @classmethod
    def of(cls, settings: Settings, window: str | None = None, weekdays: list[int] | None = None,
           tz: str | None = None) -> Window:
        start, end = parse_window(window) if window else settings.hours.window
        days = weekdays if weekdays is not None else settings.hours.open_weekdays
        return cls(start, end, frozenset(days), zone(tz or settings.hours.timezone),
                   frozenset(settings.hours.closed_dates))

    def local(self, now_utc: datetime) -> datetime:
        return now_utc.replace(tzinfo=UTC).astimezone(self.tz)

    def _open_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.closed_dates

    def contains(self, now_utc: datetime) -> bool:
        local = self.local(now_utc)
        if not self._open_day(local.date()):
            return False
        t = local.time().replace(tzinfo=None)
        return self.start <= t and (self.end is None or t < self.end)

    def next_open(self, now_utc: datetime, horizon_days: int = 15) -> datetime | None:
        """``now_utc`` when inside, else the next opening (naive UTC); None if never within the horizon."""
        if self.contains(now_utc):
            return now_utc
        local = self.local(now_utc)
        for days in range(0, horizon_days):
            day = (local + timedelta(days=days)).date()
            if not self._open_day(day):
                continue
            candidate = datetime.combine(day, self.start, tzinfo=self.tz)
            if candidate > local:
                return candidate.astimezone(UTC).replace(tzinfo=None)
        return None

    def describe(self) -> str:
        end = f"{self.end:%H:%M}" if self.end else "24:00"
        return f"{self.start:%H:%M}-{end} {self.tz.key}"


def day_start(settings: Settings, when_utc: datetime, tz: str | None = None) -> date:
    """The local date of a UTC moment (for once-a-day rules)."""
    return when_utc.replace(tzinfo=UTC).astimezone(zone(tz or settings.hours.timezone)).date()
