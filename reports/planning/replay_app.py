"""The replay's own app: what makes it a throw-away copy that is cheap to run.

``replay_settings``: the live settings pointed at a throw-away database, the simulator on
its manual clock, no scheduler, no learned layer of the library (nobody's speech is checked).

``throwaway_pragmas``: the database is thrown away, so no fsync and temp tables in memory.
``no_live_transcription``: ``<Start>``/``<Stop>`` ``<Transcription>`` are skipped by the
replay's simulator (transcripts are not part of service level or abandonment).
``stop``: the simulator, deferred work and database connections of the app, when done.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event

from core.config import Settings, _deep_merge

PUBLIC_URL = "https://replay.hotline.invalid"


def replay_settings(base: Settings, overrides: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """The base settings on a throw-away database in ``workdir`` and a manual simulator clock,
    with the scenario's ``overrides``."""
    dumped = base.model_dump(mode="json")
    dumped["server"] = {**dumped["server"], "public_url": PUBLIC_URL, "data_dir": str(workdir / "data"),
                        "secret_key": "replay"}
    dumped["database"] = {"url": f"sqlite:///{workdir / 'replay.db'}"}
    dumped["telephony"] = {**dumped["telephony"], "mode": "simulator", "simulator_clock": "manual",
                           "account_sid": None, "auth_token": None, "simulator_calls_per_second": 1000}
    dumped["queue"] = {**dumped["queue"], "max_size": 5000}
    dumped["scheduler"] = {**dumped["scheduler"], "enabled": False}
    dumped["ops"] = {**dumped["ops"], "log_format": "text"}
    dumped["library"] = {**dumped["library"], "learned": False}  # agents' speech is never checked
    return _deep_merge(dumped, overrides)


def throwaway_pragmas(engine: Any) -> None:
    """The replay database is thrown away: no fsync, journal in memory (several times faster)."""
    @event.listens_for(engine, "connect")
    def _fast(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    engine.dispose()


def _skip_transcription(_sim: Any, _leg: Any, _el: Any, _url: str | None) -> Any:
    """``<Start>``/``<Stop>`` ``<Transcription>`` in a replay: no transcript, no callbacks."""
    return None
    yield  # pragma: no cover - a verb is a generator


def no_live_transcription(sim: Any) -> None:
    sim.verbs = {**sim.verbs, "Start": _skip_transcription, "Stop": _skip_transcription}


def stop(app: Any) -> None:
    sim = app.extensions.get("simulator")
    if sim is not None:
        sim.stop()
    for stopper in app.extensions.get("hotline_stoppers", []):
        stopper()
    app.extensions["db_engine"].dispose()
