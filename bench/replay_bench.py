"""What-if replay benchmark: a 2,000-call day replayed through the real webhooks and the
simulator on its virtual clock (into a throw-away SQLite database), wall time, CPU time and
memory printed beside a same-run baseline (a 200-call day), where the big day's CPU went (the
webhooks, their follow-up work, the rest), plus the replay's fidelity:

- **unchanged replay**: the big day's replay is read back as a recorded day and replayed again
  with the same staffing; service level and abandonment of the two are printed side by side
  (``--validate``);
- **Erlang**: each busy interval's service level and abandonment next to what Erlang A expects
  for the same calls, agents and patience.

The day: calls from 08:00 to 20:00 local with a morning and an afternoon peak, exponential talk
times (mean 150 s) and patience (mean 120 s), staffed per half hour with the Erlang A requirement
(80 % in 9 s, at most 5 % abandoning).

    python bench/replay_bench.py [--calls 2000] [--baseline-calls 200] [--seed 7] [--validate]
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DAY = date(2026, 11, 23)
TALK_S = 150.0
PATIENCE_S = 120.0
GOAL_S = 120.0


def shape(calls: int) -> list[float]:
    """Expected calls per half hour: 08:00–20:00, peaks near 10:00 and 15:00."""
    weights = [0.0] * 48
    for i in range(16, 40):
        hour = i / 2
        weights[i] = 0.4 + math.exp(-((hour - 10) ** 2) / 3) + 0.8 * math.exp(-((hour - 15) ** 2) / 4)
    total = sum(weights)
    return [calls * w / total for w in weights]


def staffing(settings, rates: list[float]) -> list[int]:
    from reports.planning import erlang

    handle = TALK_S + settings.routing.wrap_up_s
    return [erlang.agents_for(r / 1800, handle, settings.answer.threshold_s, settings.planning.service_level,
                              settings.planning.max_abandon, PATIENCE_S) for r in rates]


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(settings, callers, staff, seed, workdir=None):
    from reports.planning import replay
    from reports.planning.days import day_start

    cpu0, wall0 = cpu_s(), time.perf_counter()
    result = replay.run(settings, day_start(settings, DAY), callers, replay.Scenario(staffing=staff), seed=seed,
                        workdir=workdir)
    return result, time.perf_counter() - wall0, cpu_s() - cpu0


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def figures(settings, rows):
    from reports import kpis

    return kpis.call_kpis(rows, threshold_s=settings.answer.threshold_s,
                          short_abandon_s=settings.queue.short_abandon_s, max_s=settings.calls.max_s)


def pct(v):
    return "  —  " if v is None else f"{v * 100:5.1f}%"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--baseline-calls", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--validate", action="store_true", help="also replay the big day unchanged")
    args = parser.parse_args()

    import logging

    from core.config import load_settings
    from reports.planning import arrivals, compare, erlang
    from reports.planning.days import day_start

    logging.disable(logging.WARNING)
    load_before = load_average()
    settings = load_settings({}, {"hours": {"open": "00:00-24:00"}})
    rows = {}
    keep = Path(tempfile.mkdtemp(prefix="hotline-replay-bench-"))
    for label, n in (("baseline", args.baseline_calls), ("day", args.calls)):
        rates = shape(n)
        staff = staffing(settings, rates)
        callers = arrivals.synthetic_day(settings, rates, [TALK_S] * 48, PATIENCE_S, args.seed)
        result, wall, cpu = run(settings, callers, staff, args.seed, keep / label)
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows[label] = (len(callers), max(staff), result, wall, cpu, rss_peak, staff, rates)
        print(f"{label}: {len(callers)} calls replayed in {wall:.0f} s wall, {cpu:.0f} s CPU", flush=True)

    print(f"\nreplay of a day: {'run':9} {'calls':>6} {'agents':>6} {'requests':>8} {'wall s':>7} {'CPU s':>6} "
          f"{'CPU ms/call':>11} {'RSS peak MB':>11} {'SL':>6} {'abandon':>7}")
    for label, (calls, agents, result, wall, cpu, rss, _staff, _rates) in rows.items():
        k = figures(settings, result.rows)
        print(f"{'':16} {label:9} {calls:6d} {agents:6d} {result.requests:8d} {wall:7.1f} {cpu:6.1f} "
              f"{1000 * cpu / calls:11.0f} {rss:11.0f} {pct(k['service_level'])} {pct(k['abandonment_rate'])}")
    calls, _agents, result, wall, cpu, _rss, staff, rates = rows["day"]
    print(f"\ngoal: a {calls}-call day in under {GOAL_S:.0f} s: {'met' if wall < GOAL_S else 'NOT met'} "
          f"({wall:.0f} s wall, {cpu:.0f} s CPU; load average {load_before} before, {load_average()} after)")
    print(f"projected CPU for a 2,000-call day at this run's CPU per call: {2000 * cpu / calls:.0f} s "
          f"(the wall time on an idle core is about the CPU time)")
    split = result.cpu_s
    if split.get("total"):
        rest = split["total"] - split["webhooks"] - split["follow_up"]
        print("CPU of the replay's thread: " + ", ".join(
            f"{name} {seconds:.1f} s ({100 * seconds / split['total']:.0f} %)" for name, seconds in (
                ("webhooks", split["webhooks"]), ("their follow-up work", split["follow_up"]),
                ("the rest (app build, simulator, replay loop)", rest))))
    print("requests by webhook:", result.requests_by_path)

    print("\nper half hour: replay against Erlang A (same calls, agents, patience)")
    print(f"{'interval':8} {'calls':>5} {'agents':>6} {'SL replay':>9} {'SL ErlA':>8} {'aband replay':>12} {'aband ErlA':>10}")
    start = day_start(settings, DAY)
    table = compare.day_figures(settings, start, result.rows, result.busy_s, result.staffed_s)
    handle = TALK_S + settings.routing.wrap_up_s
    for row in table["intervals"]:
        i = row["index"]
        if not rates[i]:
            continue
        expected = erlang.erlang_a_performance(staff[i], rates[i] / 1800, handle, PATIENCE_S,
                                               settings.answer.threshold_s)
        print(f"{row['interval']:8} {row['offered']:5d} {staff[i]:6d} {pct(row['service_level']):>9} "
              f"{pct(expected.service_level):>8} {pct(row['abandonment_rate']):>12} {pct(expected.p_abandon):>10}")
    if args.validate:
        validate(settings, keep / "day" / "replay.db", staff, args.seed)
    return 0


def validate(settings, path: Path, staff: list[int], seed: int) -> None:
    """Read the big day back as recorded history and replay it unchanged."""
    from sqlalchemy.orm import sessionmaker

    from core import db as core_db
    from reports.planning import arrivals

    engine = core_db.make_engine(f"sqlite:///{path}")
    with sessionmaker(bind=engine)() as s:
        history = arrivals.recorded_day(s, settings, DAY, seed)
    engine.dispose()
    then = figures(settings, history.rows)
    result, wall, cpu = run(settings, history.arrivals, staff, seed)
    now = figures(settings, result.rows)
    print(f"\nunchanged replay of the recorded {len(history.arrivals)}-call day ({wall:.0f} s wall, {cpu:.0f} s CPU):")
    for name in ("offered", "answered", "abandoned", "service_level", "asa_s", "abandonment_rate"):
        a, b = then[name], now[name]
        shown = (pct(a), pct(b)) if name in ("service_level", "abandonment_rate") else (a, b)
        print(f"  {name:17} recorded {shown[0]!s:>8}  replay {shown[1]!s:>8}")


if __name__ == "__main__":
    sys.exit(main())
