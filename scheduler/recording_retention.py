"""Recording retention: recordings older than ``recording.retention_days`` are deleted at
Twilio (REST delete) and their row is marked deleted (``deleted_at``; the row stays as the
record that the call was recorded). Runs on every scheduler tick (a tick hook), a bounded
batch at a time; idempotent — a recording Twilio no longer has (404) counts as deleted, and
one that fails for another reason is tried again on a later tick. Whatever its last known
status (a row still "in-progress" lost its final callback: no call lasts that long)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select

from core.db import session_scope
from core.telephony.gateway import GatewayError, get_gateway
from core.telephony.recordings import delete_recording
from ivr.recording_models import Recording

log = logging.getLogger(__name__)
BATCH = 50


def expired_sids(app: Flask, now: datetime, limit: int = BATCH) -> list[str]:
    cutoff = now - timedelta(days=app.config["HOTLINE"].recording.retention_days)
    with session_scope(app) as s:
        return list(s.scalars(select(Recording.recording_sid)
                              .where(Recording.deleted_at.is_(None), Recording.created_at < cutoff)
                              .order_by(Recording.created_at).limit(limit)))


def purge_expired(app: Flask, now: datetime) -> int:
    """Delete the expired recordings at Twilio and mark them; returns how many were deleted."""
    gateway = get_gateway(app)
    deleted = 0
    for sid in expired_sids(app, now):
        try:
            delete_recording(gateway, sid)
        except GatewayError as exc:
            log.warning("recording %s not deleted yet: %s", sid, exc)
            continue
        with session_scope(app) as s:
            rec = s.scalar(select(Recording).where(Recording.recording_sid == sid))
            if rec is not None and rec.deleted_at is None:
                rec.deleted_at, rec.status = now, "deleted"
                deleted += 1
    return deleted
