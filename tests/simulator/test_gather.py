"""<Gather>: digits, speech, timeouts, numDigits/finishOnKey, actionOnEmptyResult, barge-in."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from core.telephony.simulator import CallerScript, Simulator
from core.telephony.simulator.twiml import SCRIPTED_INPUT_DELAY_S, SPEECH_AUTO_S, speaking_time

from .conftest import CALLER, HOTLINE, PUBLIC, Hooks, twiml, verbs

PROMPT_S = speaking_time("Press 1 for sales")


def menu(**gather: object) -> str:
    def build(r: VoiceResponse) -> None:
        g = r.gather(action="/menu", **gather)
        g.say("Press 1 for sales")
        r.say("No input received")

    return twiml(build)


def place(sim: Simulator, hooks: Hooks, doc: str, script: CallerScript, run: bool = True) -> str:
    hooks.on("/voice", doc)
    hooks.on("/menu", lambda p: twiml(lambda r: r.say(f"you chose {p.get('Digits') or p.get('SpeechResult')}")))
    hooks.on("/status")
    sid = sim.place_inbound_call(CALLER, HOTLINE, script)
    if run:
        sim.run_until_idle()
    return sid


def test_scripted_digits_request_the_action(sim: Simulator, hooks: Hooks) -> None:
    sid = place(sim, hooks, menu(num_digits=1), CallerScript(press=["1"]))
    action = hooks.hits("/menu")[0]
    assert (action["Digits"], action["CallSid"], action["CallStatus"]) == ("1", sid, "in-progress")
    gather = verbs(sim.timeline(sid), "gather")[0]
    assert gather["digits"] == "1" and gather["numDigits"] == 1
    said = verbs(sim.timeline(sid), "say")
    assert [e["text"] for e in said] == ["Press 1 for sales", "you chose 1"]
    assert said[1]["t"] == round(PROMPT_S + SCRIPTED_INPUT_DELAY_S, 1)  # the prompt, then the caller's press


def test_timeout_without_input_goes_on_with_the_next_verb(sim: Simulator, hooks: Hooks) -> None:
    sid = place(sim, hooks, menu(timeout=3), CallerScript())
    assert hooks.hits("/menu") == []
    said = verbs(sim.timeline(sid), "say")
    assert [(e["text"], e["t"]) for e in said] == [("Press 1 for sales", 0.0), ("No input received", round(PROMPT_S + 3, 1))]
    assert verbs(sim.timeline(sid), "gather")[0]["result"] == "timeout"


def test_action_on_empty_result_requests_the_action_anyway(sim: Simulator, hooks: Hooks) -> None:
    place(sim, hooks, menu(action_on_empty_result=True), CallerScript())
    action = hooks.hits("/menu")
    assert len(action) == 1 and "Digits" not in action[0] and "SpeechResult" not in action[0]


def test_num_digits_cuts_a_longer_group_and_finish_on_key_ends_early(sim: Simulator, hooks: Hooks) -> None:
    place(sim, hooks, menu(num_digits=2), CallerScript(press=["1234"]))
    place(sim, hooks, menu(finish_on_key="*"), CallerScript(press=["98*7"]))
    first, second = hooks.hits("/menu")
    assert first["Digits"] == "12"
    assert (second["Digits"], second["FinishedOnKey"]) == ("98", "*")


def test_digits_without_finish_key_are_sent_after_the_timeout(sim: Simulator, hooks: Hooks) -> None:
    sid = place(sim, hooks, menu(timeout=4), CallerScript(press=["55"]))
    assert hooks.hits("/menu")[0]["Digits"] == "55"
    menu_say = verbs(sim.timeline(sid), "say")[-1]
    assert menu_say["t"] == round(PROMPT_S + SCRIPTED_INPUT_DELAY_S + 4, 1)


def test_speech_gather(sim: Simulator, hooks: Hooks) -> None:
    sid = place(sim, hooks, menu(input="speech", language="cmn-Hans-CN", hints="投诉,报修", speech_timeout="auto"),
                CallerScript(say=["我要投诉"], press=["9"]))
    action = hooks.hits("/menu")[0]
    assert (action["SpeechResult"], action["Confidence"]) == ("我要投诉", "0.9") and "Digits" not in action
    gather = verbs(sim.timeline(sid), "gather")[0]
    assert (gather["language"], gather["hints"], gather["speech"]) == ("cmn-Hans-CN", "投诉,报修", "我要投诉")
    assert verbs(sim.timeline(sid), "say")[-1]["t"] == round(PROMPT_S + SCRIPTED_INPUT_DELAY_S + SPEECH_AUTO_S, 1)


def test_dtmf_speech_takes_the_first_input(sim: Simulator, hooks: Hooks) -> None:
    place(sim, hooks, menu(input="dtmf speech", num_digits=1), CallerScript(press=["2"], say=["sales"]))
    place(sim, hooks, menu(input="dtmf speech", num_digits=1), CallerScript(say=["sales"]))
    first, second = hooks.hits("/menu")
    assert first["Digits"] == "2" and "SpeechResult" not in first
    assert second["SpeechResult"] == "sales" and "Digits" not in second


def test_key_press_barges_in_on_the_prompt(sim: Simulator, hooks: Hooks) -> None:
    long_prompt = twiml(lambda r: (r.gather(action="/menu", num_digits=1).say("Welcome " * 20), r.say("late")))
    sid = place(sim, hooks, long_prompt, CallerScript(), run=False)
    sim.advance(3)
    assert sim.press(sid, "4") is True
    sim.run_until_idle()
    assert hooks.hits("/menu")[0]["Digits"] == "4"
    gather = verbs(sim.timeline(sid), "gather")[0]
    assert gather["barge_in"] is True
    assert verbs(sim.timeline(sid), "say")[-1] == {"t": 3.0, "verb": "say", "text": "you chose 4"}


def test_press_outside_a_gather_is_lost(sim: Simulator, hooks: Hooks) -> None:
    sid = place(sim, hooks, twiml(lambda r: (r.say("listen " * 10), r.gather(action="/menu", timeout=2))),
                CallerScript(), run=False)
    sim.advance(1)
    assert sim.press(sid, "1") is False
    sim.run_until_idle()
    assert hooks.hits("/menu") == []
    assert verbs(sim.timeline(sid), "press")[0]["ignored"] is True


def test_gather_action_defaults_to_the_current_document(sim: Simulator, hooks: Hooks) -> None:
    hooks.on("/voice", lambda p: twiml(lambda r: r.say("thanks") if p.get("Digits") else r.gather(num_digits=1)))
    hooks.on("/status")
    sim.place_inbound_call(CALLER, HOTLINE, CallerScript(press=["3"]))
    sim.run_until_idle()
    urls = [r["url"] for r in hooks.received if r["path"] == "/voice"]
    assert urls == [f"{PUBLIC}/voice", f"{PUBLIC}/voice"] and hooks.hits("/voice")[1]["Digits"] == "3"
