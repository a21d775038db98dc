"""Queue scale: many callers waiting at once through the waitUrl loop for 10 virtual
minutes, played by the simulator against the real webhooks on its manual (virtual) clock.

1,000 callers (``--callers``) press 1 and join the line within the first minute; one agent is
logged in but away, so nobody is served and the line only moves when callers hang up (every
``--leave-every``-th caller hangs up at a random time; ``queue.short_abandon_s`` is set so high
that no recovery call-back keeps their place — with it, H9 keeps an abandoned caller's place). Then the clock runs ``--minutes``
virtual minutes. Checked from what each caller heard (the simulator's timeline):

- reassured every ``queue.reassure_every_s`` (30 s) ± 1 s — the gaps between reassurances;
- positions monotone (never up) and correct: the position told equals 1 + the callers who
  joined earlier and are still in line at that moment (from the simulator's own records; a
  caller leaving at the very same virtual instant may be counted either way);
- the resident memory (RSS, peak) of the process serving the webhooks — here one process
  holds the Flask app and the simulator, so the number is an upper bound for the web server.

Beside it, the same-run baseline: the same checks and memory with ``--baseline-callers``
(default 50) waiting, so the cost of scale shows as the difference.

    python bench/queue_scale.py [--callers 1000] [--minutes 10] [--db postgresql|sqlite]

Bounded: ``--max-wall-s`` (default 900) stops the clock early and reports what was reached.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._harness import percentile, simulator_app, stop_app, throwaway_database  # noqa: E402

TIE_S = 0.05  # events this close are simultaneous on the virtual clock
POSITION = re.compile(r"第\s*(\d+)\s*位|number (\d+)")


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB."""
    current = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            current = int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return current, peak


@dataclass
class Outcome:
    callers: int
    virtual_s: float
    wall_s: float
    requests: int
    reassurances: int
    gaps: list[float]
    late: int  # gaps > reassure_every + 1
    early: int  # gaps < reassure_every - 1
    non_monotone: int
    correct: int
    checked: int
    rss: float
    peak: float


def run(callers: int, minutes: float, database_url: str, tmp: Path, leave_every: int, max_wall_s: float,
        seed: int = 7) -> Outcome:
    from core.db import session_scope
    from core.presence import set_presence
    from core.telephony.simulator import CallerScript
    from core.users import create_user

    app = simulator_app(tmp / "data", database_url, hours={"open": "00:00-24:00"},
                        # Hang-ups free their place (no recovery call-back, which would keep it: H9).
                        queue={"max_size": 5000, "short_abandon_s": 10**6}, ops={"log_format": "text"})
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    sim = app.extensions["simulator"]
    sim.keep_responses = False  # Twilio's request log is not the app's memory (counts and timelines stay)
    settings = app.config["HOTLINE"]
    every = settings.queue.reassure_every_s
    with session_scope(app) as s:
        user, _, _ = create_user(s, "bench-agent", "agent", "bench-password-1", endpoint="client:bench")
        set_presence(s, user, "away")  # logged in, not free: callers wait
    rng = random.Random(seed)
    hotline = settings.telephony.caller_id
    started = time.perf_counter()
    sids: list[str] = []
    hangups: dict[str, float] = {}
    placed: dict[str, float] = {}
    arrival_gap = min(0.5, 60.0 / max(1, callers))
    t0 = sim.now
    for i in range(callers):
        leaves = leave_every and i % leave_every == leave_every - 1
        hang = rng.uniform(90, minutes * 60 - 30) if leaves else minutes * 60 + 600
        sid = sim.place_inbound_call(f"+86139{i:08d}", hotline,
                                     caller=CallerScript(press=["1"], hangup_after_s=hang, talk_s=10))
        sids.append(sid)
        placed[sid] = (sim.now - t0)  # timeline t counts from here
        if leaves:
            hangups[sid] = hang
        sim.advance(arrival_gap)
    end = minutes * 60
    step = 5.0
    while (sim.now - t0) < end and time.perf_counter() - started < max_wall_s:
        sim.advance(step)
    virtual = (sim.now - t0)
    wall = time.perf_counter() - started
    rss, peak = rss_mb()

    # -- what each caller heard ----------------------------------------------------------
    joined: dict[str, float] = {}
    left_at: dict[str, float] = {}
    heard: dict[str, list[tuple[float, int]]] = {}
    requests = 0
    for sid in sids:
        start = placed[sid]
        timeline = sim.timeline(sid)
        requests += len(sim.requests(sid))
        enq = next((e["t"] for e in timeline if e["verb"] == "enqueue"), None)
        if enq is None:
            continue
        joined[sid] = start + enq
        hang = next((e["t"] for e in timeline if e["verb"] == "hangup"), None)
        if hang is not None:
            left_at[sid] = start + hang
        heard[sid] = [(start + e["t"], int(next(g for g in m.groups() if g)))
                      for e in timeline if e["verb"] == "say" and e["t"] >= enq
                      for m in [POSITION.search(e.get("text", ""))] if m]
    gaps: list[float] = []
    late = early = non_monotone = correct = checked = 0
    order = sorted(joined, key=lambda s: joined[s])
    mismatches: list[tuple[str, float, int, int]] = []
    for sid, told in heard.items():
        stays_until = left_at.get(sid, float("inf"))
        times = [t for t, _ in told if t < stays_until]
        for a, b in zip(times, times[1:], strict=False):
            gap = b - a
            gaps.append(gap)
            late += gap > every + 1
            early += gap < every - 1
        positions = [p for _, p in told]
        non_monotone += sum(1 for a, b in zip(positions, positions[1:], strict=False) if b > a)
        for t, p in told:
            # Callers leaving (or joining) at the very same virtual instant may be seen either way
            # by the request that computed the position: both counts are right.
            ahead = [o for o in order if joined[o] < joined[sid] and left_at.get(o, float("inf")) > t - TIE_S]
            ties = sum(1 for o in ahead if abs(left_at.get(o, float("inf")) - t) <= TIE_S
                       or abs(joined[o] - joined[sid]) <= TIE_S)
            checked += 1
            ok = len(ahead) - ties + 1 <= p <= len(ahead) + 1
            correct += ok
            if not ok and len(mismatches) < 8:
                mismatches.append((sid[-6:], round(t, 1), p, len(ahead) + 1))
    if mismatches:
        print("first position mismatches (call, virtual s, told, expected):", mismatches)
    stop_app(app)
    return Outcome(callers=len(joined), virtual_s=virtual, wall_s=wall, requests=requests,
                   reassurances=sum(len(v) for v in heard.values()), gaps=gaps, late=late, early=early,
                   non_monotone=non_monotone, correct=correct, checked=checked, rss=rss, peak=peak)


def line(label: str, o: Outcome) -> str:
    g = o.gaps
    return (f"{label:9} {o.callers:7d} {o.virtual_s:8.0f} {o.wall_s:7.1f} {o.requests:8d} {o.reassurances:7d} "
            f"{(min(g) if g else 0):6.1f} {percentile(g, 50):6.1f} {(max(g) if g else 0):6.1f} {o.late:5d} "
            f"{o.early:5d} {o.non_monotone:5d} {o.correct:6d}/{o.checked:<6d} {o.rss:7.0f} {o.peak:7.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--callers", type=int, default=1000)
    parser.add_argument("--baseline-callers", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--leave-every", type=int, default=10, help="every Nth caller hangs up at a random time")
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--max-wall-s", type=float, default=900)
    args = parser.parse_args()
    results = {}
    for label, n in (("baseline", args.baseline_callers), ("scale", args.callers)):
        with tempfile.TemporaryDirectory(prefix="hotline-qs-") as tmp:
            if args.db == "postgresql":
                with throwaway_database() as url:
                    results[label] = run(n, args.minutes, url, Path(tmp), args.leave_every, args.max_wall_s)
            else:
                results[label] = run(n, args.minutes, f"sqlite:///{tmp}/q.db", Path(tmp), args.leave_every,
                                     args.max_wall_s)
        print(f"{label}: done in {results[label].wall_s:.0f} s wall", flush=True)
    print(f"\nqueue scale: {args.minutes:.0f} virtual minutes, {args.db}, reassure every 30 s (goal ± 1 s), "
          f"RSS goal < 300 MB")
    print(f"{'run':9} {'callers':>7} {'virt s':>8} {'wall s':>7} {'requests':>8} {'reassur':>7} {'gapmin':>6} "
          f"{'gap50':>6} {'gapmax':>6} {'late':>5} {'early':>5} {'up':>5} {'correct':>13} {'RSS MB':>7} {'peak':>7}")
    for label in ("baseline", "scale"):
        print(line(label, results[label]))
    s = results["scale"]
    ok_gaps = s.late == 0 and s.early == 0
    print(f"\ngoals at {s.callers} callers: every gap within 30 ± 1 s: {'met' if ok_gaps else 'NOT met'}; "
          f"positions monotone: {'met' if s.non_monotone == 0 else 'NOT met'}; correct "
          f"{s.correct}/{s.checked}; RSS {s.rss:.0f} MB (peak {s.peak:.0f}) "
          f"{'< 300 MB: met' if s.peak < 300 else '>= 300 MB: NOT met'}"
          + ("" if s.virtual_s >= args.minutes * 60 - 1 else
             f"; stopped at {s.virtual_s:.0f} virtual s by --max-wall-s"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
