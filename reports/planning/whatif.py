"""A what-if replay end to end: the day's callers (recorded, or drawn from the forecast), the
scenario, the replay, and the result side by side with what happened (or, for a forecast day,
with what Erlang A expects), as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import RoutingSettings, Settings, parse_open_hours
from core.models import Call
from reports.planning import arrivals, compare, erlang, forecast, replay, roster, staffing
from reports.planning.days import day_bounds, interval_of, interval_s, intervals_per_day, label

SOURCES = ("recorded", "forecast")


class WhatIfError(ValueError):
    """Bad replay request; the message is ``field: reason``."""


@dataclass(frozen=True)
class Request:
    day: date
    source: str = "recorded"
    seed: int = 1
    agents: int | None = None  # N agents all day
    use_roster: bool = False  # the day's roster (agents on the phones per interval)
    add_agents: int = 0  # on top of whatever staffing is used
    strategy: str | None = None
    reassure_every_s: float | None = None
    callback_offer: bool | None = None
    open_hours: str | None = None

    def check(self, settings: Settings) -> None:
        if self.source not in SOURCES:
            raise WhatIfError(f"source: must be one of {', '.join(SOURCES)}")
        if self.agents is not None and not 0 <= self.agents <= 500:
            raise WhatIfError("agents: must be 0–500")
        if not -500 <= self.add_agents <= 500:
            raise WhatIfError("add_agents: must be −500–500")
        strategies = RoutingSettings.model_fields["strategy"].annotation.__args__  # type: ignore[union-attr]
        if self.strategy is not None and self.strategy not in strategies:
            raise WhatIfError(f"strategy: must be one of {', '.join(strategies)}")
        if self.reassure_every_s is not None and not 0 < self.reassure_every_s <= 600:
            raise WhatIfError("reassure_every_s: must be over 0 and at most 600")
        if self.open_hours is not None:
            try:
                parse_open_hours(self.open_hours)
            except ValueError as exc:
                raise WhatIfError(f"open_hours: {exc}") from None


def agents_who_worked(s: Session, settings: Settings, day: date) -> list[int]:
    """Without a roster: per interval, the agents who took calls in it (a lower bound of who was there)."""
    start, end = day_bounds(settings, day)
    seen: list[set[int]] = [set() for _ in range(intervals_per_day(settings))]
    for agent_id, answered, ended in s.execute(select(Call.agent_id, Call.answered_at, Call.ended_at).where(
            Call.started_at >= start, Call.started_at < end, Call.agent_id.is_not(None),
            Call.answered_at.is_not(None))).all():
        first = interval_of(settings, start, answered)
        last = interval_of(settings, start, ended or answered)
        for index in range(max(0, first), min(len(seen), last + 1)):
            seen[index].add(agent_id)
    return [len(agents) for agents in seen]


def _staffing(s: Session, settings: Settings, request: Request, plan: list[staffing.IntervalStaffing] | None) -> \
        tuple[list[int], str]:
    n = intervals_per_day(settings)
    start, end = day_bounds(settings, request.day)
    if request.agents is not None:
        base, how = [request.agents] * n, f"{request.agents} agents all day"
    elif request.use_roster or (request.source == "recorded" and roster.shifts_overlapping(s, start, end)):
        shifts = roster.shifts_overlapping(s, start, end)
        base, how = [round(h) for h in roster.heads(settings, request.day, shifts, on_phones=True)], "roster"
    elif request.source == "recorded":
        base, how = agents_who_worked(s, settings, request.day), "agents who took calls"
    else:
        base, how = [row.required for row in plan or []], "Erlang A requirement"
    if request.add_agents:
        base = [max(0, b + request.add_agents) if b else 0 for b in base]  # only where someone worked
        how += f" {request.add_agents:+d}"
    return base, how


def _expected(settings: Settings, plan: list[staffing.IntervalStaffing], agents: list[int],
              patience_s: float) -> dict[str, Any]:
    """What Erlang A expects with the replay's staffing (the 'original' of a forecast day)."""
    width = interval_s(settings)
    intervals = []
    for row, n in zip(plan, agents, strict=True):
        if row.calls <= 0 and not n:
            continue
        perf = erlang.erlang_a_performance(n, row.calls / width, row.aht_s, patience_s, settings.answer.threshold_s)
        intervals.append({"interval": label(settings, row.index), "index": row.index,
                          "offered": round(row.calls, 1), "service_level": round(perf.service_level, 4),
                          "asa_s": None if perf.asa_s == float("inf") else round(perf.asa_s, 1),
                          "abandonment_rate": round(perf.p_abandon, 4), "agents": n,
                          "occupancy": round(perf.occupancy, 4)})
    return {"total": {"offered": round(sum(r.calls for r in plan), 1)}, "intervals": intervals}


def run(s: Session, settings: Settings, request: Request) -> dict[str, Any]:
    """Replay the day under the request's changes; JSON-ready result."""
    request.check(settings)
    start, _ = day_bounds(settings, request.day)
    plan = None
    if request.source == "recorded":
        history = arrivals.recorded_day(s, settings, request.day, request.seed)
        callers, patience = history.arrivals, history.patience_s
        if not callers:
            raise WhatIfError(f"day: no calls were recorded on {request.day}")
    else:
        predicted, _accuracy = forecast.build(s, settings, request.day)
        if predicted.weeks_used == 0:
            raise WhatIfError(f"day: no history before {request.day} to forecast from")
        plan = staffing.plan(settings, predicted)
        patience = predicted.patience_s
        callers = arrivals.synthetic_day(settings, predicted.calls, predicted.aht_s, patience, request.seed)
    agents, how = _staffing(s, settings, request, plan)
    scenario = replay.Scenario(staffing=agents, strategy=request.strategy, reassure_every_s=request.reassure_every_s,
                               callback_offer=request.callback_offer, open_hours=request.open_hours)
    result = replay.run(settings, start, callers, scenario, seed=request.seed)
    replayed = compare.day_figures(settings, start, result.rows, result.busy_s, result.staffed_s)
    if request.source == "recorded":
        original = compare.day_figures(settings, start, history.rows, replay.busy_seconds(s, settings, start),
                                       _roster_staffed(s, settings, request.day))
    else:
        assert plan is not None
        original = _expected(settings, plan, agents, patience)
    return {
        "day": request.day.isoformat(), "source": request.source, "seed": request.seed,
        "request": {k: v for k, v in asdict(request).items() if k not in ("day",)} | {"day": request.day.isoformat()},
        "staffing": how, "agents": agents, "patience_s": round(patience, 1), "calls": len(callers),
        "wall_s": round(result.wall_s, 1), "requests": result.requests, "simulator_errors": result.errors[:5],
        "original": original["total"], "replay": replayed["total"],
        "intervals": compare.side_by_side(original, replayed),
    }


def _roster_staffed(s: Session, settings: Settings, day: date) -> list[float] | None:
    start, end = day_bounds(settings, day)
    shifts = roster.shifts_overlapping(s, start, end)
    if not shifts:
        return None
    width = interval_s(settings)
    return [h * width for h in roster.heads(settings, day, shifts, on_phones=True)]
