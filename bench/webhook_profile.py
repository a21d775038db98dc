"""What one webhook costs in CPU, measured so that the machine's load does not matter: the
caller webhooks of ``bench/webhook_load.py`` played through Flask's test client (no HTTP, no
gunicorn) against Hotline on a throw-away PostgreSQL database, beside the same requests to the
bare Flask baseline app of ``webhook_load.py``.

    python bench/webhook_profile.py [--calls 200] [--waits 6] [--profile ROUTE] [--top 40]
    python bench/webhook_profile.py --callgrind [--calls 20]

- default: CPU time of the request's thread (``time.thread_time``) per route, mean and median,
  Hotline beside the baseline; the follow-up work a webhook defers runs on other threads and is
  not counted (with one busy agent signed in, nobody is dialled, as in ``webhook_load.py``);
- ``--profile ROUTE``: cProfile of that route's requests (``voice``, ``menu``, ``wait``,
  ``status`` or ``all``), the ``--top`` functions by own time and by cumulative time;
- ``--callgrind``: instructions per request (Valgrind's callgrind: the same count whatever the
  load), per route, Hotline beside the baseline. The script runs itself under valgrind and
  counts only inside each route's batch of requests (run from one ``functools.reduce`` call,
  the function callgrind collects in).

Each call is signed like Twilio (the signature is computed outside the measured part). The
database's round trips are part of the measure; PostgreSQL's own CPU (another process) is not.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from bench._harness import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    add_busy_agents,
    free_port,
    stop_app,
    throwaway_database,
    write_config,
)
from bench.webhook_load import CALLER_ID, baseline_app  # noqa: E402

ROUTES = ("voice", "menu", "wait", "status")
Request = tuple[str, dict[str, str], dict[str, str]]  # path, form, headers


def call_requests(base: str, calls: int, waits: int) -> dict[str, list[Request]]:
    """The signed requests of ``calls`` calls, grouped by route (played route by route: every
    call's voice, then every call's menu, …, so each route is measured on its own)."""
    validator = RequestValidator(AUTH_TOKEN)
    by_route: dict[str, list[Request]] = {route: [] for route in ROUTES}
    for n in range(calls):
        sid = "CA" + uuid.uuid4().hex
        common = {"CallSid": sid, "AccountSid": ACCOUNT_SID, "From": f"+86138{n:08d}", "To": CALLER_ID,
                  "Direction": "inbound", "ApiVersion": "2010-04-01"}
        steps = [("voice", "/ivr/voice", {**common, "CallStatus": "ringing"}),
                 ("menu", "/ivr/menu?tries=0", {**common, "CallStatus": "in-progress", "Digits": "1"})]
        steps += [("wait", "/ivr/queue/wait", {**common, "CallStatus": "in-progress", "QueuePosition": str(i % 9 + 1),
                                               "QueueTime": str(30 * i), "AvgQueueTime": "0",
                                               "CurrentQueueSize": "10", "QueueSid": "QU" + "0" * 32})
                  for i in range(waits)]
        steps.append(("status", "/ivr/status", {**common, "CallStatus": "completed", "CallDuration": "60"}))
        for route, path, form in steps:
            headers = {"X-Twilio-Signature": validator.compute_signature(base + path, form)}
            by_route[route].append((path, form, headers))
    return by_route


def poster(app: Any) -> Callable[[Request], float]:
    """Post one request through the test client; returns the request thread's CPU seconds."""
    client = app.test_client()

    def post(request: Request) -> float:
        path, form, headers = request
        started = time.thread_time()
        response = client.post(path, data=form, headers=headers)
        spent = time.thread_time() - started
        if response.status_code != 200 or b"<Response" not in response.data:
            raise RuntimeError(f"{path}: HTTP {response.status_code} {response.data[:300]!r}")
        return spent

    return post


def play(post: Callable[[Request], float], requests: list[Request]) -> list[float]:
    """One route's batch, run inside one ``functools.reduce`` (what ``--callgrind`` counts in)."""
    return functools.reduce(lambda spent, request: [*spent, post(request)], requests, [])


def measure(app: Any, by_route: dict[str, list[Request]], profile: str | None) -> dict[str, list[float]]:
    post = poster(app)
    spent: dict[str, list[float]] = {}
    profiler = cProfile.Profile(time.thread_time) if profile else None  # CPU, not waits
    for route in ROUTES:
        requests = by_route[route]
        if profiler is not None and profile in (route, "all"):
            profiler.enable()
            spent[route] = play(post, requests)
            profiler.disable()
        else:
            spent[route] = play(post, requests)
    if profiler is not None:
        app.extensions.setdefault("bench_profiles", []).append(profiler)
    return spent


def hotline_app(tmp: Path, url: str) -> Any:
    from app import create_app

    config = write_config(tmp, free_port(), url)
    add_busy_agents(config)
    return create_app(environ={"HOTLINE_CONFIG": str(config)})


def warm_up(post: Callable[[Request], float], base: str, waits: int) -> None:
    for requests in call_requests(base, 5, waits).values():
        for request in requests:
            post(request)


def run(args: argparse.Namespace) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {}
    base_app = baseline_app()
    warm_up(poster(base_app), "http://localhost", args.waits)
    with tempfile.TemporaryDirectory(prefix="hotline-profile-") as tmp, throwaway_database() as url:
        app = hotline_app(Path(tmp), url)
        base = app.config["HOTLINE"].public_url
        try:
            warm_up(poster(app), base, args.waits)
            baseline_requests = call_requests("http://localhost", args.calls, args.waits)
            hotline_requests = call_requests(base, args.calls, args.waits)
            instrument_on(args)  # both apps are ready: from here on, valgrind counts (in ``play``)
            results["baseline"] = measure(base_app, baseline_requests, None)
            results["hotline"] = measure(app, hotline_requests, args.profile)
            for profiler in app.extensions.get("bench_profiles", []):
                print_profile(profiler, args.top)
        finally:
            stop_app(app)
    return results


def print_profile(profiler: cProfile.Profile, top: int) -> None:
    stats = pstats.Stats(profiler)
    stats.strip_dirs()
    for key in ("tottime", "cumulative"):
        print(f"\n--- cProfile by {key} ---")
        stats.sort_stats(key).print_stats(top)


def report(results: dict[str, dict[str, list[float]]]) -> None:
    print(f"\nCPU of the request's thread per webhook (ms), Flask test client, PostgreSQL; pid {os.getpid()}")
    print(f"{'route':8} {'n':>5} {'baseline mean':>14} {'median':>7} {'hotline mean':>13} {'median':>7} {'ratio':>6}")
    for route in ROUTES:
        b, h = results["baseline"][route], results["hotline"][route]
        print(f"{route:8} {len(h):5d} {statistics.fmean(b) * 1000:14.3f} {statistics.median(b) * 1000:7.3f} "
              f"{statistics.fmean(h) * 1000:13.3f} {statistics.median(h) * 1000:7.3f} "
              f"{statistics.fmean(h) / max(1e-9, statistics.fmean(b)):6.1f}")
    b_all = [x for v in results["baseline"].values() for x in v]
    h_all = [x for v in results["hotline"].values() for x in v]
    print(f"{'all':8} {len(h_all):5d} {statistics.fmean(b_all) * 1000:14.3f} {statistics.median(b_all) * 1000:7.3f} "
          f"{statistics.fmean(h_all) * 1000:13.3f} {statistics.median(h_all) * 1000:7.3f} "
          f"{statistics.fmean(h_all) / max(1e-9, statistics.fmean(b_all)):6.1f}")


# -- callgrind: instructions per request ------------------------------------------------------

def instrument_on(args: argparse.Namespace) -> None:
    """Under ``--callgrind-child``: switch valgrind's instrumentation on (it starts off, so the
    imports and app set-up run fast); collection still happens only inside ``play``."""
    if not args.callgrind_child:
        return
    control = subprocess.Popen(["callgrind_control", "-i", "on", str(os.getpid())],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while control.poll() is None:  # keep running: valgrind answers between basic blocks
        sum(range(1000))
    time.sleep(0.1)


def callgrind(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="hotline-callgrind-") as out:
        cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=no",
               "--toggle-collect=functools_reduce", "--dump-after=functools_reduce",
               f"--callgrind-out-file={out}/cg.out", sys.executable, __file__, "--callgrind-child",
               "--calls", str(args.calls), "--waits", str(args.waits)]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stdout[-3000:], done.stderr[-3000:])
            return 1
        totals = [dump_total(path) for path in sorted(Path(out).glob("cg.out.*"), key=dump_number)]
    totals = [t for t in totals if t > 0]
    if len(totals) != 2 * len(ROUTES):
        print(f"expected {2 * len(ROUTES)} counted batches, found {len(totals)}: {totals}")
        return 1
    counts = {"baseline": dict(zip(ROUTES, totals[:4], strict=True)),
              "hotline": dict(zip(ROUTES, totals[4:], strict=True))}
    per = {"voice": args.calls, "menu": args.calls, "wait": args.calls * args.waits, "status": args.calls}
    print(f"\ninstructions per webhook (callgrind), {args.calls} calls × ({3 + args.waits} webhooks)")
    print(f"{'route':8} {'baseline':>10} {'hotline':>10} {'ratio':>6}")
    for route in ROUTES:
        b, h = counts["baseline"][route] / per[route], counts["hotline"][route] / per[route]
        print(f"{route:8} {b:10,.0f} {h:10,.0f} {h / b:6.1f}")
    b = sum(counts["baseline"].values()) / sum(per.values())
    h = sum(counts["hotline"].values()) / sum(per.values())
    print(f"{'all':8} {b:10,.0f} {h:10,.0f} {h / b:6.1f}")
    return 0


def dump_number(path: Path) -> int:
    return int(path.name.rsplit(".", 1)[1]) if path.name.rsplit(".", 1)[1].isdigit() else 0


def dump_total(path: Path) -> int:
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--waits", type=int, default=6)
    parser.add_argument("--profile", choices=[*ROUTES, "all"], default=None)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--callgrind", action="store_true", help="instructions per request under valgrind")
    parser.add_argument("--callgrind-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.callgrind:
        return callgrind(args)
    results = run(args)
    if not args.callgrind_child:
        report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
