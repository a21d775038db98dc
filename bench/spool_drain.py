"""How soon an outage's calls are in the database once PostgreSQL is back.

Callers arrive and hang up while the database refuses connections: their arrivals and final
statuses go to the fault spool. Then the database returns and the script measures the
seconds until the spool is empty and every call is stored with its final status, three ways
in the same run (the time until the first record is stored shows the wake; the rest is
the replay itself, one transaction per record):

- ``timer only`` (the baseline): nothing reaches the database; the spool's retry period
  (``ops.spool_replay_every_s``, 10 s by default) is all that drains it;
- ``/healthz``: one health check, as a load balancer makes every few seconds;
- ``next webhook``: the next caller's ``/ivr/voice``.

    python bench/spool_drain.py [--callers 20]

Loopback only, a throw-away PostgreSQL database per phase, in-process app (no server port).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import AUTH_TOKEN, PG_ADMIN_URL, free_port, stop_app, throwaway_database, write_config  # noqa: E402

LIMIT_S = 30.0


def _allow_connections(database_url: str, allowed: bool) -> None:
    from sqlalchemy import create_engine, text

    name = database_url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if allowed else "false"}'))
    admin.dispose()


def _poster(app: Any) -> Callable[..., Any]:
    from twilio.request_validator import RequestValidator

    client = app.test_client()
    base = app.config["HOTLINE"].public_url
    validator = RequestValidator(AUTH_TOKEN)

    def post(path: str, **form: str) -> Any:
        signature = validator.compute_signature(base + path, form)
        return client.post(path, data=form, headers={"X-Twilio-Signature": signature}, base_url=base)

    return post


def _stored(app: Any, sids: list[str]) -> int:
    from sqlalchemy import func, select

    from core.db import session_scope
    from core.models import Call

    with session_scope(app) as s:
        return int(s.scalar(select(func.count()).select_from(Call).where(
            Call.call_sid.in_(sids), Call.status == "completed")) or 0)


def phase(name: str, callers: int, wake: Callable[[Any, Callable[..., Any]], None]) -> tuple[float, float]:
    """Seconds from the database's return to the first record stored (the drain starts) and
    to every outage call stored as completed."""
    from app import create_app
    from core.ops.spool import get_spool

    with throwaway_database() as url, tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp), free_port(), url)
        app = create_app(environ={"HOTLINE_CONFIG": str(config)})
        try:
            post = _poster(app)
            sids = [f"CA{name[:4].encode().hex()}{n:024d}"[:34] for n in range(callers)]
            _allow_connections(url, False)
            app.extensions["db_engine"].dispose()
            for n, sid in enumerate(sids):
                post("/ivr/voice", CallSid=sid, From=f"+86139{n:08d}", CallStatus="ringing")
                post("/ivr/status", CallSid=sid, CallStatus="completed", CallDuration="30")
            spool = get_spool(app)
            assert spool.pending_count() == 2 * callers, spool.pending_count()
            _allow_connections(url, True)
            started = time.perf_counter()
            wake(app, post)
            first = None
            while spool.pending_count() and time.perf_counter() - started < LIMIT_S:
                if first is None and spool.pending_count() < 2 * callers:
                    first = time.perf_counter() - started
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
            assert _stored(app, sids) == callers, "calls missing or not completed"
            return (elapsed if first is None else first), elapsed
        finally:
            _allow_connections(url, True)
            stop_app(app)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", type=int, default=20)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the outage's own warnings would drown the numbers
    phases: dict[str, Callable[[Any, Callable[..., Any]], None]] = {
        "timer only (baseline)": lambda app, post: None,
        "/healthz": lambda app, post: app.test_client().get("/healthz"),
        "next webhook": lambda app, post: post("/ivr/voice", CallSid="CA" + "9" * 32, From="+8613999999999"),
    }
    print(f"{args.callers} callers arrive and hang up while PostgreSQL refuses connections "
          f"({2 * args.callers} spool records); seconds from its return until")
    print(f"  {'woken by':<24} {'drain starts':>12} {'all stored':>11}")
    for name, wake in phases.items():
        first, done = phase(name, args.callers, wake)
        print(f"  {name:<24} {first:10.2f} s {done:9.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
