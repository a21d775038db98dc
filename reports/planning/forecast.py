"""Forecast arrivals and handle times per interval from history, with last week's accuracy.

Method: a weighted seasonal average. For a target day, the same weekday in each of the
``planning.history_weeks`` weeks before it gives calls and talk time per interval; week ``k``
back weighs ``planning.recent_weight ** (k − 1)``, so recent weeks count more (exponential
smoothing across weeks of the same weekday). Weeks before the first recorded call are left
out. Handle time = the weighted mean talk time of answered calls in the interval, falling back
to the day's mean, then to ``queue.default_handle_s``.

Accuracy: each of the seven days before the target is forecast from the history before it
and compared with what happened: MAPE (mean absolute percentage error) over the intervals that
had calls, and the error of the daily total.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Call
from reports import data, kpis
from reports.planning.arrivals import patience_estimate
from reports.planning.days import day_bounds, day_start, interval_of, intervals_per_day, local_day_of


@dataclass(frozen=True)
class DayCounts:
    calls: list[int]
    talk_s: list[list[float]]  # talk times of answered calls per interval


@dataclass(frozen=True)
class Forecast:
    day: date
    calls: list[float]  # expected calls per interval
    aht_s: list[float]  # expected talk time per interval
    weeks_used: int
    patience_s: float


@dataclass(frozen=True)
class Accuracy:
    day: date
    forecast_total: float
    actual_total: int
    mape: float | None  # over intervals with calls; None when none had calls


class History:
    """Calls of a window of days, counted per local day and interval (one query)."""

    def __init__(self, s: Session, settings: Settings, first: date, last: date) -> None:
        self.settings = settings
        start, _ = day_bounds(settings, first)
        _, end = day_bounds(settings, last)
        rows = [r for r in data.call_rows(s, start, end) if r.inbound]
        self.rows = rows
        n = intervals_per_day(settings)
        self.days: dict[date, DayCounts] = defaultdict(lambda: DayCounts([0] * n, [[] for _ in range(n)]))
        for row in rows:
            day = local_day_of(settings, row.started_at)
            index = interval_of(settings, day_start(settings, day), row.started_at)
            if not 0 <= index < n:
                continue
            counts = self.days[day]
            counts.calls[index] += 1
            if row.outcome == kpis.ANSWERED and row.talk_s is not None:
                counts.talk_s[index].append(row.talk_s)
        first_call = s.scalar(select(func.min(Call.started_at)).where(Call.purpose == "caller"))
        self.first_day = local_day_of(settings, first_call) if first_call else None

    def counts(self, day: date) -> DayCounts:
        return self.days[day]


def forecast_day(history: History, day: date) -> Forecast:
    """The weighted seasonal average for ``day`` from the weeks before it."""
    settings = history.settings
    n = intervals_per_day(settings)
    calls = [0.0] * n
    talk_sum = [0.0] * n
    talk_weight = [0.0] * n
    weight_total = 0.0
    weeks = 0
    for k in range(1, settings.planning.history_weeks + 1):
        past = day - timedelta(weeks=k)
        if history.first_day is None or past < history.first_day:
            break
        weight = settings.planning.recent_weight ** (k - 1)
        counts = history.counts(past)
        weeks += 1
        weight_total += weight
        for i in range(n):
            calls[i] += weight * counts.calls[i]
            if counts.talk_s[i]:
                talk_sum[i] += weight * sum(counts.talk_s[i])
                talk_weight[i] += weight * len(counts.talk_s[i])
    expected = [c / weight_total for c in calls] if weight_total else calls
    day_aht = sum(talk_sum) / sum(talk_weight) if sum(talk_weight) else settings.queue.default_handle_s
    aht = [talk_sum[i] / talk_weight[i] if talk_weight[i] else day_aht for i in range(n)]
    patience = patience_estimate(history.rows, settings.planning.default_patience_s)
    return Forecast(day=day, calls=expected, aht_s=aht, weeks_used=weeks, patience_s=patience)


def mape(forecast: list[float], actual: list[int]) -> float | None:
    """Mean absolute percentage error over the intervals that had calls."""
    errors = [abs(f - a) / a for f, a in zip(forecast, actual, strict=True) if a > 0]
    return sum(errors) / len(errors) if errors else None


def last_week_accuracy(history: History, day: date) -> list[Accuracy]:
    """Each of the 7 days before ``day``: its forecast (from the weeks before it) against what happened."""
    out = []
    for back in range(7, 0, -1):
        past = day - timedelta(days=back)
        predicted = forecast_day(history, past)
        if predicted.weeks_used == 0:
            continue
        actual = history.counts(past).calls
        out.append(Accuracy(day=past, forecast_total=sum(predicted.calls), actual_total=sum(actual),
                            mape=mape(predicted.calls, actual)))
    return out


def build(s: Session, settings: Settings, day: date) -> tuple[Forecast, list[Accuracy]]:
    """Forecast ``day`` and the accuracy of the week before it (one history query)."""
    first = day - timedelta(weeks=settings.planning.history_weeks, days=7)
    history = History(s, settings, first, day - timedelta(days=1))
    return forecast_day(history, day), last_week_accuracy(history, day)


def overall_mape(accuracy: list[Accuracy]) -> float | None:
    values = [a.mape for a in accuracy if a.mape is not None]
    return sum(values) / len(values) if values else None


def today(settings: Settings, now: datetime) -> date:
    return local_day_of(settings, now)
