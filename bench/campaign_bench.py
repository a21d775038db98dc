"""Campaign benchmark (issue 7): schedule 10,000 contacts, then measure dialing pace.

Prints, each beside a baseline measured in the same run:

- time to schedule 10,000 contacts (CSV import + start, one transaction) vs a naive loop that
  validates and inserts one contact per transaction;
- pacing error against the configured calls per second on the **virtual** clock (the simulator's
  manual clock, ticks every 0.1 s) and on the **real** clock (the APScheduler job's way: dial the
  slots of the next tick, sleeping until each), vs a naive "place a call, sleep 1/cps" loop;
- memory: peak traced Python allocations while scheduling, and the process's max RSS.

Run: ``python bench/campaign_bench.py [--contacts 10000] [--cps 5] [--virtual-dials 500]
[--real-seconds 8]``. Finishes in well under two minutes on the project's machines.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from core import clock  # noqa: E402
from core.db import session_scope, utcnow  # noqa: E402
from core.phone import to_e164  # noqa: E402
from core.telephony.gateway import get_gateway  # noqa: E402
from core.telephony.simulator import Behaviour  # noqa: E402
from scheduler import campaigns as svc  # noqa: E402
from scheduler import contacts as contacts_svc  # noqa: E402
from scheduler import engine  # noqa: E402
from scheduler.models import Attempt, Contact  # noqa: E402


def make_app(tmp: Path, name: str, clock_mode: str, cps: float):
    return create_app(environ={}, overrides={
        "server": {"public_url": "https://hotline.bench", "data_dir": str(tmp / name), "secret_key": "bench"},
        "database": {"url": f"sqlite:///{tmp / name}.db"},
        "telephony": {"mode": "simulator", "simulator_clock": clock_mode, "simulator_calls_per_second": 1000},
        "hours": {"open": "00:00-24:00"},
        "scheduler": {"enabled": False, "tick_s": 0.1},
        "campaigns": {"calls_per_second": max(cps, 1.0), "max_csv_rows": 200_000},
    })


def numbers(count: int, offset: int = 0) -> list[str]:
    return [f"+86139{n:08d}" for n in range(10_000_000 + offset, 10_000_000 + offset + count)]


def new_campaign(app, cps: float, name: str) -> int:
    with session_scope(app) as s:
        return svc.create_campaign(s, app.config["HOTLINE"], {
            "name": name, "purpose": "outage_notice", "calls_per_second": cps, "max_concurrent": 1000,
            "max_attempts": 1, "machine_detection": False}).id


def pacing_error(times: list[float], cps: float) -> dict[str, float]:
    """Rate error (%) of the whole run and the mean absolute error of each gap (ms)."""
    times = sorted(times)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    if not gaps:
        return {"rate": 0.0, "rate_error_pct": 100.0, "gap_mae_ms": 0.0}
    rate = len(gaps) / (times[-1] - times[0]) if times[-1] > times[0] else float("inf")
    return {"rate": rate, "rate_error_pct": abs(rate - cps) / cps * 100,
            "gap_mae_ms": statistics.fmean(abs(g - 1 / cps) for g in gaps) * 1000}


def bench_schedule(app, count: int, cps: float) -> dict[str, float]:
    settings = app.config["HOTLINE"]
    rows = numbers(count)
    csv = "phone,name,issue\n" + "".join(f"{n[3:]},客户{i},漏水\n" for i, n in enumerate(rows))  # national format
    cid = new_campaign(app, cps, "bench")
    tracemalloc.start()
    started = time.perf_counter()
    with session_scope(app) as s:
        campaign = s.get(svc.Campaign, cid)
        report = contacts_svc.import_csv(s, settings, campaign, csv.encode())
        svc.start_campaign(s, campaign)
    ours = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert report.imported == count, report.as_dict()
    # Baseline: validate and insert one contact per transaction (what a naive importer does).
    base_count = min(count, 2000)
    base_cid = new_campaign(app, cps, "baseline")
    started = time.perf_counter()
    for number in rows[:base_count]:
        with session_scope(app) as s:
            s.add(Contact(campaign_id=base_cid, phone=to_e164(number[3:], "CN"), name="x", context={}, outcome={}))
    naive = (time.perf_counter() - started) * count / base_count
    return {"campaign": cid, "ours_s": ours, "naive_s": naive, "naive_measured": base_count, "peak_mb": peak / 2**20}


def bench_virtual(app, campaign_id: int, cps: float, dials: int) -> tuple[dict[str, float], float]:
    sim = app.extensions["simulator"]
    started = time.perf_counter()
    with session_scope(app) as s:
        t0 = utcnow()
    steps = int(dials / cps / 0.1) + 5
    for _ in range(steps):
        sim.advance(0.1)
        engine.tick(app, followups=False, dispatch=False)
    elapsed = time.perf_counter() - started
    with session_scope(app) as s:
        created = [(a - t0).total_seconds() for a in s.scalars(
            select(Attempt.created_at).where(Attempt.campaign_id == campaign_id))]
    return pacing_error(created, cps), elapsed


def bench_real(tmp: Path, cps: float, seconds: float) -> tuple[dict[str, float], dict[str, float]]:
    clock.reset()
    app = make_app(tmp, "real", "realtime", cps)
    sim = app.extensions["simulator"]
    sim.start_realtime()
    try:
        for number in numbers(int(cps * seconds) * 3, offset=500_000):
            sim.set_behaviour(number, Behaviour(answer="busy"))
        cid = new_campaign(app, cps, "real")
        with session_scope(app) as s:
            campaign = s.get(svc.Campaign, cid)
            contacts_svc.import_csv(s, app.config["HOTLINE"], campaign,
                                    "phone\n" + "\n".join(numbers(int(cps * seconds) + 5, offset=500_000)))
            svc.start_campaign(s, campaign)
        tick_s = app.config["HOTLINE"].scheduler.tick_s
        deadline = time.monotonic() + seconds
        stamps: list[float] = []
        original = get_gateway(app).place_call

        def stamped(*args, **kwargs):
            stamps.append(time.monotonic())
            return original(*args, **kwargs)

        get_gateway(app).place_call = stamped  # type: ignore[method-assign]
        while time.monotonic() < deadline:  # what the APScheduler interval job does
            engine.tick(app, horizon_s=tick_s, sleep=time.sleep, followups=False, dispatch=False)
        ours = pacing_error(stamps, cps)
        # Baseline: place a call, then sleep 1/cps (the REST time is not accounted for).
        base: list[float] = []
        deadline = time.monotonic() + seconds
        targets = iter(numbers(int(cps * seconds) * 2, offset=600_000))
        while time.monotonic() < deadline:
            base.append(time.monotonic())
            original(next(targets), "https://hotline.bench/ivr/outbound/answer?attempt=0", timeout_s=5)
            with session_scope(app):  # a naive loop also writes its record each time
                pass
            time.sleep(1 / cps)
        return ours, pacing_error(base, cps)
    finally:
        sim.stop()
        app.extensions["db_engine"].dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--cps", type=float, default=5.0)
    parser.add_argument("--virtual-dials", type=int, default=500)
    parser.add_argument("--real-seconds", type=float, default=8.0)
    args = parser.parse_args()
    total = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        app = make_app(tmp, "virtual", "manual", args.cps)
        for number in numbers(args.virtual_dials + 50):
            app.extensions["simulator"].set_behaviour(number, Behaviour(answer="busy"))
        sched = bench_schedule(app, args.contacts, args.cps)
        virtual, virtual_wall = bench_virtual(app, sched["campaign"], args.cps, args.virtual_dials)
        app.extensions["db_engine"].dispose()
        real, real_base = bench_real(tmp, args.cps, args.real_seconds)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"campaign benchmark: {args.contacts} contacts, {args.cps:g} calls/s configured (SQLite)")
    print(f"  schedule {args.contacts} contacts   ours {sched['ours_s']:.2f} s"
          f"   | baseline one-row-per-transaction {sched['naive_s']:.2f} s"
          f" (extrapolated from {sched['naive_measured']})")
    print(f"  pacing, virtual clock       ours {virtual['rate']:.3f}/s, rate error {virtual['rate_error_pct']:.2f} %,"
          f" gap error {virtual['gap_mae_ms']:.1f} ms over {args.virtual_dials} dials"
          f" ({virtual_wall:.1f} s wall)")
    print(f"  pacing, real clock          ours {real['rate']:.3f}/s, rate error {real['rate_error_pct']:.2f} %,"
          f" gap error {real['gap_mae_ms']:.1f} ms   | baseline call+sleep {real_base['rate']:.3f}/s,"
          f" rate error {real_base['rate_error_pct']:.2f} %, gap error {real_base['gap_mae_ms']:.1f} ms")
    print(f"  memory                      peak traced while scheduling {sched['peak_mb']:.1f} MB,"
          f" max RSS {rss:.0f} MB")
    print(f"  total {time.perf_counter() - total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
