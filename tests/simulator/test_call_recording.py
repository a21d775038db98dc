"""Call recordings through the REST API: start (dual channel), pause/resume, status callbacks,
the WAV behind basic auth, fetch and delete — through the real ``twilio`` client."""

from __future__ import annotations

import base64
import io
import wave

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from core.telephony.simulator import CallerScript, Simulator

from .conftest import ACCOUNT_SID, CALLER, HOTLINE, PUBLIC, TOKEN, Hooks, twiml, verbs


def _long_call(sim: Simulator, hooks: Hooks, hangup_after_s: float = 100) -> str:
    hooks.on("/voice", twiml(lambda r: (r.say("Hello."), r.pause(length=300))))
    hooks.on("/status")
    hooks.on("/rec")
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(hangup_after_s=hangup_after_s))
    sim.advance(5)
    return sid


def _start(twilio: Client, sid: str, events: list[str] | None = None):
    return twilio.calls(sid).recordings.create(
        recording_channels="dual", recording_status_callback=f"{PUBLIC}/rec",
        recording_status_callback_event=events or ["in-progress", "completed", "absent"],
        recording_status_callback_method="POST")


def _media(hooks: Hooks, url: str, auth: tuple[str, str] | None = (ACCOUNT_SID, TOKEN)):
    headers = {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    return hooks.app.test_client().get(url.removeprefix(PUBLIC) + ".wav", base_url=PUBLIC, headers=headers)


def test_dual_channel_recording_until_the_call_ends(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    sid = _long_call(sim, hooks)
    rec = _start(twilio, sid)
    assert rec.sid.startswith("RE") and rec.status == "in-progress" and rec.channels == 2
    assert rec.source == "StartCallRecordingAPI" and rec.call_sid == sid
    sim.run_until_idle()
    started, done = hooks.hits("/rec")
    assert started["RecordingStatus"] == "in-progress" and "RecordingDuration" not in started
    assert done["RecordingStatus"] == "completed" and done["RecordingDuration"] == "95"  # 5 s → 100 s
    assert done["RecordingChannels"] == "2" and done["RecordingSource"] == "StartCallRecordingAPI"
    assert done["CallSid"] == sid and done["RecordingSid"] == rec.sid and done["ErrorCode"] == "0"
    assert done["RecordingStartTime"] and done["AccountSid"] == ACCOUNT_SID
    assert done["RecordingUrl"] == f"{PUBLIC}/simulator/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{rec.sid}"
    media = _media(hooks, done["RecordingUrl"])
    assert media.status_code == 200 and media.mimetype in ("audio/x-wav", "audio/wav")
    with wave.open(io.BytesIO(media.data)) as w:
        assert w.getnchannels() == 2 and round(w.getnframes() / w.getframerate()) == 95
    fetched = twilio.recordings(rec.sid).fetch()
    assert (fetched.status, fetched.duration, fetched.channels) == ("completed", "95", 2)
    events = [e["event"] for e in verbs(sim.timeline(sid), "recording")]
    assert events == ["started", "completed"]


def test_media_needs_the_account_credentials(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    sid = _long_call(sim, hooks, hangup_after_s=30)
    rec = _start(twilio, sid)
    sim.run_until_idle()
    url = hooks.hits("/rec")[-1]["RecordingUrl"]
    assert _media(hooks, url, auth=None).status_code == 401
    assert _media(hooks, url, auth=(ACCOUNT_SID, "wrong")).status_code == 401
    assert _media(hooks, url).status_code == 200
    # the unauthenticated path of <Record> messages does not serve call recordings
    assert hooks.app.test_client().get(f"/simulator/recordings/{rec.sid}.wav").status_code == 404


@pytest.mark.parametrize(("behaviour", "expected"), [("skip", 75), ("silence", 95)])
def test_pause_and_resume(sim: Simulator, hooks: Hooks, twilio: Client, behaviour: str, expected: int) -> None:
    sid = _long_call(sim, hooks)
    rec = _start(twilio, sid)
    sim.advance(10)
    paused = twilio.calls(sid).recordings(rec.sid).update(status="paused", pause_behavior=behaviour)
    assert paused.status == "paused"
    sim.advance(20)
    assert twilio.calls(sid).recordings("Twilio.CURRENT").update(status="in-progress").status == "in-progress"
    sim.run_until_idle()
    done = hooks.hits("/rec")[-1]
    assert done["RecordingDuration"] == str(expected)
    with wave.open(io.BytesIO(_media(hooks, done["RecordingUrl"]).data)) as w:
        assert round(w.getnframes() / w.getframerate()) == expected
    events = [e["event"] for e in verbs(sim.timeline(sid), "recording")]
    assert events == ["started", "paused", "resumed", "completed"]


def test_stop_then_refusals_and_delete(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    sid = _long_call(sim, hooks)
    rec = _start(twilio, sid, events=["completed"])
    sim.advance(12)
    assert twilio.calls(sid).recordings(rec.sid).update(status="stopped").status == "completed"
    with pytest.raises(TwilioRestException) as refused:
        twilio.calls(sid).recordings(rec.sid).update(status="paused")
    assert refused.value.code == 21220
    sim.run_until_idle()
    assert [h["RecordingStatus"] for h in hooks.hits("/rec")] == ["completed"]
    assert hooks.hits("/rec")[0]["RecordingDuration"] == "12"
    assert twilio.recordings(rec.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        twilio.recordings(rec.sid).fetch()
    assert gone.value.status == 404
    assert _media(hooks, hooks.hits("/rec")[0]["RecordingUrl"]).status_code == 404


def test_recording_needs_a_call_in_progress(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    sid = _long_call(sim, hooks, hangup_after_s=8)
    sim.run_until_idle()
    with pytest.raises(TwilioRestException) as ended:
        _start(twilio, sid)
    assert ended.value.code == 21220
    with pytest.raises(TwilioRestException) as unknown:
        twilio.calls("CA" + "0" * 32).recordings.create(recording_channels="dual")
    assert unknown.value.status == 404
    with pytest.raises(TwilioRestException) as bad:
        twilio.calls(sid).recordings.create(recording_status_callback_event=["sometimes"])
    assert (bad.value.status, bad.value.code) == (400, 21626)
