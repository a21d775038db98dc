"""KPI definitions as pure functions over plain rows (no database, no Flask).

Every figure the wallboard, the reports, the CSV exports and ``GET /api/reports/summary`` show is
computed here; ``reports.data`` turns database rows into the ``CallRow`` etc. below.

Definitions (rates are 0–1 floats; a rate with an empty denominator is ``None``, never 0):

- **inbound call** — a caller's call to the hotline (``Call.purpose == "caller"``); **outbound** — a
  call-back leg to a customer (``purpose == "callback"``) or a campaign dial (``scheduler``).
- **offered** — inbound calls that joined the queue and left it (answered, abandoned, asked for a
  call-back, or overflow / error); callers still in line are not counted yet.
- **wait** — seconds in the queue: from joining it (after the greeting and menu, which the caller
  drives) until the agent was connected (answered) or the caller hung up (abandoned).
- **short abandon** — an abandon after a wait of at most ``queue.short_abandon_s`` (10 s): the
  caller gave up before anyone had a fair chance (the IVR sends no recovery call-back either).
- **service level (H2)** — answered with a wait ≤ ``answer.threshold_s`` (3 rings × 3 s = 9 s) /
  (offered − short abandons). Call-back requests and overflow count as not answered in time.
- **ASA** — mean wait of answered inbound calls.
- **abandonment rate** — (abandoned − short abandons) / (offered − short abandons).
- **AHT** — talk time only: mean of (call end − agent connected) over calls an agent handled
  (inbound and call-backs). Wrap-up is not recorded per call, so it is not included.
- **calls over 5 min (H7)** — handled calls whose talk time is over ``calls.max_s`` (300 s).
- **announced-wait accuracy** — for answered callers who heard a reassurance (H3): actual =
  seconds from the first reassurance to the connection, announced = the first expected wait
  (``QueueEntry.first_announced_wait_s``); error = actual − announced (positive: longer than
  announced). Within-announced share: actual ≤ the minutes the caller heard (⌈announced/60⌉, the
  reassurance's own rounding; "connecting now" counts as 1) × 60. Abandoned callers are left out (their real wait is unknown).
- **abandons after a reassurance** — per prompt wording: reassurances played, and how many were
  followed by the caller hanging up within ``window_s`` (30 s, the reassurance interval); each
  abandon is charged to the latest reassurance before it.
- **satisfaction (H19)** — per customer = satisfied items / surveyed items, where 基本满意, 满意
  and 很满意 are satisfied (``followup.satisfied_answers``); overall = mean of the per-customer
  rates; per item = the item's total score / its total possible score (很满意 = 5 … 很不满意 = 1,
  possible = 5 × customers who answered the item).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import fmean
from typing import Any

from ivr.queue import announced_minutes

#: H19: the five answers and their points (很满意 5 … 很不满意 1).
SCALE_POINTS: dict[str, int] = {"很满意": 5, "满意": 4, "基本满意": 3, "不满意": 2, "很不满意": 1}

ANSWERED, ABANDONED, CALLBACK, OTHER, WAITING, NOT_QUEUED = (
    "answered", "abandoned", "callback", "other", "waiting", "not_queued")
FINAL_OUTCOMES = (ANSWERED, ABANDONED, CALLBACK, OTHER)


@dataclass(frozen=True)
class CallRow:
    """One customer call, reduced to what the KPIs need."""

    id: int
    inbound: bool
    started_at: datetime
    outcome: str  # answered | abandoned | callback | other | waiting | not_queued
    wait_s: float | None = None  # queue wait (answered: to connection; others: to leaving)
    talk_s: float | None = None  # answered and ended: end − connection
    agent_id: int | None = None
    district: str | None = None
    menu_option: str | None = None


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return fmean(items) if items else None


def call_kpis(rows: Sequence[CallRow], *, threshold_s: float, short_abandon_s: float,
              max_s: float, target_s: float | None = None) -> dict[str, Any]:
    """The call block of a report (definitions in the module docstring)."""
    inbound = [r for r in rows if r.inbound]
    offered = [r for r in inbound if r.outcome in FINAL_OUTCOMES]
    answered = [r for r in offered if r.outcome == ANSWERED]
    abandoned = [r for r in offered if r.outcome == ABANDONED]
    short = [r for r in abandoned if (r.wait_s or 0.0) <= short_abandon_s]
    fair = len(offered) - len(short)
    in_time = [r for r in answered if r.wait_s is not None and r.wait_s <= threshold_s]
    handled = [r for r in rows if r.outcome == ANSWERED and r.talk_s is not None]
    outbound = [r for r in rows if not r.inbound]
    return {
        "in": len(inbound),
        "out": len(outbound),
        "out_answered": sum(1 for r in outbound if r.outcome == ANSWERED),
        "offered": len(offered),
        "answered": len(answered),
        "answered_within_threshold": len(in_time),
        "abandoned": len(abandoned),
        "short_abandoned": len(short),
        "callback_requested": sum(1 for r in offered if r.outcome == CALLBACK),
        "other": sum(1 for r in offered if r.outcome == OTHER),
        "waiting": sum(1 for r in inbound if r.outcome == WAITING),
        "not_queued": sum(1 for r in inbound if r.outcome == NOT_QUEUED),
        "service_level": ratio(len(in_time), fair),
        "service_level_threshold_s": threshold_s,
        "asa_s": mean(r.wait_s for r in answered if r.wait_s is not None),
        "abandonment_rate": ratio(len(abandoned) - len(short), fair),
        "handled": len(handled),
        "aht_s": mean(r.talk_s for r in handled if r.talk_s is not None),
        "over_5_min": sum(1 for r in handled if (r.talk_s or 0.0) > max_s),
        "over_target": sum(1 for r in handled if target_s is not None and (r.talk_s or 0.0) > target_s),
        "max_talk_s": max_s,
    }


def grouped(rows: Iterable[Any], key: Callable[[Any], Any]) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        out[key(row)].append(row)
    return dict(out)


# -- announced vs actual wait (H3) --------------------------------------------------------------

@dataclass(frozen=True)
class WaitSample:
    announced_s: float  # the expected wait told at the first reassurance
    actual_s: float  # seconds from that reassurance to the connection


def within_heard_s(announced_s: float) -> float:
    """The longest wait the caller was told: the minutes they heard (``ivr.queue.announced_minutes``,
    the one rounding the reassurance uses); "connecting now" (0 minutes) counts as one minute."""
    return max(1, announced_minutes(announced_s)) * 60.0


def wait_accuracy(samples: Sequence[WaitSample]) -> dict[str, Any]:
    errors = [s.actual_s - s.announced_s for s in samples]
    within = [s for s in samples if s.actual_s <= within_heard_s(s.announced_s)]
    return {
        "samples": len(samples),
        "mean_announced_s": mean(s.announced_s for s in samples),
        "mean_actual_s": mean(s.actual_s for s in samples),
        "mean_error_s": mean(errors),
        "mean_abs_error_s": mean(abs(e) for e in errors),
        "within_announced": ratio(len(within), len(samples)),
    }


# -- abandons after a reassurance, by wording ------------------------------------------------------

@dataclass(frozen=True)
class Reassurance:
    call_id: int
    at: datetime
    wording: str


def reassurance_abandons(reassurances: Sequence[Reassurance], abandons: Mapping[int, datetime],
                         window_s: float) -> list[dict[str, Any]]:
    """Per wording: prompts played, abandons within ``window_s`` after one, and their share.
    An abandon counts once, for the latest reassurance played to that caller before it."""
    played: dict[str, int] = defaultdict(int)
    hit: dict[str, int] = defaultdict(int)
    by_call = grouped(reassurances, lambda r: r.call_id)
    for r in reassurances:
        played[r.wording] += 1
    for call_id, gone_at in abandons.items():
        before = [r for r in by_call.get(call_id, []) if r.at <= gone_at]
        if not before:
            continue
        last = max(before, key=lambda r: r.at)
        if (gone_at - last.at).total_seconds() <= window_s:
            hit[last.wording] += 1
    return [{"wording": w, "prompts": played[w], "abandoned_within": hit[w],
             "rate": ratio(hit[w], played[w])} for w in sorted(played, key=lambda w: (-played[w], w))]


# -- H19 satisfaction --------------------------------------------------------------------------------

def satisfaction(customers: Sequence[Mapping[str, str]], satisfied_answers: Iterable[str],
                 points: Mapping[str, int] = SCALE_POINTS, item_order: Sequence[str] = ()) -> dict[str, Any]:
    """H19 exactly (see the module docstring). ``customers``: one ``{item: answer}`` per customer;
    answers outside the scale are ignored, customers without any scale answer are not surveyed.
    Items are listed in ``item_order`` (the order the survey asks them), others after, by name."""
    satisfied = set(satisfied_answers)
    top = max(points.values())
    rates: list[float] = []
    scores: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    for answers in customers:
        items = {item: a for item, a in answers.items() if a in points}
        if not items:
            continue
        rates.append(sum(1 for a in items.values() if a in satisfied) / len(items))
        for item, answer in items.items():
            scores[item] += points[answer]
            counts[item] += 1
    rank = {item: i for i, item in enumerate(item_order)}
    ordered = sorted(scores, key=lambda item: (rank.get(item, len(rank)), item))
    return {
        "customers": len(rates),
        "per_customer": rates,
        "overall": mean(rates),
        "per_item": {item: scores[item] / (top * counts[item]) for item in ordered},
        "item_order": ordered,  # JSON objects may be re-sorted on the way: this keeps the survey order
        "item_scores": {item: {"score": scores[item], "possible": top * counts[item]} for item in ordered},
    }


def target_rate(numerator: int, denominator: int, target: float) -> dict[str, Any]:
    value = ratio(numerator, denominator)
    return {"numerator": numerator, "denominator": denominator, "value": value, "target": target,
            "meets_target": value is not None and value >= target}
