"""``<Gather>`` and ``<Record>``: the verbs that listen to the party.

Gather follows Twilio's documented defaults: ``input="dtmf"``, ``timeout=5`` (counted
after the nested Say/Play/Pause end), ``finishOnKey="#"``, ``action`` = the current
document, ``method=POST``. Input may interrupt the nested audio (barge-in). The action
is requested only when input arrived (``Digits`` + ``FinishedOnKey``, or
``SpeechResult`` + ``Confidence``), or with no input when ``actionOnEmptyResult="true"``
(then with no input parameters — an assumption); otherwise the next verb runs.

Record: ``timeout=5`` s of silence, ``finishOnKey`` any key, ``maxLength=3600``. The
party's message is its next scripted ``say`` phrase (or what ``sim.say`` adds while
recording); ``RecordingDuration`` is the speaking time (Twilio trims silence by default).
Assumption: a recording with no speech at all is silent, is not stored (Twilio warning
16102) and the next verb runs without requesting ``action``. Hanging up while recording
requests ``action`` with ``Digits=hangup``. ``transcribe="true"`` posts
``transcribeCallback`` ``TRANSCRIBE_DELAY_S`` later; like Twilio's built-in
transcription it is English only: a message containing CJK text, or shorter than 2 s or
longer than 120 s, gets ``TranscriptionStatus=failed`` and no text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from .bridge import SPEECH_CONFIDENCE
from .records import new_sid, wall
from .signals import Doc, InputArrived, Sleep, expecting
from .twiml import (
    _CJK,
    AUDIO,
    SCRIPTED_INPUT_DELAY_S,
    SPEECH_AUTO_S,
    accepting,
    in_input,
    resolve,
    speaking_time,
)

if TYPE_CHECKING:
    from .engine import Simulator
    from .records import Leg
    from .twiml import Flow

TRANSCRIBE_DELAY_S = 5.0


def _digits(raw: str, num: int | None, finish: str) -> tuple[str, str | None, bool]:
    out = ""
    for ch in raw:
        if finish and ch in finish:
            return out, ch, True
        out += ch
        if num and len(out) >= num:
            return out, None, True
    return out, None, False


def gather(sim: Simulator, leg: Leg, el: ET.Element, url: str | None) -> Flow:
    kinds = set((el.get("input") or "dtmf").split())
    timeout = float(el.get("timeout") or 5)
    num = int(el.get("numDigits")) if el.get("numDigits") else None
    finish = el.get("finishOnKey", "#")
    action = resolve(url, el.get("action")) if el.get("action") else (url or "")
    method = (el.get("method") or "POST").upper()
    entry = sim.record(leg, "gather", input=" ".join(sorted(kinds)), timeout=timeout, numDigits=num,
                       language=el.get("language"), hints=el.get("hints"), action=action)
    with expecting(leg, InputArrived), accepting(leg, kinds):
        got: InputArrived | None = None
        prompting = True
        try:
            for child in el:
                yield from AUDIO[child.tag](sim, leg, child, url)
            prompting = False
            scripted = leg.party.next_input(kinds)
            if scripted:
                yield Sleep(SCRIPTED_INPUT_DELAY_S)
                got = InputArrived(*scripted)
            else:
                yield Sleep(timeout)
        except InputArrived as arrived:
            got = arrived
            if prompting:
                entry["barge_in"] = True
        params: dict[str, str] = {}
        if got is not None and got.kind == "dtmf":
            in_input(leg, {"dtmf"})
            digits, key, complete = _digits(got.value, num, finish)
            while not complete:
                try:
                    yield Sleep(timeout)
                    break
                except InputArrived as more:
                    if more.kind == "dtmf":
                        digits, key, complete = _digits(digits + more.value, num, finish)
            if digits or key:
                params = {"Digits": digits, "FinishedOnKey": key or ""}
                entry["digits"] = digits
        elif got is not None:
            in_input(leg, None)
            st = el.get("speechTimeout")
            yield Sleep(SPEECH_AUTO_S if st == "auto" else float(st or timeout))
            params = {"SpeechResult": got.value, "Confidence": str(SPEECH_CONFIDENCE)}
            entry["speech"] = got.value
    in_input(leg, None)
    if params:
        return Doc(action, method, params)
    entry["result"] = "timeout"
    if (el.get("actionOnEmptyResult") or "").lower() == "true":
        return Doc(action, method, {})
    return None


# -- <Record> ------------------------------------------------------------------------------------
def record(sim: Simulator, leg: Leg, el: ET.Element, url: str | None) -> Flow:
    timeout = float(el.get("timeout") or 5)
    max_length = float(el.get("maxLength") or 3600) or 3600.0
    finish = el.get("finishOnKey", "1234567890*#")
    ctx: dict[str, Any] = {
        "action": resolve(url, el.get("action")) if el.get("action") else (url or ""),
        "method": (el.get("method") or "POST").upper(), "texts": [], "speech_s": 0.0,
        "speaking_since": None, "pending": None, "attrs": {k: resolve(url, v) if k.endswith(
            ("Callback",)) else v for k, v in el.attrib.items()}}
    entry = sim.record(leg, "record", maxLength=max_length, timeout=timeout, finishOnKey=finish,
                       playBeep=(el.get("playBeep") or "true").lower() == "true",
                       transcribe=(el.get("transcribe") or "false").lower() == "true")
    leg.record_ctx = ctx
    deadline = sim.now + max_length
    scripted = leg.party.next_input({"speech"})
    ctx["pending"] = scripted[1] if scripted else None
    digits = None
    with expecting(leg, InputArrived), accepting(leg, {"dtmf", "speech"}):
        while (remaining := deadline - sim.now) > 0:
            speaking = ctx["pending"]
            step = min(speaking_time(speaking), remaining) if speaking else min(timeout, remaining)
            ctx["speaking_since"] = sim.now if speaking else None
            try:
                yield Sleep(step)
            except InputArrived as arrived:
                if arrived.kind == "speech":
                    ctx["texts"].append(arrived.value)
                    ctx["speech_s"] += speaking_time(arrived.value)
                    continue
                key = next((c for c in arrived.value if c in finish), None)
                if key:
                    digits = key
                    break
                continue
            if not speaking:
                break  # silence (or maxLength)
            ctx["texts"].append(speaking)
            ctx["speech_s"] += step
            ctx["pending"] = ctx["speaking_since"] = None
    in_input(leg, None)
    leg.record_ctx = None
    params = _finish_recording(sim, leg, ctx, entry)
    if params is None:
        return None
    if digits:
        params["Digits"] = digits
    return Doc(ctx["action"], ctx["method"], params)


def _finish_recording(sim: Simulator, leg: Leg, ctx: dict[str, Any], entry: dict[str, Any]) -> dict[str, str] | None:
    if ctx["speaking_since"] is not None:  # cut off while speaking
        ctx["speech_s"] += sim.now - ctx["speaking_since"]
        ctx["texts"].append(ctx["pending"])
    duration = int(round(ctx["speech_s"]))
    if duration <= 0:
        entry["result"] = "silent"
        return None
    sid = new_sid("RE")
    rec_url = f"{sim.recording_base(leg)}/recordings/{sid}"
    text = " ".join(ctx["texts"])
    sim.recordings[sid] = {"sid": sid, "call_sid": leg.sid, "duration": duration, "text": text,
                           "created_at": wall(sim.start_time, sim.now)}
    entry.update({"recording_sid": sid, "duration": duration, "text": text})
    params = {"RecordingUrl": rec_url, "RecordingDuration": str(duration), "RecordingSid": sid}
    attrs = ctx["attrs"]
    if (attrs.get("transcribe") or "false").lower() == "true":
        english = not _CJK.search(text) and 2 <= duration <= 120
        tparams = {**sim.base_params(leg), **params, "TranscriptionSid": new_sid("TR"),
                   "TranscriptionStatus": "completed" if english else "failed",
                   "TranscriptionText": text if english else "", "TranscriptionType": "fast"}
        tparams["TranscriptionUrl"] = (f"{sim.recording_base(leg)}/2010-04-01/Accounts/{leg.account_sid}"
                                       f"/Transcriptions/{tparams['TranscriptionSid']}")
        if attrs.get("transcribeCallback"):
            target = attrs["transcribeCallback"]
            sim.schedule(TRANSCRIBE_DELAY_S, lambda: sim.fire(leg, target, tparams, kind="transcribe"),
                         f"{leg.sid} transcribe")
    if attrs.get("recordingStatusCallback"):
        rparams = {"AccountSid": leg.account_sid, "CallSid": leg.sid, "RecordingSid": sid,
                   "RecordingUrl": rec_url, "RecordingStatus": "completed",
                   "RecordingDuration": str(duration), "RecordingChannels": "1",
                   "RecordingSource": "RecordVerb"}
        sim.fire(leg, attrs["recordingStatusCallback"], rparams,
                 (attrs.get("recordingStatusCallbackMethod") or "POST").upper(), kind="recording")
    return params


def record_hangup(sim: Simulator, leg: Leg) -> None:
    """The party hung up while recording: the action still gets the message, Digits=hangup."""
    ctx, leg.record_ctx = leg.record_ctx, None
    if ctx is None:
        return
    entry = next((e for e in reversed(leg.timeline) if e["verb"] == "record"), {})
    params = _finish_recording(sim, leg, ctx, entry)
    if params is not None and ctx["action"]:
        sim.fire(leg, ctx["action"], {**sim.base_params(leg), **params, "Digits": "hangup"},
                 ctx["method"], kind="action")
