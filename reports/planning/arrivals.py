"""The callers a replay plays: taken from a recorded day, or drawn from the forecast.

An ``Arrival`` is what one caller did, reduced to what the simulator's ``CallerScript`` needs:
when the call came (seconds after local midnight), the menu key, how long they talk once
connected, when they give up (seconds after the call began; None: they wait as long as it
takes) and whether, and after how long in line, they asked to be called back (H9).

Patience of callers who were answered is censored (they waited at least that long): they get
their observed wait plus a draw from the exponential patience estimated from the day's
abandons (memoryless, Garnett–Mandelbaum–Reiman), from a seeded generator, so a replay is
deterministic for a seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Call, QueueEntry, QueueStatus
from reports import data, kpis
from reports.planning.days import day_bounds

#: The IVR's menu keys (``ivr.flow.DIGITS``) by menu option.
MENU_KEYS = {"repair": "1", "complaint": "2", "inquiry": "3", "fees": "4", "emergency": "0"}
MIN_TALK_S = 5.0
#: Seconds from the call's start to joining the line for a caller who presses at once (the
#: greeting and the menu prompt as the simulator plays them); synthetic patience starts there.
MENU_S = 20.0


@dataclass(frozen=True)
class Arrival:
    offset_s: float  # seconds after local midnight
    press: str | None  # menu key (None: says nothing, the IVR sends them to the general line)
    talk_s: float  # seconds talking with the agent after the bridge
    patience_s: float | None  # hangs up this long after the call began (None: stays)
    callback_after_s: float | None = None  # asks for a call-back after this long in line
    english: bool = False  # pressed 9 for English first


@dataclass(frozen=True)
class DayHistory:
    arrivals: list[Arrival]
    rows: list[kpis.CallRow]  # what happened (the reports' call rows)
    patience_s: float  # mean patience estimated from the abandons


def patience_estimate(rows: list[kpis.CallRow], default_s: float) -> float:
    """Mean patience: total time callers spent in line / abandons (exponential MLE with
    censoring: answered callers count with the time they waited)."""
    abandons = sum(1 for r in rows if r.inbound and r.outcome == kpis.ABANDONED)
    waited = sum(r.wait_s or 0.0 for r in rows if r.inbound and r.outcome in kpis.FINAL_OUTCOMES)
    return waited / abandons if abandons else default_s


def _talk_pool(rows: list[kpis.CallRow], settings: Settings) -> list[float]:
    pool = [r.talk_s for r in rows if r.outcome == kpis.ANSWERED and r.talk_s]
    return pool or [settings.queue.default_handle_s]


def recorded_day(s: Session, settings: Settings, day: date, seed: int) -> DayHistory:
    """The callers of a recorded day (inbound ``Call`` rows started that local day)."""
    start, end = day_bounds(settings, day)
    rows = data.call_rows(s, start, end)
    by_id = {r.id: r for r in rows}
    calls = list(s.scalars(select(Call).where(Call.started_at >= start, Call.started_at < end,
                                              Call.purpose == "caller").order_by(Call.started_at, Call.id)))
    joins = {e.call_id: e for e in s.scalars(select(QueueEntry).where(
        QueueEntry.call_id.in_([c.id for c in calls])).order_by(QueueEntry.id.desc()))}
    patience = patience_estimate(rows, settings.planning.default_patience_s)
    talk_pool = _talk_pool(rows, settings)
    rng = random.Random(seed)
    arrivals = [_arrival(settings, call, by_id.get(call.id), joins.get(call.id), start, patience, talk_pool, rng)
                for call in calls]
    return DayHistory(arrivals=arrivals, rows=rows, patience_s=patience)


def _arrival(settings: Settings, call: Call, row: kpis.CallRow | None, entry: QueueEntry | None, start,
             patience: float, talk_pool: list[float], rng: random.Random) -> Arrival:
    offset = (call.started_at - start).total_seconds()
    lasted = (call.ended_at - call.started_at).total_seconds() if call.ended_at else None
    joined_after = (entry.joined_at - call.started_at).total_seconds() if entry is not None else 0.0
    talk = rng.choice(talk_pool)
    outcome = row.outcome if row is not None else kpis.NOT_QUEUED
    if outcome == kpis.ANSWERED and row is not None and row.talk_s is not None:
        talk = row.talk_s
    gives_up: float | None = joined_after + (row.wait_s or 0.0) + rng.expovariate(1 / patience) \
        if row is not None and row.wait_s is not None else None
    callback_after = None
    if outcome in (kpis.ABANDONED, kpis.NOT_QUEUED) and lasted is not None:
        gives_up = lasted
    elif outcome == kpis.CALLBACK and entry is not None and entry.status == QueueStatus.CALLBACK:
        callback_after = row.wait_s if row is not None else 0.0
    english = (call.locale or settings.company.default_locale) == "en" != settings.company.default_locale
    return Arrival(offset_s=offset, press=MENU_KEYS.get(call.menu_option or ""),
                   talk_s=max(MIN_TALK_S, talk - settings.planning.replay_connect_s),
                   patience_s=gives_up, callback_after_s=callback_after, english=english)


def synthetic_day(settings: Settings, calls_per_interval: list[float], aht_s: list[float],
                  patience_s: float | None, seed: int, menu_mix: dict[str, float] | None = None,
                  menu_s: float = MENU_S) -> list[Arrival]:
    """A day drawn from a forecast: Poisson arrivals per interval (uniform within it),
    exponential handle times of the interval's mean, exponential patience (None: infinite)."""
    rng = random.Random(seed)
    width = settings.planning.interval_min * 60
    mix = menu_mix or {"1": 0.4, "2": 0.15, "3": 0.35, "4": 0.1}
    keys, weights = list(mix), list(mix.values())
    arrivals: list[Arrival] = []
    for index, rate in enumerate(calls_per_interval):
        t = 0.0
        while rate > 0:
            t += rng.expovariate(rate / width)
            if t >= width:
                break
            handle = rng.expovariate(1 / aht_s[index]) if aht_s[index] > 0 else settings.queue.default_handle_s
            arrivals.append(Arrival(
                offset_s=index * width + t, press=rng.choices(keys, weights)[0],
                talk_s=max(MIN_TALK_S, handle),
                patience_s=None if patience_s is None else menu_s + rng.expovariate(1 / patience_s)))
    return arrivals
