"""Campaign benchmark: schedule 10,000 contacts, then measure the dialing pace.

Prints, each beside a baseline measured in the same run:

- time to schedule 10,000 contacts (CSV import + pre-flight + start, one transaction) vs a naive
  loop that validates and inserts one contact per transaction;
- pacing on the **virtual** clock (``--cps``, 5 calls/s for ``--virtual-minutes`` 10 minutes) and
  on the **real** clock (``--real-cps`` 2 calls/s for ``--real-seconds`` 60), both driven the
  leader's way: an APScheduler-like interval job (a fire that comes while the previous tick still
  runs is skipped) calls ``engine.tick`` with a look-ahead of one tick, sleeping until each slot;
  ``calls.create`` takes ``--latency`` seconds on the simulator. Dial times are when the
  simulator received each ``calls.create``. Reported: the overall rate, the worst 10-s window
  against the nominal count (target ±5 %), the shortest gap against half the nominal gap, and
  skipped fires. Baseline on both clocks: a "place a call, sleep 1/cps" loop;
- memory: peak traced Python allocations while scheduling, and the process's max RSS;
- ``--modes`` (run alone): predictive against progressive dialing on the virtual clock —
  abandoned calls against the 3 % cap and agent idle time (``bench/campaign_modes.py``).

Run: ``python bench/campaign_bench.py`` (about three minutes; ``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from bench._harness import simulator_app, stop_app  # noqa: E402
from core.db import session_scope  # noqa: E402
from core.phone import to_e164  # noqa: E402
from core.telephony.gateway import get_gateway  # noqa: E402
from core.telephony.simulator import Behaviour  # noqa: E402
from scheduler import campaigns as svc  # noqa: E402
from scheduler import contacts as contacts_svc  # noqa: E402
from scheduler import engine  # noqa: E402
from scheduler.models import Contact  # noqa: E402


def make_app(tmp: Path, name: str, clock_mode: str, cps: float, campaigns: dict | None = None):
    return simulator_app(tmp / name, f"sqlite:///{tmp / name}.db", clock_mode, hours={"open": "00:00-24:00"},
                         scheduler={"tick_s": 1.0},
                         campaigns={"calls_per_second": max(cps, 1.0), "max_csv_rows": 200_000, **(campaigns or {})})


def numbers(count: int, offset: int = 0) -> list[str]:
    return [f"+86139{n:08d}" for n in range(10_000_000 + offset, 10_000_000 + offset + count)]


def new_campaign(app, cps: float, name: str) -> int:
    with session_scope(app) as s:
        return svc.create_campaign(s, app.config["HOTLINE"], {
            "name": name, "purpose": "outage_notice", "calls_per_second": cps, "max_concurrent": 1000,
            "max_attempts": 1, "machine_detection": False, "agent_code": "1024",
            "context": {"area": "3号楼", "start": "9:00", "end": "18:00"}}).id


def pacing(times: list[float], cps: float) -> dict[str, float]:
    """Overall rate, worst 10-s window error (%) against ``10 * cps`` and the shortest gap."""
    times = sorted(times)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    if not gaps:
        return {"rate": 0.0, "window_error_pct": 100.0, "min_gap": 0.0, "dials": len(times)}
    windows = int((times[-1] - times[0]) // 10)
    counts = [sum(1 for t in times if times[0] + 10 * w <= t < times[0] + 10 * (w + 1)) for w in range(windows)]
    worst = max((abs(c - 10 * cps) / (10 * cps) * 100 for c in counts), default=0.0)
    return {"rate": len(gaps) / (times[-1] - times[0]), "window_error_pct": worst, "min_gap": min(gaps),
            "dials": len(times)}


def leader(app, seconds: float, sleep, now) -> int:
    """APScheduler's interval job around ``engine.tick``; returns the fires skipped (overruns)."""
    tick_s = app.config["HOTLINE"].scheduler.tick_s
    fire = now()
    end = fire + seconds
    skipped = 0
    while fire < end:
        if now() < fire:
            sleep(fire - now())
        engine.tick(app, horizon_s=tick_s, sleep=sleep, followups=False, dispatch=False)
        fire += tick_s
        while fire < now():
            fire += tick_s
            skipped += 1
    return skipped


def bench_schedule(app, count: int, cps: float) -> dict[str, float]:
    settings = app.config["HOTLINE"]
    rows = numbers(count)
    csv = "phone,name,issue\n" + "".join(f"{n[3:]},客户{i},漏水\n" for i, n in enumerate(rows))  # national format

    def schedule(name: str, text: str) -> float:
        cid = new_campaign(app, cps, name)
        started = time.perf_counter()
        with session_scope(app) as s:
            campaign = s.get(svc.Campaign, cid)
            report = contacts_svc.import_csv(s, settings, campaign, text.encode())
            svc.start_campaign(s, campaign, settings=settings)
            campaign.status = "cancelled"  # only the paced campaigns below are dialed
        assert not report.errors, report.as_dict()
        return time.perf_counter() - started

    ours = schedule("bench", csv)
    tracemalloc.start()  # memory on a second, smaller import (tracing slows the timed run)
    sample = min(count, 2000)
    schedule("bench-memory", "phone\n" + "\n".join(numbers(sample, offset=900_000)))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # Baseline: validate and insert one contact per transaction (what a naive importer does).
    base_count = min(count, 2000)
    base_cid = new_campaign(app, cps, "baseline")
    started = time.perf_counter()
    for number in rows[:base_count]:
        with session_scope(app) as s:
            s.add(Contact(campaign_id=base_cid, phone=to_e164(number[3:], "CN"), name="x", context={}, outcome={}))
    naive = (time.perf_counter() - started) * count / base_count
    return {"ours_s": ours, "naive_s": naive, "naive_measured": base_count, "peak_mb": peak / 2**20 * count / sample}


def paced_campaign(app, cps: float, count: int, offset: int, name: str) -> None:
    sim = app.extensions["simulator"]
    targets = numbers(count, offset=offset)
    for number in targets:
        sim.set_behaviour(number, Behaviour(answer="busy"))
    cid = new_campaign(app, cps, name)
    with session_scope(app) as s:
        campaign = s.get(svc.Campaign, cid)
        contacts_svc.import_csv(s, app.config["HOTLINE"], campaign, "phone\n" + "\n".join(targets))
        svc.start_campaign(s, campaign, settings=app.config["HOTLINE"])
    engine.fire_due_campaigns(app)


def naive_loop(app, cps: float, seconds: float, sleep, now, offset: int) -> None:
    """The baseline: place a call, then sleep 1/cps (the REST time is not accounted for)."""
    gateway = get_gateway(app)
    deadline = now() + seconds
    listed = numbers(int(cps * seconds) * 2, offset=offset)
    for number in listed:  # the same called party as the paced campaign's
        app.extensions["simulator"].set_behaviour(number, Behaviour(answer="busy"))
    targets = iter(listed)
    while now() < deadline:
        gateway.place_call(next(targets), "https://hotline.bench/ivr/outbound/answer?attempt=0", timeout_s=5)
        sleep(1 / cps)


def bench_virtual(app, cps: float, seconds: float, latency: float) -> dict[str, dict[str, float]]:
    sim = app.extensions["simulator"]
    sim.create_latency_s = latency
    sim.creates.clear()
    paced_campaign(app, cps, int(cps * seconds) + 20, 2_000_000, "virtual")
    started = time.perf_counter()
    skipped = leader(app, seconds, sim.advance, lambda: sim.now)
    ours = {**pacing([c["created_at"] for c in sim.creates], cps), "skipped": skipped,
            "wall_s": time.perf_counter() - started}
    with session_scope(app) as s:
        for campaign in s.scalars(select(svc.Campaign).where(svc.Campaign.status == "running")):
            campaign.status = "cancelled"
    sim.creates.clear()
    naive_loop(app, cps, seconds, sim.advance, lambda: sim.now, 3_000_000)
    return {"ours": ours, "baseline": {**pacing([c["created_at"] for c in sim.creates], cps), "skipped": 0}}


def bench_real(tmp: Path, cps: float, seconds: float, latency: float) -> dict[str, dict[str, float]]:
    app = make_app(tmp, "real", "realtime", cps)
    sim = app.extensions["simulator"]
    sim.create_latency_s = latency
    sim.start_realtime()
    try:
        paced_campaign(app, cps, int(cps * seconds) + 10, 500_000, "real")
        skipped = leader(app, seconds, time.sleep, time.monotonic)
        ours = {**pacing([c["created_at"] for c in sim.creates], cps), "skipped": skipped}
        sim.creates.clear()
        naive_loop(app, cps, seconds, time.sleep, time.monotonic, 600_000)
        return {"ours": ours, "baseline": {**pacing([c["created_at"] for c in sim.creates], cps), "skipped": 0}}
    finally:
        stop_app(app)


def line(label: str, cps: float, r: dict[str, float]) -> str:
    return (f"{label:<10} {r['rate']:.3f}/s over {r['dials']} dials, worst 10-s window {r['window_error_pct']:.1f} %"
            f" (target ≤ 5), shortest gap {r['min_gap'] * 1000:.0f} ms (floor {500 / cps:.0f} ms),"
            f" skipped fires {r['skipped']}")


def bench_modes(args: argparse.Namespace) -> int:
    from bench import campaign_modes

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp_dir:
        results = {mode: campaign_modes.run_mode(make_app, Path(tmp_dir), mode, args.agents, args.agents * 60,
                                                 args.mode_minutes, args.answer_rate, args.history,
                                                 {"predictive_risk_factor": args.risk_factor})
                   for mode in ("predictive", "progressive")}
    print("\n".join(campaign_modes.report(results, args.agents, args.mode_minutes, args.answer_rate, args.history,
                                          args.risk_factor)))
    print(f"  total {time.perf_counter() - started:.1f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--cps", type=float, default=5.0)
    parser.add_argument("--virtual-minutes", type=float, default=10.0)
    parser.add_argument("--real-cps", type=float, default=2.0)
    parser.add_argument("--real-seconds", type=float, default=60.0)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds calls.create takes")
    parser.add_argument("--quick", action="store_true", help="1 virtual minute, 20 real seconds")
    parser.add_argument("--modes", action="store_true", help="only predictive against progressive dialing")
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--mode-minutes", type=float, default=20.0)
    parser.add_argument("--answer-rate", type=float, default=0.6)
    parser.add_argument("--history", type=int, default=200, help="agent calls earlier today (measured rates)")
    parser.add_argument("--risk-factor", type=float, default=0.5, help="campaigns.predictive_risk_factor")
    args = parser.parse_args()
    if args.modes:
        return bench_modes(args)
    if args.quick:
        args.virtual_minutes, args.real_seconds = 1.0, 20.0
    total = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        app = make_app(tmp, "virtual", "manual", args.cps)
        sched = bench_schedule(app, args.contacts, args.cps)
        virtual = bench_virtual(app, args.cps, args.virtual_minutes * 60, args.latency)
        stop_app(app)
        real = bench_real(tmp, args.real_cps, args.real_seconds, args.latency)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"campaign benchmark (SQLite, calls.create latency {args.latency * 1000:.0f} ms)")
    print(f"  schedule {args.contacts} contacts   ours {sched['ours_s']:.2f} s (target < 10)"
          f"   | baseline one-row-per-transaction {sched['naive_s']:.2f} s"
          f" (extrapolated from {sched['naive_measured']})")
    print(f"  virtual clock, {args.cps:g}/s for {args.virtual_minutes:g} min"
          f" ({virtual['ours']['wall_s']:.0f} s wall)")
    print("    " + line("ours", args.cps, virtual["ours"]))
    print("    " + line("baseline", args.cps, virtual["baseline"]) + "  [place a call, sleep 1/cps]")
    print(f"  real clock, {args.real_cps:g}/s for {args.real_seconds:g} s")
    print("    " + line("ours", args.real_cps, real["ours"]))
    print("    " + line("baseline", args.real_cps, real["baseline"]) + "  [place a call, sleep 1/cps]")
    print(f"  memory                      peak traced while scheduling {sched['peak_mb']:.1f} MB"
          f" (for {args.contacts} contacts, from a 2,000-contact import), max RSS {rss:.0f} MB")
    print(f"  total {time.perf_counter() - total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
