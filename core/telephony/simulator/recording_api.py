"""Twilio's Recordings REST resources on the simulator's REST blueprint.

``Calls/{CallSid}/Recordings.json`` POST (start call recording) / GET;
``Calls/{CallSid}/Recordings/{Sid}.json`` GET / POST (``Status``, ``PauseBehavior``) / DELETE;
``Recordings/{Sid}.json`` GET / DELETE; ``Recordings/{Sid}.wav`` (or no extension) — the
media, a real WAV (8 kHz, one channel per recorded party for dual channel) of the recorded
length. Every path sits under the account and so behind the REST blueprint's HTTP basic
auth (401 without the account SID and token), as Twilio's media protection has it.
Media of a recording still in progress, deleted or unknown: 404 (code 20404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from . import call_recording
from .call_recording import RecordingError, recorded_seconds, recording_json
from .records import Leg
from .wav import silent_wav

if TYPE_CHECKING:
    from .engine import Simulator

API = "/2010-04-01/Accounts/<account_sid>"


def _not_found(path: str) -> RecordingError:
    return RecordingError(404, 20404, f"The requested resource {path} was not found")


def _leg(sim: Simulator, call_sid: str) -> Leg:
    leg = sim.legs.get(call_sid)
    if leg is None:
        raise _not_found(f"/Calls/{call_sid}.json")
    return leg


def _recording(sim: Simulator, sid: str) -> dict[str, Any]:
    rec = sim.recordings.get(sid)
    if rec is None or rec.get("deleted"):
        raise _not_found(f"/Recordings/{sid}")
    return rec


def add_recording_routes(bp: Blueprint, sim: Simulator) -> None:
    @bp.errorhandler(RecordingError)
    def recording_error(exc: RecordingError) -> Response:
        response = jsonify({"code": exc.code, "message": exc.message, "status": exc.status,
                            "more_info": f"https://www.twilio.com/docs/errors/{exc.code}"})
        response.status_code = exc.status
        return response

    _add_call_recording_routes(bp, sim)

    @bp.get(f"{API}/Recordings/<name>")
    def recordings_get(account_sid: str, name: str) -> Response:
        sid, _, ext = name.partition(".")
        with sim.lock:
            rec = _recording(sim, sid)
            if ext == "json":
                return jsonify(recording_json(sim, rec))
            if ext not in ("", "wav") or rec.get("status", "completed") != "completed":
                raise _not_found(f"/Recordings/{name}")
            seconds, channels = recorded_seconds(sim, rec), rec.get("channels", 1)
        return Response(silent_wav(seconds, channels), mimetype="audio/x-wav")

    @bp.delete(f"{API}/Recordings/<sid>.json")
    def recordings_delete(account_sid: str, sid: str) -> tuple[str, int]:
        with sim.lock:
            call_recording.delete(sim, _recording(sim, sid))
        return "", 204


def _add_call_recording_routes(bp: Blueprint, sim: Simulator) -> None:
    base = f"{API}/Calls/<call_sid>/Recordings"

    @bp.post(f"{base}.json")
    def call_recordings_create(account_sid: str, call_sid: str) -> tuple[Response, int]:
        with sim.lock:
            rec = call_recording.start(sim, _leg(sim, call_sid), request.form)
            return jsonify(recording_json(sim, rec)), 201

    @bp.get(f"{base}.json")
    def call_recordings_list(account_sid: str, call_sid: str) -> Response:
        with sim.lock:
            leg = _leg(sim, call_sid)
            items = [recording_json(sim, r) for r in sim.recordings.values()
                     if r["call_sid"] == leg.sid and not r.get("deleted")]
        uri = f"/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/Recordings.json"
        return jsonify({"recordings": items, "page": 0, "page_size": max(50, len(items)), "start": 0,
                        "end": max(0, len(items) - 1), "uri": uri, "first_page_uri": uri,
                        "next_page_uri": None, "previous_page_uri": None})

    @bp.get(f"{base}/<sid>.json")
    def call_recordings_fetch(account_sid: str, call_sid: str, sid: str) -> Response:
        with sim.lock:
            return jsonify(recording_json(sim, call_recording.find(sim, _leg(sim, call_sid), sid)))

    @bp.post(f"{base}/<sid>.json")
    def call_recordings_update(account_sid: str, call_sid: str, sid: str) -> Response:
        with sim.lock:
            leg = _leg(sim, call_sid)
            rec = call_recording.find(sim, leg, sid)
            call_recording.update(sim, leg, rec, request.form.get("Status") or "",
                                  request.form.get("PauseBehavior"))
            return jsonify(recording_json(sim, rec))

    @bp.delete(f"{base}/<sid>.json")
    def call_recordings_delete(account_sid: str, call_sid: str, sid: str) -> tuple[str, int]:
        with sim.lock:
            call_recording.delete(sim, call_recording.find(sim, _leg(sim, call_sid), sid))
        return "", 204
