"""The fault spool: what a webhook could not write while the database was down, kept on disk
and stored once the database is back — nothing a caller said is lost.

Each record is one small JSON file in ``<data_dir>/spool/``, written to a temporary name,
``fsync``-ed, then renamed into place (and the directory fsync-ed): a record is either whole
on disk or absent, and several gunicorn workers can write at once without sharing a file.
Names start with the time in nanoseconds, so replay keeps arrival order.

Replay (``replay(app)``) runs at start-up and on a waiter thread (``core.ops.spool_drain``) that
the first request reaching the database, or a passing health check, wakes — so the spool
drains as soon as the database answers; ``ops.spool_replay_every_s`` is only the period of
a retry nobody woke. A status or recording for a call whose arrival is still spooled joins
the spool behind it (``core.ops.spool_drain``), and replay keeps arrival order. Each record is stored in one transaction together with
its ``ops_spool_replays`` row (primary key = the record's id), then its file is removed: a
crash between commit and removal, or two workers replaying the same file, cannot store it
twice. A record that cannot be parsed is moved to ``spool/bad/`` and logged, never dropped.

Kinds: ``recording`` (a message left through the fallback → a ``message`` case with the
recording, at its original time; a transcription callback → the transcript of that case),
``call`` (a call that arrived during the outage → its Call row, in the language the fallback spoke, and a ``db_outage`` event), ``status`` (a status
callback → the Call's final status; a caller's hang-up then gets what a live one gets — the
caller's path registers it as ``app.extensions["ops_spool_call_ended"]``: leaving the line,
the recovery call-back), ``call_recording`` (a call recording's status callback → stored by
the caller's path, registered as ``app.extensions["ops_spool_recording_status"]``).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from core.cases import open_case
from core.db import session_scope, utcnow
from core.models import Call, Caller, CallEvent, Case, CaseKind, QueueEntry, QueueStatus
from core.ops.metrics import REPLAYED, SPOOLED, add_metrics
from core.ops.models import SpoolReplay
from core.paths import data_dir
from core.phone import caller_number

log = logging.getLogger(__name__)

FINAL = {"completed", "busy", "failed", "no-answer", "canceled"}
KNOWN = FINAL | {"queued", "initiated", "ringing", "in-progress"}
FORM_FIELDS = ("CallSid", "AccountSid", "From", "To", "CallStatus", "Direction", "CallDuration",
               "RecordingUrl", "RecordingDuration", "RecordingSid", "Digits", "QueueResult", "QueueTime",
               "QueuePosition", "TranscriptionText", "RecordingStatus", "RecordingChannels", "RecordingSource",
               "RecordingStartTime")


class Spool:
    def __init__(self, directory: Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.failed = False  # the last replay stopped at a database error

    def append(self, kind: str, **fields: Any) -> str:
        """Write one record durably; returns its id."""
        record_id = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:10]}"
        record = {"id": record_id, "kind": kind, "received_at": utcnow().isoformat(), **fields}
        data = json.dumps(record, ensure_ascii=False).encode()
        tmp = self.dir / f".tmp-{record_id}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.dir / f"{record_id}.json")
        dir_fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        SPOOLED.labels(kind=kind).inc()
        return record_id

    def pending(self) -> list[Path]:
        return sorted(self.dir.glob("*.json"))

    def pending_count(self) -> int:
        return sum(1 for _ in self.dir.glob("*.json"))

    def has_pending(self) -> bool:
        """Is any record waiting? (Asked by every webhook: stops at the first one found.)"""
        try:
            with os.scandir(self.dir) as entries:
                return any(entry.name.endswith(".json") for entry in entries)
        except OSError:
            return False

    def pending_for(self, call_sid: str) -> list[Path]:
        """This call's records not yet stored, in arrival order."""
        found = []
        for path in self.pending():
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError, UnicodeDecodeError):
                continue  # gone meanwhile, or unreadable (replay sets it aside)
            form = record.get("form") if isinstance(record, dict) else None
            if isinstance(form, dict) and str(form.get("CallSid", "")).strip()[:64] == call_sid:
                found.append(path)
        return found

    @contextmanager
    def replaying(self) -> Iterator[None]:
        """Hold the replay turn of this process (one replay at a time keeps arrival order)."""
        with self._lock:
            yield

    def replay(self, app: Flask, call_sid: str | None = None, wait: bool = True) -> int | None:
        """Store pending records (only ``call_sid``'s when given), in arrival order; stops at
        the first database error (retried later). With ``wait=False`` returns None at once
        when another replay in this process has the turn."""
        if not self._lock.acquire(blocking=wait):
            return None
        try:
            paths = self.pending_for(call_sid) if call_sid else self.pending()
            stored = self._replay(app, paths)
        finally:
            self._lock.release()
        if stored:
            log.info("spool: stored %d record(s) in the database", stored)
        return stored

    def _replay(self, app: Flask, paths: list[Path]) -> int:
        stored = 0
        self.failed = False
        for path in paths:
            record = self._read(path)
            if record is None:
                continue
            after: list[Callable[[Flask], Any]] = []
            try:
                with session_scope(app) as s:
                    new = _store(s, app, record, after)
            except IntegrityError:
                new = False  # stored by another worker meanwhile (ledger row exists)
            except SQLAlchemyError as exc:
                log.warning("spool: database still unavailable (%s); %d record(s) wait",
                            type(exc).__name__, self.pending_count())
                self.failed = True
                break
            if new:
                stored += 1
                REPLAYED.labels(kind=str(record["kind"])[:20]).inc()
            path.unlink(missing_ok=True)
            _run_after(app, after)
        return stored

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(record, dict) or "id" not in record or "kind" not in record:
                raise ValueError("not a spool record")
        except FileNotFoundError:
            return None  # another worker stored it
        except (ValueError, UnicodeDecodeError) as exc:
            bad = self.dir / "bad"
            bad.mkdir(exist_ok=True)
            os.replace(path, bad / path.name)
            log.error("spool: %s is unreadable (%s); moved to %s", path.name, exc, bad)
            return None
        return record


def _run_after(app: Flask, after: list[Callable[[Flask], Any]]) -> None:
    """What follows a replayed record's commit (dispatch, ending an agent's ringing leg), as
    after a live webhook: logged when it fails, never undoing the stored record."""
    for action in after:
        try:
            action(app)
        except Exception:  # noqa: BLE001
            log.exception("spool: follow-up work of a replayed record failed")


def get_spool(app: Flask) -> Spool | None:
    return app.extensions.get("ops_spool")


def _when(record: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(record.get("received_at")))
    except ValueError:
        return utcnow()


def _locale(app: Flask, record: dict[str, Any], caller: Any) -> str:
    """The language the call heard: the fallback's (in the record), else the caller's, else
    the company default — never none (the live path records it on the first webhook)."""
    settings = app.config["HOTLINE"]
    for locale in (record.get("locale"), getattr(caller, "locale", None)):
        if locale in settings.voices:
            return str(locale)
    return settings.company.default_locale


def _call(s: Session, app: Flask, record: dict[str, Any], form: dict[str, str],
          when: datetime) -> tuple[Any, bool]:

    settings = app.config["HOTLINE"]
    sid = (form.get("CallSid") or "").strip()[:64]
    if not sid:
        return None, False
    call = s.scalar(select(Call).where(Call.call_sid == sid))
    if call is not None:
        if call.locale is None:
            call.locale = _locale(app, record, call.caller)
        return call, False
    caller = None
    phone = caller_number(form.get("From"), settings.campaigns.default_region)
    direction = (form.get("Direction") or "inbound")[:20]
    if phone is not None and direction == "inbound":
        caller = s.scalar(select(Caller).where(Caller.phone == phone))
        if caller is None:
            caller = Caller(phone=phone)
            s.add(caller)
            s.flush()
    status = form.get("CallStatus") if form.get("CallStatus") in KNOWN else "ringing"
    call = Call(call_sid=sid, direction=direction, purpose="caller",
                from_number=(form.get("From") or "")[:80] or None, to_number=(form.get("To") or "")[:80] or None,
                caller=caller, status=status, started_at=when, locale=_locale(app, record, caller))
    s.add(call)
    s.flush()
    return call, True


def _store(s: Session, app: Flask, record: dict[str, Any], after: list[Callable[[Flask], Any]]) -> bool:
    """Store one record with its ledger row; False when it was stored before. Work that must
    follow the commit is appended to ``after``."""

    settings = app.config["HOTLINE"]
    record_id = str(record["id"])[:64]
    if s.get(SpoolReplay, record_id) is not None:
        return False
    kind = str(record["kind"])
    form = {k: str(v) for k, v in (record.get("form") or {}).items()}
    when = _when(record)
    call, created = _call(s, app, record, form, when)
    case_id = None
    if call is not None and (created or kind == "call"):
        s.add(CallEvent(call=call, kind="db_outage", at=when,
                        detail={"path": record.get("path"), "spool_id": record_id, "record": kind}))
    if kind == "recording":
        url = form.get("RecordingUrl", "")
        url = url if url.startswith(("https://", "http://")) else ""
        duration = form.get("RecordingDuration", "")
        existing = None
        if call is not None:
            existing = s.scalar(select(Case).where(Case.call_id == call.id, Case.kind == CaseKind.MESSAGE))
        transcript = form.get("TranscriptionText", "").strip() or None  # a transcription callback
        if existing is not None:
            existing.recording_url = existing.recording_url or url or None
            existing.transcript = existing.transcript or transcript
            case_id = existing.id
        else:
            local = when.replace(tzinfo=ZoneInfo("UTC")).astimezone(settings.hours.zone)
            note = (f"Message left {local:%Y-%m-%d %H:%M} ({settings.hours.timezone}) while the database "
                    f"was unavailable; kept in the fault spool and stored {utcnow():%Y-%m-%d %H:%M} UTC.")
            case = open_case(s, settings, kind=CaseKind.MESSAGE, source="voicemail",
                             caller_id=call.caller_id if call else None, call_id=call.id if call else None,
                             contact_number=call.caller.phone if call and call.caller else None,
                             description=note, recording_url=url or None)
            case.transcript = transcript
            case.outcome = {"left_at_local": local.isoformat(), "reason": "db_outage",
                            "recording_duration_s": int(duration) if duration.isdigit() else 0}
            case_id = case.id
    elif kind == "call_recording":
        stored = app.extensions.get("ops_spool_recording_status")  # the caller's path registers it
        if stored is not None:
            stored(s, form)
    elif kind == "status" and call is not None:
        status = form.get("CallStatus", "")
        if status in KNOWN and call.status not in FINAL:
            call.status = status
            s.add(CallEvent(call=call, kind="status", at=when, detail={"status": status, "spooled": True}))
            if status in FINAL:
                call.ended_at = call.ended_at or when
                raw = form.get("CallDuration", "")
                call.duration_s = float(raw) if raw.isdigit() else max(0.0, (when - call.started_at).total_seconds())
                _call_ended(s, app, call, status, when, after)
    s.add(SpoolReplay(spool_id=record_id, kind=kind[:20], call_sid=(form.get("CallSid") or None),
                      received_at=when, case_id=case_id))
    s.flush()
    return True


def _call_ended(s: Session, app: Flask, call: Any, status: str, when: datetime,
                after: list[Callable[[Flask], Any]]) -> None:
    """The call ended during the outage. The caller's path decides what a hang-up means (out
    of the line, a recovery call-back after a long wait — as for a live hang-up); without it,
    the call at least leaves the line (else it would count ahead of everyone behind it)."""
    ended = app.extensions.get("ops_spool_call_ended")
    if ended is not None:
        after.extend(ended(s, app, call, status, when))
        return
    _leave_line(s, call, when)


def _leave_line(s: Session, call: Any, when: datetime) -> None:
    entries = s.scalars(select(QueueEntry).where(
        QueueEntry.call_id == call.id, QueueEntry.status.in_([QueueStatus.WAITING, QueueStatus.OFFERED])))
    for entry in entries:
        entry.status = QueueStatus.ABANDONED
        entry.ended_at = entry.ended_at or when


def pending_metrics(app: Flask, _now: Any) -> Iterator[GaugeMetricFamily]:
    """``/metrics``: records in the fault spool not yet stored in the database."""
    pending = GaugeMetricFamily("hotline_spool_pending", "Fault-spool records not yet in the database")
    spool = get_spool(app)
    pending.add_metric([], spool.pending_count() if spool else 0)
    yield pending


def init_app(app: Flask) -> None:
    app.extensions["ops_spool"] = Spool(data_dir(app.config["HOTLINE"]) / "spool")
    add_metrics(app, pending_metrics)
