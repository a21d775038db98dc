"""Per-interval figures of a day, with the reports' KPI definitions (``reports.kpis``): offered,
service level (H2), ASA, abandonment, call-backs requested, and agent occupancy (busy seconds
on calls and wrap-up / seconds signed in)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.config import Settings
from reports import kpis
from reports.planning.days import interval_of, intervals_per_day, label

FIGURES = ("offered", "answered", "abandoned", "callback_requested", "service_level", "asa_s", "abandonment_rate")


def _figures(settings: Settings, rows: list[kpis.CallRow]) -> dict[str, Any]:
    block = kpis.call_kpis(rows, threshold_s=settings.answer.threshold_s,
                           short_abandon_s=settings.queue.short_abandon_s, max_s=settings.calls.max_s)
    return {k: (round(block[k], 4) if isinstance(block[k], float) else block[k]) for k in FIGURES}


def _occupancy(busy: float, staffed: float | None) -> float | None:
    return round(min(1.0, busy / staffed), 4) if staffed else None


def day_figures(settings: Settings, start: datetime, rows: list[kpis.CallRow], busy_s: list[float],
                staffed_s: list[float] | None) -> dict[str, Any]:
    """``{"total": {...}, "intervals": [{"interval": "09:00", ...}, ...]}`` for intervals with calls or staff."""
    inbound = [r for r in rows if r.inbound]
    by_interval: dict[int, list[kpis.CallRow]] = {}
    for row in inbound:
        by_interval.setdefault(interval_of(settings, start, row.started_at), []).append(row)
    intervals = []
    for index in range(intervals_per_day(settings)):
        mine = by_interval.get(index, [])
        staffed = staffed_s[index] if staffed_s else None
        if not mine and not staffed and not busy_s[index]:
            continue
        intervals.append({"interval": label(settings, index), "index": index, **_figures(settings, mine),
                          "agents": round(staffed / (settings.planning.interval_min * 60), 2) if staffed else None,
                          "occupancy": _occupancy(busy_s[index], staffed)})
    total = _figures(settings, inbound)
    total["occupancy"] = _occupancy(sum(busy_s), sum(staffed_s) if staffed_s else None)
    return {"total": total, "intervals": intervals}


def side_by_side(original: dict[str, Any], replayed: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per interval present in either: ``{"interval", "original": {...}, "replay": {...}}``."""
    left = {row["index"]: row for row in original["intervals"]}
    right = {row["index"]: row for row in replayed["intervals"]}
    out = []
    for index in sorted(set(left) | set(right)):
        row = left.get(index) or right[index]
        out.append({"interval": row["interval"], "original": _strip(left.get(index)),
                    "replay": _strip(right.get(index))})
    return out


def _strip(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {k: v for k, v in row.items() if k not in ("interval", "index")}
