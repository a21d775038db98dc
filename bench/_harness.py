"""Shared harness of the operations benchmarks: a throw-away PostgreSQL database, a
prepared Hotline configuration, an in-process app on the simulator (and stopping one), gunicorn
processes on loopback ports, and percentile maths.

Loopback only: every server binds 127.0.0.1 on a free port; every loop is bounded in time
and count; the throw-away database is dropped at the end, whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("HOTLINE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "f" * 32
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    """A new PostgreSQL database (migrated), dropped afterwards."""
    from sqlalchemy import create_engine, text

    from core import db as core_db

    name = f"hotline_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        engine = core_db.make_engine(url)
        core_db.migrate(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def write_config(directory: Path, port: int, database_url: str, extra: str = "") -> Path:
    path = directory / "hotline.yaml"
    path.write_text(f"""
server:
  host: {HOST}
  port: {port}
  public_url: http://{HOST}:{port}
  data_dir: {directory / 'data'}
  secret_key: bench-secret
database:
  url: {database_url}
telephony:
  mode: simulator
  account_sid: {ACCOUNT_SID}
  auth_token: {AUTH_TOKEN}
  simulator_calls_per_second: 1000
hours:
  open: "00:00-24:00"
queue:
  max_size: 5000
scheduler:
  enabled: false
ops:
  log_format: text
{extra}
""", encoding="utf-8")
    return path


def add_busy_agents(config: Path, count: int = 1) -> None:
    """Agents logged in but busy: callers join the line, nobody is dialled."""
    env = {"HOTLINE_CONFIG": str(config)}
    from app import create_app
    from core.db import session_scope
    from core.models import Presence
    from core.users import create_user

    app = create_app(environ=env)
    with session_scope(app) as s:
        for i in range(count):
            user, _, _ = create_user(s, f"bench-agent-{i}", "agent", "bench-password-1",
                                     endpoint=f"client:bench{i}")
            user.presence = Presence.BUSY
    stop_app(app)


def simulator_app(data_dir: Path, database_url: str, clock: str = "manual", **sections: dict[str, Any]) -> Any:
    """Hotline in this process on the simulator (``clock``: ``manual`` or ``realtime``), its data
    in ``data_dir``, public at https://hotline.bench, 1,000 simulated calls a second allowed and
    no scheduler thread; each of ``sections`` (``hours={...}``) adds to the settings of that name.
    Stop it with ``stop_app``."""
    from app import create_app

    overrides: dict[str, dict[str, Any]] = {
        "server": {"public_url": "https://hotline.bench", "data_dir": str(data_dir), "secret_key": "bench"},
        "database": {"url": database_url},
        "telephony": {"mode": "simulator", "simulator_clock": clock, "simulator_calls_per_second": 1000},
        "scheduler": {"enabled": False},
    }
    for name, values in sections.items():
        overrides[name] = {**overrides.get(name, {}), **values}
    return create_app(overrides=overrides, environ={})


def stop_app(app: Any) -> None:
    """Stop what create_app started in this process (simulator clock, live-update listener)."""
    sim = app.extensions.get("simulator")
    if sim is not None:
        sim.stop()
    for stop in app.extensions.get("hotline_stoppers", []):
        stop()
    broker = app.extensions.get("console_broker")
    if broker is not None and hasattr(broker, "close"):
        broker.close()
    app.extensions["db_engine"].dispose()


class Server:
    """gunicorn serving ``spec`` on a loopback port; stopped (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, spec: str, port: int, env: dict[str, str], workers: int = 2, threads: int = 4,
                 log: Path | None = None, extra_args: list[str] | None = None):
        self.spec, self.port, self.workers, self.threads = spec, port, workers, threads
        self.extra_args = list(extra_args or [])
        self.env = {**os.environ, **env}
        self.log = log or Path(tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        cmd = [sys.executable, "-m", "gunicorn", "-w", str(self.workers), "--threads", str(self.threads),
               "-b", f"{HOST}:{self.port}", "--backlog", "2048", "--timeout", "60", "--log-level", "warning",
               *self.extra_args, self.spec]
        self.log_file = self.log.open("wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/healthz", timeout=2) as r:  # noqa: S310
                    if r.status in (200, 503):
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start within 60 s")
        return self

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of the master and each worker (MB)."""
        assert self.proc is not None
        result = {}
        for label, pid in [("master", self.proc.pid)] + [(f"worker {p}", p) for p in self.worker_pids()]:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        result[label] = int(line.split()[1]) / 1024
            except OSError:
                pass
        return result

    def __exit__(self, *exc: Any) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.log_file.close()
