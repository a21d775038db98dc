"""Recording the caller's call once an agent takes it (``recording.*`` settings).

- ``before_bridge(step)``: the caller's TwiML just before the agent joins — the library's
  disclosure line ("this call may be recorded", ``recording.disclosure``) — and, after the
  webhook's response, the REST request that starts a recording of the caller's call
  (``recording.channels``: dual = caller and agent on separate channels). It never runs inside
  the webhook's request (``step.after`` → ``core.ops.defer``).
- ``apply_status(s, form)``: Twilio's recording status callback → the ``Recording`` row and a
  line on the call's timeline.
- ``pause`` / ``resume``: while a caller reads out sensitive data (audited; ``NoLiveRecording``
  when nothing is being recorded).
H25: recordings are confidential — the media URL stays on the server (see
``agent_console.recordings`` for who may play it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import TYPE_CHECKING

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import Call, User
from core.telephony.gateway import GatewayError, get_gateway
from core.telephony.recordings import set_recording_status, start_call_recording
from core.twiml import absolute_url
from core.web.auth import audit
from ivr.calls import add_event, find_call
from ivr.recording_models import Recording

if TYPE_CHECKING:
    from ivr.flow import Step

log = logging.getLogger(__name__)

STATUS_PATH = "/ivr/recording/status"
LIVE = ("in-progress", "paused")
FINAL = ("completed", "absent", "failed", "deleted")
TWILIO_STATUSES = ("in-progress", "paused", "stopped", "completed", "absent", "failed", "deleted")


class NoLiveRecording(Exception):
    """The call has no recording in progress (or paused) to pause or resume."""


def before_bridge(step: Step) -> list[str]:
    """What the caller hears first in their last TwiML before the agent joins: the disclosure
    line when calls are recorded (none otherwise); the recording starts after the response."""
    settings = step.settings
    if not settings.recording.enabled or step.call is None:
        return []
    step.after.append(partial(start_recording, call_sid=step.call.call_sid))
    if not settings.recording.disclosure:
        return []
    line = step.text("recording_disclosure")
    step.event("recording_disclosed", text=line)
    return [line]


def start_recording(app: Flask, call_sid: str) -> str | None:
    """Ask Twilio to record ``call_sid`` from now (run after the webhook's response)."""
    settings = app.config["HOTLINE"]
    try:
        return start_call_recording(get_gateway(app), call_sid, channels=settings.recording.channels,
                                    callback_url=absolute_url(settings, STATUS_PATH))
    except GatewayError as exc:
        log.warning("recording of %s not started: %s", call_sid, exc, extra={"call_sid": call_sid})
        return None


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 <= number <= 10**7 else None


def _when(value: str | None) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value or "")
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def apply_status(s: Session, form: Mapping[str, str]) -> Recording | None:
    """Upsert the recording named in Twilio's status callback; note it on the call's timeline."""
    sid = (form.get("RecordingSid") or "").strip()[:64]
    call_sid = (form.get("CallSid") or "").strip()[:64]
    status = (form.get("RecordingStatus") or "").strip()
    if not sid.startswith("RE") or not call_sid or status not in TWILIO_STATUSES:
        return None
    rec = s.scalar(select(Recording).where(Recording.recording_sid == sid))
    if rec is None:
        rec = Recording(recording_sid=sid, call_sid=call_sid, created_at=utcnow())
        s.add(rec)
    if rec.deleted_at is None and not (status in LIVE and rec.status in FINAL):  # late in-progress
        rec.status = status
    duration = _int(form.get("RecordingDuration"))
    rec.duration_s = duration if duration is not None else rec.duration_s
    rec.channels = _int(form.get("RecordingChannels")) or rec.channels
    rec.source = (form.get("RecordingSource") or "")[:40] or rec.source
    url = (form.get("RecordingUrl") or "").strip()
    if url.startswith(("https://", "http://")) and len(url) <= 500:
        rec.media_url = url
    rec.started_at = _when(form.get("RecordingStartTime")) or rec.started_at
    rec.updated_at = utcnow()
    call = find_call(s, call_sid)
    if call is not None:
        add_event(s, call, "recording", status=status, recording_sid=sid, duration_s=rec.duration_s,
                  channels=rec.channels)
    return rec


def live_recording(s: Session, call_sid: str) -> Recording | None:
    return s.scalar(select(Recording).where(Recording.call_sid == call_sid, Recording.status.in_(LIVE),
                                            Recording.deleted_at.is_(None)).order_by(Recording.id.desc()))


def set_paused(s: Session, app: Flask, call: Call, user: User, paused: bool) -> Recording:
    """Pause (or resume) the call's recording at Twilio, note it and audit who did it."""
    rec = live_recording(s, call.call_sid)
    if rec is None:
        raise NoLiveRecording(call.call_sid)
    settings = app.config["HOTLINE"]
    wanted = "paused" if paused else "in-progress"
    if rec.status != wanted:
        set_recording_status(get_gateway(app), call.call_sid, rec.recording_sid, wanted,
                             settings.recording.pause_behavior)
        rec.status = wanted
        rec.updated_at = utcnow()
    kind = "recording_paused" if paused else "recording_resumed"
    add_event(s, call, kind, recording_sid=rec.recording_sid, by=user.name)
    audit(s, user.id, kind, call.call_sid, recording_sid=rec.recording_sid)
    return rec
