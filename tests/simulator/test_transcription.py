"""<Start><Transcription>: started, content per track from utterances or sim.speak, stopped."""

from __future__ import annotations

import json

from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from core.telephony.gateway import GatewayError, TelephonyGateway
from core.telephony.simulator import Behaviour, CallerScript, Simulator

from .conftest import CALLER, HOTLINE, PUBLIC, Hooks, twiml

AGENT = "client:alice"


def events(hooks: Hooks) -> list[tuple[str, str, str]]:
    out = []
    for p in hooks.hits("/rt"):
        text = json.loads(p["TranscriptionData"])["transcript"] if "TranscriptionData" in p else ""
        out.append((p["TranscriptionEvent"], p.get("Track", ""), text))
    return out


def test_transcription_of_both_sides_of_a_bridge(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    def agent(p: dict[str, str]) -> str:
        def build(r: VoiceResponse) -> None:
            r.start().transcription(status_callback_url=f"{PUBLIC}/rt", language_code="zh-CN")
            r.dial().queue("support")
        return twiml(build)

    hooks.on("/voice", twiml(lambda r: r.enqueue("support", wait_url="/wait")))
    hooks.on("/wait", twiml(lambda r: r.pause(length=30)))
    hooks.on("/agent", agent)
    hooks.on("/rt")
    hooks.on("/status")
    sim.set_behaviour(AGENT, Behaviour(answer_after_s=1, utterances=[(2.0, "您好,请问有什么可以帮到您?")]))
    caller = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(
        talk_s=20, utterances=[(5.0, "我家的水管漏水了"), (9.0, "请尽快派人来")]))
    agent_sid = twilio.calls.create(to=AGENT, from_=HOTLINE, url=f"{PUBLIC}/agent").sid
    sim.run_until_idle()
    assert events(hooks) == [
        ("transcription-started", "", ""),
        ("transcription-content", "inbound_track", "您好,请问有什么可以帮到您?"),
        ("transcription-content", "outbound_track", "我家的水管漏水了"),
        ("transcription-content", "outbound_track", "请尽快派人来"),
        ("transcription-stopped", "", ""),
    ]
    posts = hooks.hits("/rt")
    assert {p["CallSid"] for p in posts} == {agent_sid}
    assert [p["SequenceId"] for p in posts] == ["1", "2", "3", "4", "5"]
    assert len({p["TranscriptionSid"] for p in posts}) == 1 and posts[1]["LanguageCode"] == "zh-CN"
    content = json.loads(posts[1]["TranscriptionData"])
    assert content["confidence"] == 0.9 and posts[1]["Final"] == "true"
    assert caller in {e["call_sid"] for e in sim.timeline(agent_sid) if e["verb"] == "bridged"}


def test_speak_and_track_filter(sim: Simulator, hooks: Hooks) -> None:
    def voice(p: dict[str, str]) -> str:
        def build(r: VoiceResponse) -> None:
            r.start().transcription(status_callback_url="/rt", track="inbound_track", partial_results=True)
            r.pause(length=30)
        return twiml(build)

    hooks.on("/voice", voice)
    hooks.on("/rt")
    hooks.on("/status")
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(hangup_after_s=10))
    sim.advance(3)
    assert sim.speak(sid, "I need help with my bill") is True
    assert sim.speak(sid, "How can I help?", track="outbound_track") is False  # filtered out by track
    sim.run_until_idle()
    assert events(hooks) == [
        ("transcription-started", "", ""),
        ("transcription-content", "inbound_track", "I need help"),
        ("transcription-content", "inbound_track", "I need help with my bill"),
        ("transcription-stopped", "", ""),
    ]
    assert [p["Final"] for p in hooks.hits("/rt")[1:3]] == ["false", "true"]


def test_stop_transcription_by_name(sim: Simulator, hooks: Hooks) -> None:
    def voice(p: dict[str, str]) -> str:
        def build(r: VoiceResponse) -> None:
            r.start().transcription(name="live", status_callback_url="/rt")
            r.pause(length=2)
            r.stop().transcription(name="live")
            r.pause(length=5)
        return twiml(build)

    hooks.on("/voice", voice)
    hooks.on("/rt")
    hooks.on("/status")
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    sim.advance(4)
    assert sim.speak(sid, "too late") is False
    sim.run_until_idle()
    assert [e[0] for e in events(hooks)] == ["transcription-started", "transcription-stopped"]


def test_transcription_started_by_rest_on_a_call_in_progress(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    """CreateRealtimeTranscription (``Calls/{Sid}/Transcriptions``) starts the same session as
    ``<Start><Transcription>`` on a call whose TwiML does not; a call that has ended: 21220."""
    hooks.on("/voice", twiml(lambda r: r.pause(length=30)))
    hooks.on("/rt")
    caller = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(talk_s=None))
    sim.advance(1)
    gateway = TelephonyGateway(twilio, HOTLINE, sleep=lambda _s: None)
    sid = gateway.start_transcription(caller, f"{PUBLIC}/rt", track="inbound_track", language_code="zh-CN")
    assert sid.startswith("GT")
    assert sim.speak(caller, "我家的水管漏水了", "inbound_track")
    sim.advance(2)
    assert [e[:2] for e in events(hooks)] == [("transcription-started", ""), ("transcription-content", "inbound_track")]
    assert hooks.hits("/rt")[1]["LanguageCode"] == "zh-CN"
    sim.hangup(caller)
    sim.run_until_idle()
    try:
        gateway.start_transcription(caller, f"{PUBLIC}/rt")
    except GatewayError as exc:
        assert exc.code == 21220
    else:
        raise AssertionError("an ended call was transcribed")
