"""Reading the submitted campaign fields (API body, console form, CLI options): each reader
returns the value or its default, or raises ``CampaignError`` naming the field — numbers within
their bounds, yes/no, text within its length, start time and crontab in the campaign's zone, call
window weekdays, the script's steps and the context values it reads out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from core.clock import parse_instant
from scheduler import campaign_options
from scheduler import script as scripts
from scheduler.windows import WindowError, parse_window, zone


class CampaignError(ValueError):
    """Bad campaign input or a state change that is not allowed; the message names the field."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def number(data: dict[str, Any], key: str, default: float, lo: float, hi: float, integer: bool = False) -> Any:
    value = data.get(key)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CampaignError(f"{key}: must be a number") from None
    if integer and number != int(number):
        raise CampaignError(f"{key}: must be a whole number")
    if not lo <= number <= hi:
        raise CampaignError(f"{key}: must be between {lo:g} and {hi:g}")
    return int(number) if integer else number


def yes_no(data: dict[str, Any], key: str, default: bool) -> bool:
    try:
        return campaign_options.flag(data, key, default)
    except campaign_options.OptionError as exc:
        raise CampaignError(str(exc)) from None


def text(data: dict[str, Any], key: str, limit: int, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CampaignError(f"{key}: required")
        return None
    if not isinstance(value, str | int | float):
        raise CampaignError(f"{key}: must be text")
    value = str(value).strip()
    if len(value) > limit:
        raise CampaignError(f"{key}: at most {limit} characters")
    return value


def parse_start(value: Any, tz: str) -> datetime | None:
    """ISO 8601 start time → naive UTC. Without an offset it is read in the campaign's time zone."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise CampaignError("start_at: must be an ISO 8601 date-time such as 2026-11-25T09:30")
    where = zone(tz)
    try:
        return parse_instant(value, where)
    except ValueError:
        raise CampaignError("start_at: must be an ISO 8601 date-time such as 2026-11-25T09:30") from None


def cron_trigger(expr: str, tz: str) -> CronTrigger:
    try:
        return CronTrigger.from_crontab(expr, timezone=zone(tz))
    except (ValueError, TypeError) as exc:
        raise CampaignError(f"cron: not a crontab expression (minute hour day month weekday): {exc}") from None


def next_cron_fire(expr: str, tz: str, after_utc: datetime) -> datetime | None:
    """The cron's next fire time strictly after ``after_utc`` (naive UTC), by APScheduler's CronTrigger."""
    trigger = cron_trigger(expr, tz)
    aware = after_utc.replace(tzinfo=UTC)
    fire = trigger.get_next_fire_time(None, aware)
    while fire is not None and fire <= aware:
        fire = trigger.get_next_fire_time(fire, fire.replace(microsecond=0) + _ONE_SECOND)
    return fire.astimezone(UTC).replace(tzinfo=None) if fire else None


_ONE_SECOND = timedelta(seconds=1)


def weekdays(data: dict[str, Any], tz: str, window: str | None) -> list[int] | None:
    """Check the zone and window; the weekdays as a sorted list (None: the service days)."""
    weekdays = data.get("weekdays")
    try:
        zone(tz)
        if window:
            parse_window(window)
    except WindowError as exc:
        raise CampaignError(str(exc)) from None
    if weekdays is None:
        return None
    if isinstance(weekdays, str):
        weekdays = [w for w in weekdays.replace(" ", "").split(",") if w]
    try:
        days = sorted({int(w) for w in weekdays})
    except (TypeError, ValueError):
        raise CampaignError("weekdays: a list of 0 (Monday) to 6 (Sunday)") from None
    if not days or any(w < 0 or w > 6 for w in days):
        raise CampaignError("weekdays: a list of 0 (Monday) to 6 (Sunday)")
    return days


def steps(data: dict[str, Any], purpose: str) -> list[scripts.Step]:
    raw_script = data.get("script")
    if isinstance(raw_script, str):
        raw_script = [p.strip() for p in raw_script.replace("\n", ",").split(",") if p.strip()]
    try:
        return scripts.parse_script(raw_script, purpose)
    except scripts.ScriptError as exc:
        raise CampaignError(str(exc)) from None


def context(data: dict[str, Any]) -> dict[str, Any]:
    context = data.get("context") or {}
    if not isinstance(context, dict) or len(context) > 50 or any(
            not isinstance(v, str | int | float) or len(str(v)) > 500 for v in context.values()):
        raise CampaignError("context: an object of at most 50 short text values")
    return context
