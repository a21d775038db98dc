"""<Record>: the message, action parameters, the served WAV, transcription, hang-ups."""

from __future__ import annotations

import io
import wave

from twilio.twiml.voice_response import VoiceResponse

from core.telephony.simulator import CallerScript, Simulator
from core.telephony.simulator.gather import TRANSCRIBE_DELAY_S
from core.telephony.simulator.twiml import speaking_time

from .conftest import CALLER, HOTLINE, PUBLIC, Hooks, twiml, verbs

MESSAGE = "Hello, my kitchen tap is leaking again, please send someone tomorrow morning."


def voicemail(hooks: Hooks, **attrs: object) -> None:
    def build(r: VoiceResponse) -> None:
        r.say("Please leave a message after the beep.")
        r.record(action="/recorded", timeout=3, max_length=60, transcribe=True,
                 transcribe_callback="/transcribed", recording_status_callback="/recording", **attrs)
        r.say("not reached")

    hooks.on("/voice", twiml(build))
    hooks.on("/recorded", lambda p: twiml(lambda r: r.say("Thank you, goodbye.")))
    hooks.on("/transcribed")
    hooks.on("/recording")
    hooks.on("/status")


def test_record_posts_recording_and_english_transcription(sim: Simulator, hooks: Hooks) -> None:
    voicemail(hooks)
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(say=[MESSAGE]))
    sim.run_until_idle()
    recorded = hooks.hits("/recorded")[0]
    duration = round(speaking_time(MESSAGE))
    assert recorded["RecordingDuration"] == str(duration) and recorded["RecordingSid"].startswith("RE")
    assert recorded["RecordingUrl"] == f"{PUBLIC}/simulator/recordings/{recorded['RecordingSid']}"
    assert "Digits" not in recorded  # ended by silence
    entry = verbs(sim.timeline(sid), "record")[0]
    said = verbs(sim.timeline(sid), "say")
    assert said[-1]["text"] == "Thank you, goodbye."
    assert said[-1]["t"] == round(entry["t"] + speaking_time(MESSAGE) + 3, 1)  # speech + 3 s of silence
    wav = hooks.app.test_client().get(f"/simulator/recordings/{recorded['RecordingSid']}.wav", base_url=PUBLIC)
    assert wav.status_code == 200
    with wave.open(io.BytesIO(wav.data)) as w:
        assert round(w.getnframes() / w.getframerate()) == duration
    transcription = hooks.hits("/transcribed")[0]
    assert (transcription["TranscriptionStatus"], transcription["TranscriptionText"]) == ("completed", MESSAGE)
    assert transcription["RecordingSid"] == recorded["RecordingSid"]
    assert transcription["TranscriptionSid"].startswith("TR") and transcription["CallSid"] == sid
    transcribed_at = [r["t"] for r in sim.requests(sid) if r["kind"] == "transcribe"][0]
    record_end = [r["t"] for r in sim.requests(sid) if r["url"].endswith("/recorded")][0]
    assert transcribed_at == record_end + TRANSCRIBE_DELAY_S
    status = hooks.hits("/recording")[0]
    assert (status["RecordingStatus"], status["RecordingDuration"]) == ("completed", str(duration))


def test_chinese_message_is_not_transcribed(sim: Simulator, hooks: Hooks) -> None:
    voicemail(hooks)
    sim.place_inbound_call(CALLER, HOTLINE, CallerScript(say=["您好,我家厨房的水龙头又漏水了,请明天上午派人来修。"]))
    sim.run_until_idle()
    transcription = hooks.hits("/transcribed")[0]
    assert (transcription["TranscriptionStatus"], transcription["TranscriptionText"]) == ("failed", "")


def test_finish_key_and_hangup_while_recording(sim: Simulator, hooks: Hooks) -> None:
    voicemail(hooks, finish_on_key="#")
    keyed = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(say=[MESSAGE]))
    sim.advance(6)
    assert sim.press(keyed, "#") is True
    sim.run_until_idle()
    assert hooks.hits("/recorded")[0]["Digits"] == "#"
    hung_up = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(say=[MESSAGE], hangup_after_s=5))
    sim.run_until_idle()
    last = hooks.hits("/recorded")[-1]
    assert (last["CallSid"], last["Digits"], last["CallStatus"]) == (hung_up, "hangup", "completed")
    assert int(last["RecordingDuration"]) >= 2


def test_silent_recording_goes_on_with_the_next_verb(sim: Simulator, hooks: Hooks) -> None:
    voicemail(hooks)
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    sim.run_until_idle()
    assert hooks.hits("/recorded") == []
    assert verbs(sim.timeline(sid), "record")[0]["result"] == "silent"
    assert verbs(sim.timeline(sid), "say")[-1]["text"] == "not reached"  # Twilio skips action on silence


def test_speech_added_while_recording(sim: Simulator, hooks: Hooks) -> None:
    voicemail(hooks)
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    sim.advance(4)
    assert sim.say(sid, "Please call me back about my repair order") is True
    sim.run_until_idle()
    assert hooks.hits("/transcribed")[0]["TranscriptionText"] == "Please call me back about my repair order"
    short = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(say=["Call me"]))
    sim.run_until_idle()
    too_short = [p for p in hooks.hits("/transcribed") if p["CallSid"] == short][0]
    assert too_short["TranscriptionStatus"] == "failed"  # Twilio transcribes 2-120 s only
