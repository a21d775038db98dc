"""Agents needed per interval: Erlang C and Erlang A, then shrinkage.

Per interval: arrival rate = forecast calls / interval length; handle time = forecast talk
time + ``routing.wrap_up_s`` (the agent is busy for both); target = ``answer.threshold_s`` (H2:
three rings, 9 s) for ``planning.service_level`` of the callers. Erlang C assumes callers never
give up; Erlang A also keeps abandonment at most ``planning.max_abandon`` with the patience
estimated from the abandoned calls. *Required* is the Erlang A figure (callers do hang up);
*to roster* divides it by ``1 − planning.shrinkage`` (breaks, training, meetings).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.config import Settings
from reports.planning import erlang
from reports.planning.days import interval_s, label
from reports.planning.forecast import Forecast


@dataclass(frozen=True)
class IntervalStaffing:
    index: int
    label: str
    calls: float
    aht_s: float  # handle time used (talk + wrap-up)
    erlang_c: int
    erlang_a: int
    required: int
    to_roster: int
    service_level: float | None  # Erlang A with the required agents
    p_abandon: float | None
    occupancy: float | None


def plan(settings: Settings, forecast: Forecast) -> list[IntervalStaffing]:
    p = settings.planning
    width = interval_s(settings)
    target = settings.answer.threshold_s
    out = []
    for index, (calls, talk) in enumerate(zip(forecast.calls, forecast.aht_s, strict=True)):
        handle = talk + settings.routing.wrap_up_s
        rate = calls / width
        by_c = erlang.agents_for(rate, handle, target, p.service_level)
        by_a = erlang.agents_for(rate, handle, target, p.service_level, p.max_abandon, forecast.patience_s)
        perf = erlang.erlang_a_performance(by_a, rate, handle, forecast.patience_s, target) if by_a else None
        out.append(IntervalStaffing(
            index=index, label=label(settings, index), calls=calls, aht_s=handle, erlang_c=by_c, erlang_a=by_a,
            required=by_a, to_roster=erlang.with_shrinkage(by_a, p.shrinkage),
            service_level=perf.service_level if perf else None, p_abandon=perf.p_abandon if perf else None,
            occupancy=perf.occupancy if perf else None))
    return out
