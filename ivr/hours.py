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


def local_label(moment: datetime) -> str:
    """``2026-12-02 09:30 CST``: an aware time as people in the hotline's zone read it."""
    return moment.strftime("%Y-%m-%d %H:%M %Z")


def closed_reason(settings: Settings, now_utc: datetime) -> str | None:
    """Why the service is closed at ``now_utc`` (H4), naming the setting; None when open."""
    local = local_time(settings, now_utc)
    hours = settings.hours
    if _open_on(settings, local):
        return None
    if local.date() in hours.closed_dates:
        return f"{local.date()} is in hours.closed_dates"
    if local.weekday() not in hours.open_weekdays:
        return f"{local:%A} is not in hours.open_weekdays"
    return f"{local:%H:%M} is outside hours.open {hours.open} (HOTLINE_OPEN_HOURS)"


def hours_status(settings: Settings, now_utc: datetime) -> str:
    """One line: open now, or closed now, why, and when the hotline next opens (H4)."""
    reason = closed_reason(settings, now_utc)
    local = local_time(settings, now_utc)
    if reason is None:
        _start, end = settings.hours.window
        until = f"until {end:%H:%M}" if end is not None else "all day"
        return f"The hotline is open now ({local_label(local)}, {until})."
    opening = next_opening(settings, now_utc)
    opens = f"; it opens {local_label(opening)}" if opening else "; no opening in the next two weeks"
    return f"The hotline is closed now ({local_label(local)}): {reason}{opens}."
