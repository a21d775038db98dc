"""The replay's own app: deferred work run in its thread, a migrated database copied, the
simulator's webhooks and REST calls made directly, and what a replay reports of them."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import inspect

from core import db as core_db
from core.config import load_settings
from core.ops import defer, drain
from core.ops.deferred import in_deferred_work
from reports import kpis
from reports.planning import arrivals, replay, replay_app
from reports.planning.days import day_start


def test_deferred_work_runs_in_order_in_the_replay_thread_when_the_clock_settles() -> None:
    app = Flask("replay-deferred")
    done: list[tuple[str, bool, bool, str]] = []

    def work(name: str, then: str | None = None, fail: bool = False):
        def run(app_: Flask) -> None:
            assert drain(app_) is False  # draining from inside deferred work would wait for itself
            done.append((name, in_deferred_work(), threading.current_thread() is threading.main_thread(),
                         current_app.name))
            if then:
                defer(app_, work(then))
            if fail:
                raise RuntimeError("logged, not raised")
        return run

    deferred = replay_app.InlineDeferred(app)
    app.extensions["ops_deferred"] = deferred
    defer(app, work("a", then="c", fail=True))
    defer(app, work("b"))
    assert done == []  # nothing runs before the clock settles
    assert drain(app) is True
    assert done == [(n, True, True, "replay-deferred") for n in ("a", "b", "c")]
    assert not in_deferred_work()
    deferred.stop()


def test_fresh_database_is_a_migrated_copy_and_keeps_an_existing_one(tmp_path: Path) -> None:
    replay_app.fresh_database(tmp_path / "one")
    engine = core_db.make_engine(f"sqlite:///{tmp_path / 'one' / 'replay.db'}")
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"calls", "users", "queue_entries", "alembic_version"} <= tables
    kept = tmp_path / "two" / "replay.db"
    kept.parent.mkdir()
    kept.write_bytes(b"not replaced")
    replay_app.fresh_database(kept.parent)
    assert kept.read_bytes() == b"not replaced"


def test_a_replay_counts_its_webhooks_without_keeping_them(tmp_path: Path) -> None:
    settings = load_settings({}, {"hours": {"open": "00:00-24:00"}})
    rates = [0.0] * 48
    rates[18] = 6
    callers = arrivals.synthetic_day(settings, rates, [60.0] * 48, None, seed=2)
    staff = [0] * 48
    staff[18] = staff[19] = 2
    result = replay.run(settings, day_start(settings, date(2026, 11, 23)), callers, replay.Scenario(staffing=staff),
                        seed=2, workdir=tmp_path)
    assert result.errors == []
    answered = [r for r in result.rows if r.inbound and r.outcome == kpis.ANSWERED]
    assert len(answered) == len(callers) > 0
    by_path = result.requests_by_path
    assert by_path["/ivr/voice"] == by_path["/ivr/status"] == len(callers)
    assert by_path["/ivr/agent/answer"] == len(callers)  # legs placed by REST, answered, bridged
    assert result.requests == sum(by_path.values())
    cpu = result.cpu_s  # the webhooks and their follow-up work (dispatch, placing legs) are part of it
    assert cpu["webhooks"] > 0 and cpu["follow_up"] > 0 and cpu["webhooks"] + cpu["follow_up"] < cpu["total"]
