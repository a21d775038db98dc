"""Trends: the main figures of a range against the period just before it of the same length
(a day against the day before, a week against the week before, a month against the previous
month for the monthly report). ``change`` = current − previous (percentage points for rates)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from core.config import Settings
from reports.periods import Period, month_last_day, period
from reports.summary import summary

#: (path in the summary, 中文, English, format: count | pct | secs, higher is better)
METRICS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("calls.in", "来电", "Calls in", "count", True),
    ("calls.answered", "接听", "Answered", "count", True),
    ("calls.service_level", "服务水平", "Service level", "pct", True),
    ("calls.asa_s", "平均应答速度", "Average speed of answer", "secs", False),
    ("calls.abandonment_rate", "放弃率", "Abandonment rate", "pct", False),
    ("calls.aht_s", "平均处理时长", "Average handle time", "secs", False),
    ("cases.total", "案件", "Cases", "count", True),
    ("cases.overdue", "答复超时", "Overdue replies", "count", False),
    ("rates.satisfaction.overall", "总满意率", "Overall satisfaction", "pct", True),
)


def previous_period(settings: Settings, p: Period) -> Period:
    """The same number of days just before ``p``; a whole month → the whole previous month."""
    if p.first.day == 1 and p.last == month_last_day(p.first):
        last = p.first - timedelta(days=1)
        return period(settings, last.replace(day=1), last)
    return period(settings, p.first - timedelta(days=p.days), p.first - timedelta(days=1))


def _get(report: dict[str, Any], path: str) -> Any:
    node: Any = report
    for key in path.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


def compare(current: dict[str, Any], previous: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for path, zh, en, fmt, higher_better in METRICS:
        now, before = _get(current, path), _get(previous, path)
        change = now - before if isinstance(now, int | float) and isinstance(before, int | float) else None
        better = None if not change else (change > 0) == higher_better
        rows.append({"metric": path, "label_zh": zh, "label_en": en, "format": fmt, "current": now,
                     "previous": before, "change": change, "better": better})
    return rows


def trend_block(s: Session, settings: Settings, p: Period, report: dict[str, Any], now: datetime) -> dict[str, Any]:
    """``{"previous_from", "previous_to", "rows"}`` for the report of ``p``."""
    before = previous_period(settings, p)
    return {"previous_from": before.first.isoformat(), "previous_to": before.last.isoformat(),
            "rows": compare(report, summary(s, settings, before, now))}
