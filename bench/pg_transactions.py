"""Transactions seen from PostgreSQL: ``python app.py`` (background services on: the simulator's
real-time clock, the scheduler, the console's sweeper and live updates) on a throw-away database,
counted with ``pg_stat_database`` (``xact_commit + xact_rollback``).

1. **idle**: callers waiting in line (a busy agent signed in, nobody dialled), no request
   arriving: transactions per second (goal: at most 2);
2. **per webhook**: a burst of N signed requests of one route (``/ivr/voice``, ``/ivr/menu``
   joining the line, the waitUrl ``/ivr/queue/wait``, ``/ivr/status`` completed), then quiet
   until the server's statistics are flushed; transactions in that window minus the idle rate
   over the same time, divided by N (goal: at most 1 each).

    python bench/pg_transactions.py [--callers 20] [--burst 40] [--idle-seconds 40] [--app-dir DIR]

``--app-dir`` runs another checkout's ``app.py`` (e.g. the main branch) against the same
measurement, for a before/after in one run. PostgreSQL sends a backend's counters at most once a
second and an idle backend's within about 10 s, so each window ends with 12 s of quiet; the
counter reads themselves (one transaction each, on this script's own connection) are subtracted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from bench._harness import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    HOST,
    add_busy_agents,
    free_port,
    throwaway_database,
    write_config,
)

CALLER_ID = "+8675512345678"
FLUSH_S = 12  # PostgreSQL flushes an idle backend's statistics within 10 s


class Counter:
    """``xact_commit + xact_rollback`` of one database, read on a connection of its own."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine

        self.name = url.rsplit("/", 1)[1]
        self.engine = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")

    def read(self) -> int:
        from sqlalchemy import text

        with self.engine.connect() as connection:
            connection.execute(text("SELECT pg_stat_clear_snapshot()"))
            return int(connection.execute(text(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = :n"),
                {"n": self.name}).scalar() or 0)


def post(base: str, path: str, form: dict[str, str]) -> int:
    signature = RequestValidator(AUTH_TOKEN).compute_signature(base + path, form)
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(base + path, data=data, headers={"X-Twilio-Signature": signature})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        response.read()
        return response.status


def call_form(sid: str, phone: str, **extra: str) -> dict[str, str]:
    return {"CallSid": sid, "AccountSid": ACCOUNT_SID, "From": phone, "To": CALLER_ID,
            "Direction": "inbound", "ApiVersion": "2010-04-01", **extra}


def start_app(app_dir: Path, config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HOTLINE_CONFIG": str(config), "HOTLINE_PORT": str(port)}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=app_dir, env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2):  # noqa: S310
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("app.py did not start within 60 s")


def window(counter: Counter, seconds: float) -> tuple[int, float]:
    """Transactions (the two reads excluded) and the seconds they took."""
    before, started = counter.read(), time.monotonic()
    time.sleep(seconds)
    after = counter.read()
    return after - before - 1, time.monotonic() - started


def burst(counter: Counter, idle_rate: float, requests: list[tuple[str, dict[str, str]]], base: str) -> float:
    """Transactions per request of a burst, the idle rate over the same time subtracted."""
    time.sleep(FLUSH_S)  # earlier work's statistics are in
    before, started = counter.read(), time.monotonic()
    for path, form in requests:
        assert post(base, path, form) == 200
    time.sleep(FLUSH_S)
    after = counter.read()
    elapsed = time.monotonic() - started
    return (after - before - 1 - idle_rate * elapsed) / len(requests)


def measure(app_dir: Path, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="hotline-pgx-") as tmp, throwaway_database() as url:
        port = free_port()
        config = write_config(Path(tmp), port, url)
        # as `python app.py` runs by default: the scheduler on
        config.write_text(config.read_text().replace("scheduler:\n  enabled: false\n", ""), encoding="utf-8")
        add_busy_agents(config)
        base = f"http://{HOST}:{port}"
        counter = Counter(url)
        proc = start_app(app_dir, config, port, Path(tmp) / "app.log")
        try:
            waiting = [("CA" + uuid.uuid4().hex, f"+86139{n:08d}") for n in range(args.callers)]
            for sid, phone in waiting:
                post(base, "/ivr/voice", call_form(sid, phone, CallStatus="ringing"))
                post(base, "/ivr/menu?tries=0", call_form(sid, phone, CallStatus="in-progress", Digits="1"))
            time.sleep(FLUSH_S)
            count, seconds = window(counter, args.idle_seconds)
            idle = count / seconds
            calls = [("CA" + uuid.uuid4().hex, f"+86137{n:08d}") for n in range(args.burst)]
            results = {"idle per s": idle}
            results["/ivr/voice"] = burst(counter, idle, [
                ("/ivr/voice", call_form(sid, phone, CallStatus="ringing")) for sid, phone in calls], base)
            results["/ivr/menu"] = burst(counter, idle, [
                ("/ivr/menu?tries=0", call_form(sid, phone, CallStatus="in-progress", Digits="1"))
                for sid, phone in calls], base)
            results["/ivr/queue/wait"] = burst(counter, idle, [
                ("/ivr/queue/wait", call_form(sid, phone, CallStatus="in-progress", QueuePosition="5",
                                              QueueTime=str(30 * (n % 4)), AvgQueueTime="0"))
                for n, (sid, phone) in enumerate(calls)], base)
            results["/ivr/status"] = burst(counter, idle, [
                ("/ivr/status", call_form(sid, phone, CallStatus="completed", CallDuration="60"))
                for sid, phone in calls], base)
            return results
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            counter.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--callers", type=int, default=20, help="callers waiting in line while idle")
    parser.add_argument("--burst", type=int, default=40, help="requests per route")
    parser.add_argument("--idle-seconds", type=float, default=40)
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="the checkout whose app.py runs")
    args = parser.parse_args()
    results = measure(args.app_dir.resolve(), args)
    print(f"\nPostgreSQL transactions (pg_stat_database), python app.py in {args.app_dir}, "
          f"{args.callers} callers waiting, bursts of {args.burst}, load average {os.getloadavg()[0]:.1f}")
    print(f"  idle: {results.pop('idle per s'):.2f} transactions/s (goal <= 2)")
    for route, value in results.items():
        print(f"  {route:16} {value:5.2f} transactions per request (goal <= 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
