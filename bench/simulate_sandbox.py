"""What a throw-away database costs ``flask simulate call``: the same call played in-process
``--keep`` (into the app's own database: the baseline) and by default (a fresh migrated SQLite
copy with the app's users), alternating, in the same run.

    python bench/simulate_sandbox.py [--runs 5] [--users 50]

Prints the median and the slowest wall time per call for each way, and the difference. The
app's database is a temporary SQLite file holding ``--users`` users (copied into each
throw-away database).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CALL = ["simulate", "call", "--from", "+8613812345678", "--press", "1", "--agents", "1",
        "--at", "2026-12-01 10:00"]


def make_app(directory: Path, users: int):
    from bench._harness import simulator_app
    from core.db import session_scope
    from core.models import Role
    from core.users import create_user

    app = simulator_app(directory / "data", f"sqlite:///{directory / 'hotline.db'}")
    with session_scope(app) as s:
        for n in range(users):
            create_user(s, f"agent{n}", Role.AGENT, "password123")
    return app


def timed(runner, args: list[str]) -> float:
    started = time.perf_counter()
    result = runner.invoke(args=args)
    elapsed = time.perf_counter() - started
    if result.exit_code != 0 or '"verb": "outcome"' not in result.output:
        raise SystemExit(f"simulate call failed: {result.output[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--users", type=int, default=50)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        app = make_app(Path(name), options.users)
        runner = app.test_cli_runner()
        timed(runner, CALL + ["--keep"])  # warm imports and the library
        keep, throwaway = [], []
        for _ in range(options.runs):
            keep.append(timed(runner, CALL + ["--keep"]))
            throwaway.append(timed(runner, CALL))
    print(f"simulate call, {options.runs} runs each, {options.users} users in the app's database")
    for label, values in (("--keep (baseline)", keep), ("throw-away copy", throwaway)):
        print(f"  {label:<18} median {statistics.median(values):6.2f} s   max {max(values):6.2f} s")
    print(f"  difference         median {statistics.median(throwaway) - statistics.median(keep):+6.2f} s per call")


if __name__ == "__main__":
    main()
