"""Say, Play, Pause, Redirect, Hangup, Reject and application errors on the virtual clock."""

from __future__ import annotations

import pytest

from core.telephony.simulator import CallerScript, Simulator
from core.telephony.simulator.twiml import SAY_CJK_S, SAY_LATIN_S, SAY_MIN_S
from core.telephony.simulator.wav import silent_wav

from .conftest import CALLER, HOTLINE, PUBLIC, Hooks, twiml, verbs


def call(sim: Simulator, hooks: Hooks, doc: str, **script: object) -> str:
    hooks.on("/voice", doc)
    hooks.on("/status")
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(**script))  # type: ignore[arg-type]
    sim.run_until_idle()
    return sid


def test_say_and_pause_take_speaking_time(sim: Simulator, hooks: Hooks) -> None:
    english = "Thank you for calling the hotline, all agents are busy."
    chinese = "您好请问有什么可以帮到你"
    sid = call(sim, hooks, twiml(lambda r: (r.say(english, language="en-US", voice="Polly.Joanna"),
                                            r.say(chinese, language="cmn-CN"), r.pause(), r.pause(length=7),
                                            r.say("Hi"))))
    says = verbs(sim.timeline(sid), "say", "pause")
    t_chinese = round(len(english) * SAY_LATIN_S, 1)
    t_pause = round(t_chinese + 12 * SAY_CJK_S, 1)
    assert [(e["verb"], e["t"]) for e in says] == [
        ("say", 0.0), ("say", t_chinese), ("pause", t_pause), ("pause", t_pause + 1), ("say", t_pause + 8)]
    assert says[0]["language"] == "en-US" and says[0]["voice"] == "Polly.Joanna"
    assert says[1]["text"] == chinese and says[1]["language"] == "cmn-CN"
    assert sim.call(sid)["end"] == pytest.approx(t_pause + 8 + SAY_MIN_S, abs=0.1)  # "Hi" lasts the minimum


def test_say_loop_repeats(sim: Simulator, hooks: Hooks) -> None:
    sid = call(sim, hooks, twiml(lambda r: (r.say("Hi", loop=3), r.say("Bye"))))
    assert [e["t"] for e in verbs(sim.timeline(sid), "say")] == [0.0, 3 * SAY_MIN_S]


def test_play_wav_counts_its_real_length_and_other_media_five_seconds(sim: Simulator, hooks: Hooks) -> None:
    hooks.on("/media/prompt.wav", lambda p: silent_wav(12.5))
    hooks.on("/media/music.mp3", lambda p: (b"ID3 not a wav", 200))
    sid = call(sim, hooks, twiml(lambda r: (r.play("/media/prompt.wav"), r.play("media/music.mp3"),
                                            r.play(digits="12w"), r.say("end"))))
    plays = verbs(sim.timeline(sid), "play", "say")
    assert [(e["t"], e.get("url"), e.get("seconds")) for e in plays[:2]] == [
        (0.0, f"{PUBLIC}/media/prompt.wav", 12.5), (12.5, f"{PUBLIC}/media/music.mp3", 5.0)]
    assert plays[2]["digits"] == "12w" and plays[3]["t"] == 17.5 + 1.5
    media = [r for r in sim.requests(sid) if r["kind"] == "media"]
    assert [r["method"] for r in media] == ["GET", "GET"]


def test_redirect_resolves_relative_urls_and_uses_its_method(sim: Simulator, hooks: Hooks) -> None:
    hooks.on("/ivr/next", lambda p: twiml(lambda r: r.say(f"next via {p.get('CallStatus')}")))
    sid = call(sim, hooks, twiml(lambda r: (r.say("first"), r.redirect("ivr/next?step=2", method="GET"),
                                            r.say("never"))))
    next_hit = hooks.received[1]
    assert next_hit["method"] == "GET" and next_hit["url"].startswith(f"{PUBLIC}/ivr/next?step=2&")
    assert [e["text"] for e in verbs(sim.timeline(sid), "say")] == ["first", "next via in-progress"]


def test_hangup_ends_the_call_and_reject_does_not_answer(sim: Simulator, hooks: Hooks) -> None:
    sid = call(sim, hooks, twiml(lambda r: (r.say("bye"), r.hangup(), r.say("never"))))
    assert sim.call(sid)["status"] == "completed" and sim.call(sid)["duration"] == 1
    busy = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    hooks.on("/voice", twiml(lambda r: r.reject(reason="busy")))
    sim.run_until_idle()
    rejected = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    hooks.on("/voice", twiml(lambda r: r.reject()))
    sim.run_until_idle()
    assert (sim.call(busy)["status"], sim.call(rejected)["status"]) == ("busy", "no-answer")
    assert sim.call(busy)["start"] is None
    status_posts = [p for p in hooks.hits("/status") if p["CallSid"] in (busy, rejected)]
    assert [p["CallStatus"] for p in status_posts] == ["busy", "no-answer"]


def test_http_error_is_11200_and_the_call_ends(sim: Simulator, hooks: Hooks) -> None:
    hooks.on("/voice", twiml(lambda r: r.redirect("/broken")))
    hooks.on("/broken", lambda p: ("boom", 500))
    hooks.on("/status")
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    sim.run_until_idle()
    timeline = sim.timeline(sid)
    error = verbs(timeline, "error")[0]
    assert (error["code"], error["status"], error["url"]) == (11200, 500, f"{PUBLIC}/broken")
    assert "application error" in verbs(timeline, "say")[-1]["text"]
    assert sim.call(sid)["status"] == "completed"


def test_bad_xml_and_unknown_verbs_are_12100(sim: Simulator, hooks: Hooks) -> None:
    bad = call(sim, hooks, "<Response><Say>unclosed</Response>")
    unknown = call(sim, hooks, "<Response><Say>first</Say><Dance/></Response>")
    for sid in (bad, unknown):
        timeline = sim.timeline(sid)
        assert verbs(timeline, "error")[0]["code"] == 12100
        assert [e["text"] for e in verbs(timeline, "say")] == [
            "We are sorry, an application error has occurred. Goodbye."]
        assert sim.call(sid)["ended"]
