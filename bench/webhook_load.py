"""Webhook load: Hotline under gunicorn (2 workers × 4 threads, PostgreSQL) beside a bare Flask
app returning equivalent TwiML (same gunicorn settings, no database, no signature check), both
driven in the same run by the same bounded load of 200 concurrent simulated callers on loopback.

Each simulated caller plays a call's webhooks, signed like Twilio: ``/ivr/voice`` → ``/ivr/menu``
(key 1, joins the line) → ``--waits`` × the waitUrl ``/ivr/queue/wait`` → ``/ivr/status``
(completed); then the next call. Two phases per server:

- **capacity**: no think time (closed loop, 200 in flight): requests/s the server sustains;
  latency there is mostly time spent queued behind 200 concurrent requests;
- **paced**: each caller waits ``--think`` seconds between requests (200 / think requests/s
  offered — a compressed version of real calls, which send a webhook every few seconds and a
  waitUrl every 30 s): the latency a webhook sees at that rate (goal p99 < 25 ms);
- **single**: one caller, no think time: a webhook's latency on an otherwise idle server.

    python bench/webhook_load.py [--callers 200] [--seconds 12] [--think 0.5] [--waits 6]

Prints requests/s, p50 and p99 for each server and phase, and Hotline/baseline ratios.
Needs the PostgreSQL server (HOTLINE_BENCH_PG_URL, default 127.0.0.1:5432/test); the
throw-away database it creates is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from bench._harness import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    HOST,
    Server,
    add_busy_agents,
    free_port,
    percentile,
    throwaway_database,
    write_config,
)

MAX_SECONDS = 60  # hard cap per phase
CALLER_ID = "+8675512345678"


# -- the baseline: a bare Flask app answering the same TwiML ----------------------------------

def baseline_app():
    """Equivalent TwiML from a bare Flask app: no database, no signature check, no hooks."""
    from flask import Flask, Response
    from twilio.twiml.voice_response import Gather, VoiceResponse

    app = Flask("baseline")
    say = {"language": "cmn-CN", "voice": "Google.cmn-CN-Standard-A"}

    def xml(resp: VoiceResponse) -> Response:
        return Response(str(resp), mimetype="text/xml")

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.post("/ivr/voice")
    def voice():
        r = VoiceResponse()
        r.say("您好!SCC顺创客服部,请问有什么可以帮到你?", **say)
        g = Gather(input="dtmf speech", action="http://x/ivr/menu?tries=0", language="cmn-Hans-CN", timeout=5)
        g.say("报修请按1,投诉请按2,咨询请按3,缴费请按4,紧急情况请按0。", **say)
        r.append(g)
        return xml(r)

    @app.post("/ivr/menu")
    def menu():
        r = VoiceResponse()
        r.say("正在为您转接,请稍候。", **say)
        r.enqueue("hotline", wait_url="http://x/ivr/queue/wait", action="http://x/ivr/queue/done")
        return xml(r)

    @app.post("/ivr/queue/wait")
    def wait():
        r = VoiceResponse()
        g = Gather(input="dtmf speech", action="http://x/ivr/queue/option", timeout=3, num_digits=1)
        g.say("您现在排在第3位,预计等待3分钟。如需回电,请按1。", **say)
        r.append(g)
        r.pause(length=15)
        return xml(r)

    @app.post("/ivr/status")
    def status():
        return xml(VoiceResponse())

    return app


# -- the load ------------------------------------------------------------------------------------

@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    by_route: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    started: float = 0.0
    ended: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies) / max(1e-9, self.ended - self.started)


async def _post(session: aiohttp.ClientSession, base: str, validator: RequestValidator, path: str,
                form: dict[str, str], result: Result, label: str) -> None:
    signature = validator.compute_signature(base + path, form)
    started = time.perf_counter()
    kind = ""
    try:
        async with session.post(base + path, data=form, headers={"X-Twilio-Signature": signature}) as response:
            body = await response.read()
            ok = response.status == 200 and b"<Response" in body
            kind = f"HTTP {response.status}"
    except (TimeoutError, aiohttp.ClientError) as exc:
        ok = False
        kind = type(exc).__name__
    elapsed = time.perf_counter() - started
    if ok:
        result.latencies.append(elapsed)
        result.by_route.setdefault(label, []).append(elapsed)
    else:
        result.errors += 1
        result.error_kinds[f"{label} {kind}"] = result.error_kinds.get(f"{label} {kind}", 0) + 1


async def _caller(session: aiohttp.ClientSession, base: str, stop_at: float, think: float, waits: int,
                  result: Result, rng: random.Random) -> None:
    validator = RequestValidator(AUTH_TOKEN)
    if think:
        await asyncio.sleep(rng.uniform(0, think * 2))  # paced callers do not all ring at once
    while time.monotonic() < stop_at:
        sid = "CA" + uuid.uuid4().hex
        common = {"CallSid": sid, "AccountSid": ACCOUNT_SID, "From": f"+86138{rng.randrange(10**8):08d}",
                  "To": CALLER_ID, "Direction": "inbound", "ApiVersion": "2010-04-01"}
        steps = [("/ivr/voice", {**common, "CallStatus": "ringing"}, "voice"),
                 ("/ivr/menu?tries=0", {**common, "CallStatus": "in-progress", "Digits": "1"}, "menu")]
        for i in range(waits):
            steps.append(("/ivr/queue/wait", {**common, "CallStatus": "in-progress", "QueuePosition": str(i % 9 + 1),
                                              "QueueTime": str(30 * i), "AvgQueueTime": "0",
                                              "CurrentQueueSize": "10", "QueueSid": "QU" + "0" * 32}, "wait"))
        steps.append(("/ivr/status", {**common, "CallStatus": "completed", "CallDuration": "60"}, "status"))
        for path, form, label in steps:
            if time.monotonic() >= stop_at:
                return
            await _post(session, base, validator, path, form, result, label)
            if think:
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))


async def drive(port: int, callers: int, seconds: float, think: float, waits: int) -> Result:
    base = f"http://{HOST}:{port}"
    result = Result()
    connector = aiohttp.TCPConnector(limit=callers, limit_per_host=callers)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        result.started = time.perf_counter()
        stop_at = time.monotonic() + min(seconds, MAX_SECONDS)
        await asyncio.gather(*(_caller(session, base, stop_at, think, waits, result, random.Random(i))
                               for i in range(callers)))
        result.ended = time.perf_counter()
    return result


def run_phases(port: int, args: argparse.Namespace) -> dict[str, Result]:
    asyncio.run(drive(port, min(args.callers, 20), 2, 0, args.waits))  # warm-up (connections, imports)
    return {
        "single": asyncio.run(drive(port, 1, args.seconds / 2, 0, args.waits)),
        "capacity": asyncio.run(drive(port, args.callers, args.seconds, 0, args.waits)),
        "paced": asyncio.run(drive(port, args.callers, args.seconds, args.think, args.waits)),
    }


def ms(value: float) -> str:
    return f"{value * 1000:7.1f}"


def report(results: dict[str, dict[str, Result]], args: argparse.Namespace) -> None:
    print(f"\nwebhook load: {args.callers} concurrent simulated callers, {args.seconds:.0f} s per phase, "
          f"loopback, gunicorn -w {args.workers} --threads {args.threads}, paced think {args.think} s")
    print(f"{'phase':9} {'server':9} {'requests':>9} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}")
    for phase in ("single", "capacity", "paced"):
        for server in ("baseline", "hotline"):
            r = results[server][phase]
            print(f"{phase:9} {server:9} {len(r.latencies):9d} {r.rps:8.0f} {ms(percentile(r.latencies, 50))} "
                  f"{ms(percentile(r.latencies, 99))} {r.errors:6d}")
        base, hot = results["baseline"][phase], results["hotline"][phase]
        print(f"{phase:9} {'ratio':9} {'':9} {hot.rps / max(1e-9, base.rps):8.2f}  hotline/baseline throughput")
        for server in ("baseline", "hotline"):
            if results[server][phase].error_kinds:
                print(f"{'':9} {server} errors: {results[server][phase].error_kinds}")
    print("\nhotline per route (paced): " + ", ".join(
        f"{route} p50 {percentile(v, 50) * 1000:.1f} / p99 {percentile(v, 99) * 1000:.1f} ms"
        for route, v in sorted(results["hotline"]["paced"].by_route.items())))
    cap = results["hotline"]["capacity"].rps / max(1e-9, results["baseline"]["capacity"].rps)
    p99 = percentile(results["hotline"]["paced"].latencies, 99) * 1000
    print(f"\ngoals: throughput ratio {cap:.2f} (goal >= 0.60: {'met' if cap >= 0.6 else 'NOT met'}); "
          f"paced p99 {p99:.1f} ms (goal < 25 ms: {'met' if p99 < 25 else 'NOT met'})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--callers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--think", type=float, default=4.0, help="paced phase: seconds between a caller's requests")
    parser.add_argument("--waits", type=int, default=6, help="waitUrl requests per call")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker (1 = sync worker)")
    args = parser.parse_args()
    results: dict[str, dict[str, Result]] = {}
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        port = free_port()
        with Server("bench.webhook_load:baseline_app()", port, {}, workers=args.workers,
                    threads=args.threads) as server:
            results["baseline"] = run_phases(port, args)
            print(f"baseline RSS MB: {server.rss_mb()}")
        with throwaway_database() as url:
            port = free_port()
            config = write_config(Path(tmp), port, url)
            add_busy_agents(config)
            with Server("app:create_app()", port, {"HOTLINE_CONFIG": str(config)}, workers=args.workers,
                        threads=args.threads, log=Path(tmp) / "hotline.log") as server:
                results["hotline"] = run_phases(port, args)
                print(f"hotline RSS MB: {server.rss_mb()}")
            log = (Path(tmp) / "hotline.log").read_text(errors="replace")
            if "Traceback" in log:
                print("hotline log had errors:\n" + log[-3000:])
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
