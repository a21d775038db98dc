"""What the planning pages and commands show for a day: forecast with last week's accuracy,
staffing per interval, the roster's coverage and the gaps ahead."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from core.config import Settings
from reports.planning import forecast, roster, staffing
from reports.planning.days import day_bounds, interval_s, label


def day_plan(s: Session, settings: Settings, day: date) -> dict[str, Any]:
    predicted, accuracy = forecast.build(s, settings, day)
    plan = staffing.plan(settings, predicted)
    start, end = day_bounds(settings, day)
    shifts = roster.shifts_overlapping(s, start, end)
    staffed = roster.heads(settings, day, shifts)
    return {
        "day": day, "forecast": predicted, "accuracy": accuracy, "mape": forecast.overall_mape(accuracy),
        "staffing": plan, "shifts": shifts, "staffed": staffed,
        "on_phones": roster.heads(settings, day, shifts, on_phones=True),
        "coverage": roster.coverage(settings, staffed, plan),
    }


def as_json(settings: Settings, plan: dict[str, Any]) -> dict[str, Any]:
    """The day plan as plain JSON (CLI and the page's chart data)."""
    predicted = plan["forecast"]
    return {
        "day": plan["day"].isoformat(), "interval_min": settings.planning.interval_min,
        "service_level_target": settings.planning.service_level, "threshold_s": settings.answer.threshold_s,
        "max_abandon": settings.planning.max_abandon, "shrinkage": settings.planning.shrinkage,
        "patience_s": round(predicted.patience_s, 1), "weeks_used": predicted.weeks_used,
        "forecast_calls": round(sum(predicted.calls), 1),
        "last_week": [{"day": a.day.isoformat(), "forecast": round(a.forecast_total, 1), "actual": a.actual_total,
                       "mape": None if a.mape is None else round(a.mape, 4)} for a in plan["accuracy"]],
        "mape": None if plan["mape"] is None else round(plan["mape"], 4),
        "intervals": [{**{k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(row).items()},
                       "staffed": plan["staffed"][row.index], "on_phones": plan["on_phones"][row.index],
                       "status": plan["coverage"][row.index].status} for row in plan["staffing"]],
    }


def upcoming_gaps(s: Session, settings: Settings, now: datetime) -> list[dict[str, Any]]:
    """Understaffed intervals between now and ``planning.gap_warning_h`` ahead (roster vs to roster)."""
    horizon = now + timedelta(hours=settings.planning.gap_warning_h)
    width = interval_s(settings)
    gaps = []
    day = forecast.today(settings, now)
    last = forecast.today(settings, horizon)
    while day <= last:
        plan = day_plan(s, settings, day)
        start, _ = day_bounds(settings, day)
        for cover in plan["coverage"]:
            begins = start + timedelta(seconds=cover.index * width)
            if cover.status == "under" and now - timedelta(seconds=width) < begins <= horizon:
                gaps.append({"day": day.isoformat(), "interval": label(settings, cover.index),
                             "starts_at": begins, "required": cover.required, "staffed": cover.staffed,
                             "short": round(-cover.difference, 2)})
        day += timedelta(days=1)
    return gaps
