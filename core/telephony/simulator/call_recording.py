"""Call recordings started through the REST API ("start call recording"): pause, resume,
stop, the recording status callbacks, the media, deletion.

Twilio's Call Recordings resource: ``calls(sid).recordings.create(recording_channels=…,
recording_status_callback=…, recording_status_callback_event=[…],
recording_status_callback_method=…)`` on a call in progress (else error 21220);
``update(status="paused"|"in-progress"|"stopped", pause_behavior="skip"|"silence")``
(``silence``, the default, keeps the paused time as silence; ``skip`` leaves it out); the
recording ends (``completed``) when stopped or when the call ends. Status callback events:
``in-progress``, ``completed``, ``absent`` (default ``completed``), with ``AccountSid``,
``CallSid``, ``RecordingSid``, ``RecordingUrl``, ``RecordingStatus``, ``RecordingDuration``,
``RecordingChannels``, ``RecordingStartTime``, ``RecordingSource=StartCallRecordingAPI``,
``RecordingTrack``, ``ErrorCode``. The media is ``RecordingUrl`` + ``.wav``, served behind
the account's HTTP basic auth.

Assumptions (Twilio does not say): a recording with less than one second of audio ends
``absent``; ``RecordingDuration`` is left out of the ``in-progress`` callback; ``Twilio.CURRENT``
names the call's latest recording that is in progress or paused.
All functions run with ``sim.lock`` held and only change state and schedule events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .records import Leg, new_sid, rfc2822, wall

if TYPE_CHECKING:
    from .engine import Simulator

SOURCE = "StartCallRecordingAPI"
EVENTS = frozenset({"in-progress", "completed", "absent"})
LIVE = ("in-progress", "paused")
CURRENT = "Twilio.CURRENT"


class RecordingError(Exception):
    """A request Twilio refuses: ``status``/``code`` as Twilio answers it."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def media_url(sim: Simulator, leg: Leg, sid: str) -> str:
    """Twilio's ``RecordingUrl``: the resource's address without an extension."""
    return f"{sim.recording_base(leg)}/2010-04-01/Accounts/{leg.account_sid}/Recordings/{sid}"


def _events(values: list[str]) -> set[str]:
    events = {word for value in values for word in value.replace(",", " ").split()}
    unknown = events - EVENTS
    if unknown:
        raise RecordingError(400, 21626, f"Invalid RecordingStatusCallbackEvent: {sorted(unknown)[0]}")
    return events or {"completed"}


def start(sim: Simulator, leg: Leg, form: Any) -> dict[str, Any]:
    """REST create on ``leg``: a new recording, in progress from now."""
    channels = (form.get("RecordingChannels") or "mono").lower()
    if channels not in ("mono", "dual"):
        raise RecordingError(400, 21201, "RecordingChannels must be mono or dual")
    method = (form.get("RecordingStatusCallbackMethod") or "POST").upper()
    if method not in ("GET", "POST"):
        raise RecordingError(400, 21201, "RecordingStatusCallbackMethod must be GET or POST")
    events = _events(form.getlist("RecordingStatusCallbackEvent"))
    if leg.status != "in-progress":
        raise RecordingError(400, 21220, "Call is not in-progress. Cannot create recording.")
    sid = new_sid("RE")
    rec = {"sid": sid, "call_sid": leg.sid, "kind": "call", "status": "in-progress",
           "channels": 2 if channels == "dual" else 1, "source": SOURCE,
           "track": form.get("RecordingTrack") or "both", "start_t": sim.now, "end_t": None,
           "paused_t": None, "pause_behavior": "silence", "skipped_s": 0.0, "duration": 0,
           "created_at": wall(sim.start_time, sim.now), "url": media_url(sim, leg, sid),
           "callback": form.get("RecordingStatusCallback") or None, "callback_method": method,
           "events": events, "text": ""}
    sim.recordings[sid] = rec
    sim.record(leg, "recording", event="started", recording_sid=sid, channels=rec["channels"])
    _callback(sim, leg, rec, "in-progress")
    return rec


def find(sim: Simulator, leg: Leg, sid: str) -> dict[str, Any]:
    """The call's recording ``sid`` (or ``Twilio.CURRENT``), else error 20404."""
    if sid == CURRENT:
        live = [r for r in sim.recordings.values() if r["call_sid"] == leg.sid and r.get("status") in LIVE]
        if live:
            return live[-1]
    rec = sim.recordings.get(sid)
    if rec is None or rec["call_sid"] != leg.sid or rec.get("deleted"):
        raise RecordingError(404, 20404, f"The requested resource /Calls/{leg.sid}/Recordings/{sid}.json "
                                         "was not found")
    return rec


def update(sim: Simulator, leg: Leg, rec: dict[str, Any], status: str, pause_behavior: str | None) -> None:
    """``status`` = ``paused`` | ``in-progress`` | ``stopped`` on a live recording."""
    if status not in ("paused", "in-progress", "stopped"):
        raise RecordingError(400, 21201, "Status must be paused, in-progress or stopped")
    if pause_behavior not in (None, "", "skip", "silence"):
        raise RecordingError(400, 21201, "PauseBehavior must be skip or silence")
    if rec.get("status") not in LIVE:
        raise RecordingError(400, 21220, f"Recording is {rec.get('status')}: it cannot be {status}")
    if status == "stopped":
        finish(sim, leg, rec)
    elif status == "paused" and rec["status"] == "in-progress":
        rec.update(status="paused", paused_t=sim.now, pause_behavior=pause_behavior or "silence")
        sim.record(leg, "recording", event="paused", recording_sid=rec["sid"],
                   pause_behavior=rec["pause_behavior"])
    elif status == "in-progress" and rec["status"] == "paused":
        _close_pause(sim, rec)
        rec["status"] = "in-progress"
        sim.record(leg, "recording", event="resumed", recording_sid=rec["sid"])


def _close_pause(sim: Simulator, rec: dict[str, Any]) -> None:
    if rec["paused_t"] is not None and rec["pause_behavior"] == "skip":
        rec["skipped_s"] += sim.now - rec["paused_t"]
    rec["paused_t"] = None


def recorded_seconds(sim: Simulator, rec: dict[str, Any]) -> float:
    """Seconds of audio: from start to end (or now), less the paused time that was skipped."""
    if rec.get("kind") != "call":
        return float(rec["duration"])
    end = rec["end_t"] if rec["end_t"] is not None else sim.now
    skipped = rec["skipped_s"]
    if rec["paused_t"] is not None and rec["pause_behavior"] == "skip":
        skipped += end - rec["paused_t"]
    return max(0.0, end - rec["start_t"] - skipped)


def finish(sim: Simulator, leg: Leg, rec: dict[str, Any]) -> None:
    """Stopped, or the call ended: the recording is complete (``absent`` under a second)."""
    if rec.get("status") not in LIVE:
        return
    _close_pause(sim, rec)
    rec["end_t"] = sim.now
    rec["duration"] = int(round(recorded_seconds(sim, rec)))
    rec["status"] = "completed" if rec["duration"] >= 1 else "absent"
    sim.record(leg, "recording", event=rec["status"], recording_sid=rec["sid"], duration=rec["duration"])
    _callback(sim, leg, rec, rec["status"])


def leg_gone(sim: Simulator, leg: Leg) -> None:
    """The call ended: every recording of it still going is complete."""
    for rec in list(sim.recordings.values()):
        if rec["call_sid"] == leg.sid and rec.get("status") in LIVE:
            finish(sim, leg, rec)


def delete(sim: Simulator, rec: dict[str, Any]) -> None:
    if rec.get("status") in LIVE:
        raise RecordingError(400, 21220, "A recording in progress cannot be deleted; stop it first")
    rec["deleted"] = True
    rec["status"] = "deleted"


def _callback(sim: Simulator, leg: Leg, rec: dict[str, Any], status: str) -> None:
    if not rec["callback"] or status not in rec["events"]:
        return
    params = {"AccountSid": leg.account_sid, "CallSid": leg.sid, "RecordingSid": rec["sid"],
              "RecordingUrl": rec["url"], "RecordingStatus": status,
              "RecordingChannels": str(rec["channels"]),
              "RecordingStartTime": rfc2822(wall(sim.start_time, rec["start_t"])),
              "RecordingSource": SOURCE, "RecordingTrack": rec["track"], "ErrorCode": "0"}
    if status != "in-progress":
        params["RecordingDuration"] = str(rec["duration"])
    sim.fire(leg, rec["callback"], params, rec["callback_method"], kind="recording")


def recording_json(sim: Simulator, rec: dict[str, Any]) -> dict[str, Any]:
    """The Recording resource as Twilio's REST API returns it."""
    uri = f"/2010-04-01/Accounts/{sim.account_sid}/Recordings/{rec['sid']}"
    live = rec.get("status") in LIVE
    start_t = rec.get("start_t")
    return {
        "sid": rec["sid"], "account_sid": sim.account_sid, "api_version": "2010-04-01",
        "call_sid": rec["call_sid"], "conference_sid": None, "status": rec.get("status", "completed"),
        "channels": rec.get("channels", 1), "source": rec.get("source", "RecordVerb"),
        "track": rec.get("track", "both"),
        "duration": "-1" if live else str(rec["duration"]),
        "date_created": rfc2822(rec["created_at"]), "date_updated": rfc2822(wall(sim.start_time, sim.now)),
        "start_time": rfc2822(wall(sim.start_time, start_t)) if start_t is not None else rfc2822(rec["created_at"]),
        "price": None, "price_unit": "USD", "error_code": None, "encryption_details": None,
        "uri": uri + ".json", "media_url": f"{rec.get('url') or uri}.wav", "subresource_uris": {},
    }
