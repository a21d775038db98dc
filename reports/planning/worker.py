"""Runs one what-if replay requested from the lead's page, in a process of its own (the app's
clock is process-wide, so a replay never shares a process with the live app).

``python -m reports.planning.worker RUN_ID`` reads the live app's settings as JSON on stdin,
runs the replay recorded in ``planning_replay_runs`` and stores its result (or the error).
``start(app, run_id)`` launches it from a view and returns at once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import date
from typing import Any

from sqlalchemy.orm import sessionmaker

from core import db as core_db
from core.config import Settings
from core.db import utcnow
from core.paths import REPO_ROOT, database_url
from reports.planning import whatif
from reports.planning.models import ReplayRun
from reports.planning.whatif import Request


def start(app: Any, run_id: int) -> None:
    """Launch the worker for ``run_id``; a thread waits for it so no zombie is left."""
    payload = json.dumps(app.config["HOTLINE"].model_dump(mode="json"))
    proc = subprocess.Popen([sys.executable, "-m", "reports.planning.worker", str(run_id)],  # noqa: S603
                            cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, text=True)
    threading.Thread(target=proc.communicate, args=(payload,), daemon=True, name=f"replay-{run_id}").start()
    app.extensions.setdefault("planning_workers", []).append(proc)


def request_of(run: Any) -> Any:
    scenario = dict(run.scenario or {})
    return Request(day=run.day, source=run.source, seed=run.seed, **scenario)


def main(run_id: int, settings_json: str) -> int:
    core_db.import_all_models()
    settings = Settings.model_validate(json.loads(settings_json))
    engine = core_db.make_engine(database_url(settings))
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    run = session.get(ReplayRun, run_id)
    if run is None:
        return 2
    try:
        result = whatif.run(session, settings, request_of(run))
        run.status, run.result = "done", json.loads(json.dumps(result, default=_plain))
    except Exception as exc:  # noqa: BLE001 - recorded on the run for the lead to see
        session.rollback()
        run = session.get(ReplayRun, run_id)
        assert run is not None
        run.status, run.error = "failed", str(exc)[:2000]
    run.finished_at = utcnow()
    session.commit()
    session.close()
    engine.dispose()
    return 0


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else str(value)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), sys.stdin.read()))
