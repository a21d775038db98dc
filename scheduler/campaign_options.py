"""A campaign's dialing mode, caller ID, holidays and list rules, validated from API / form / CLI
fields.

Dialing modes: ``fixed_rate`` (automated calls at ``calls_per_second``: notices, surveys),
``preview`` (the agent sees the contact and clicks to dial), ``progressive`` (one call per free
agent) and ``predictive`` (dials ahead from the measured answer rate, under the abandon cap).
The last three need an agent, so they make the campaign ``agent_assisted``; ``fixed_rate`` is the
automated one. Giving only ``mode`` picks ``fixed_rate`` or ``progressive``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from core.config import Settings
from core.phone import InvalidNumber, to_e164
from scheduler.models import AGENT_DIAL_MODES, DialMode, Mode
from scheduler.windows import WindowError, parse_window

DIAL_MODES = tuple(m.value for m in DialMode)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class OptionError(ValueError):
    """A bad campaign option; the message names the field."""


def dial_mode_of(data: dict[str, Any], mode: str | None) -> tuple[str, str]:
    """(mode, dial_mode) from the fields given; a contradiction names both."""
    dial_mode = str(data.get("dial_mode") or "").strip()
    if not dial_mode:
        return (mode or Mode.AUTOMATED.value,
                DialMode.PROGRESSIVE.value if mode == Mode.AGENT_ASSISTED else DialMode.FIXED_RATE.value)
    if dial_mode not in DIAL_MODES:
        raise OptionError(f"dial_mode: must be one of {', '.join(DIAL_MODES)}")
    needed = Mode.AGENT_ASSISTED.value if dial_mode in AGENT_DIAL_MODES else Mode.AUTOMATED.value
    if mode and mode != needed:
        raise OptionError(f"dial_mode: {dial_mode} calls are {needed}, not {mode}")
    return needed, dial_mode


def holidays_of(data: dict[str, Any]) -> list[str] | None:
    """ISO dates (the campaign's time zone) on which nobody is called."""
    raw = data.get("holidays")
    if raw in (None, "", []):
        return None
    if isinstance(raw, str):
        raw = [d for d in re.split(r"[\s,]+", raw) if d]
    if not isinstance(raw, list) or len(raw) > 366:
        raise OptionError("holidays: a list of dates such as 2026-10-01 (at most 366)")
    days = set()
    for item in raw:
        text = str(item).strip()
        try:
            if not _DATE.match(text):
                raise ValueError
            days.add(date.fromisoformat(text).isoformat())
        except ValueError:
            raise OptionError(f"holidays: {text[:20]!r} is not a date such as 2026-10-01") from None
    return sorted(days)


def caller_id_of(settings: Settings, data: dict[str, Any]) -> str | None:
    raw = data.get("caller_id")
    if raw in (None, ""):
        return None
    try:
        return to_e164(str(raw), settings.campaigns.default_region)
    except InvalidNumber as exc:
        raise OptionError(f"caller_id: {exc}") from None


def flag(data: dict[str, Any], key: str, default: bool) -> bool:
    """A yes/no field: a JSON boolean, or 1/true/yes/on, 0/false/no/off; missing or empty → ``default``."""
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("1", "true", "yes", "on"):
        return True
    if str(value).lower() in ("0", "false", "no", "off"):
        return False
    raise OptionError(f"{key}: true or false")


def _number(data: dict[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    value = data.get(key)
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise OptionError(f"{key}: a number from {lo:g} to {hi:g}") from None
    if not lo <= number <= hi:
        raise OptionError(f"{key}: a number from {lo:g} to {hi:g}")
    return number


def list_rules_of(data: dict[str, Any]) -> dict[str, Any]:
    """Recycling (``recycle_passes``, ``recycle_after_s``, ``recycle_window``), ``machine_retry``
    and ``optout_key``."""
    window = str(data.get("recycle_window") or "").strip() or None
    if window:
        try:
            parse_window(window)
        except WindowError as exc:
            raise OptionError(f"recycle_window: {exc}") from None
    return {"recycle_passes": int(_number(data, "recycle_passes", 0, 0, 10)),
            "recycle_after_s": _number(data, "recycle_after_s", 4 * 3600, 0, 30 * 86400),
            "recycle_window": window, "machine_retry": flag(data, "machine_retry", False),
            "optout_key": flag(data, "optout_key", True)}


def options_of(settings: Settings, data: dict[str, Any], mode: str | None) -> dict[str, Any]:
    """Every option as Campaign fields (``mode`` included)."""
    mode, dial_mode = dial_mode_of(data, mode)
    return {"mode": mode, "dial_mode": dial_mode, "caller_id": caller_id_of(settings, data),
            "holidays": holidays_of(data), **list_rules_of(data)}


def options_json(campaign: Any) -> dict[str, Any]:
    return {"dial_mode": campaign.dial_mode, "caller_id": campaign.caller_id, "holidays": campaign.holidays or [],
            "recycle_passes": campaign.recycle_passes, "recycle_after_s": campaign.recycle_after_s,
            "recycle_window": campaign.recycle_window, "machine_retry": campaign.machine_retry,
            "optout_key": campaign.optout_key}
