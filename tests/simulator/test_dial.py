"""<Dial>: agents taking callers from a queue, dialed Number/Client legs, bridges."""

from __future__ import annotations

from twilio.rest import Client

from core.telephony.simulator import Behaviour, CallerScript, Simulator

from .conftest import CALLER, HOTLINE, PUBLIC, Hooks, twiml, verbs

AGENT = "client:alice"


def setup_queue(hooks: Hooks, dial_timeout: int = 30) -> None:
    hooks.on("/voice", twiml(lambda r: r.enqueue("support", wait_url="/wait", action="/after")))
    hooks.on("/wait", twiml(lambda r: (r.say("please hold"), r.pause(length=20))))
    hooks.on("/after", lambda p: twiml(lambda r: r.say(f"after the call: {p['QueueResult']}")))
    hooks.on("/agent", twiml(lambda r: r.dial(action="/dial-done", timeout=dial_timeout)
                             .queue("support", url="/whisper")))
    hooks.on("/whisper", lambda p: twiml(lambda r: r.say(f"connecting you, you waited {p['QueueTime']} seconds")))
    hooks.on("/dial-done", twiml(lambda r: r.say("wrap up")))
    hooks.on("/status")


def place_agent(twilio: Client) -> str:
    return twilio.calls.create(to=AGENT, from_=HOTLINE, url=f"{PUBLIC}/agent",
                               status_callback=f"{PUBLIC}/status").sid


def test_agent_dials_the_queue_and_bridges_the_first_caller(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    setup_queue(hooks)
    sim.set_behaviour(AGENT, Behaviour(answer="human", answer_after_s=2))
    first = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(talk_s=30))
    second = sim.place_inbound_call("+8613900000002", HOTLINE, CallerScript(hangup_after_s=200))
    sim.advance(40)
    agent = place_agent(twilio)
    sim.run_until_idle(300)

    whisper = hooks.hits("/whisper")[0]
    assert (whisper["CallSid"], whisper["DequeingCallSid"], whisper["QueueTime"]) == (first, agent, "42")
    caller_line = sim.timeline(first)
    bridged = verbs(caller_line, "bridged")[0]
    assert (bridged["with"], bridged["call_sid"]) == (AGENT, agent)
    heard = [e["text"] for e in verbs(caller_line, "say")]
    assert heard[-1] == "connecting you, you waited 42 seconds"
    bridge_t = bridged["t"]
    agent_line = sim.timeline(agent)
    assert verbs(agent_line, "bridged")[0]["call_sid"] == first
    assert verbs(agent_line, "dial")[0]["queue"] == "support"

    dial_done = hooks.hits("/dial-done")[0]
    assert (dial_done["DialCallStatus"], dial_done["DialCallSid"], dial_done["DialBridged"]) == (
        "completed", first, "true")
    assert dial_done["DialCallDuration"] == "30"
    assert verbs(agent_line, "say")[-1]["text"] == "wrap up"
    # the caller hung up after talking: its Enqueue action still hears QueueResult=bridged
    after = [p for p in hooks.hits("/after") if p["CallSid"] == first][0]
    assert (after["QueueResult"], after["CallStatus"]) == ("bridged", "completed")
    assert sim.call(first)["end"] == round(bridge_t + 30, 1)
    # the second caller was not taken
    assert "bridged" not in [e["verb"] for e in sim.timeline(second)]


def test_agent_hangs_up_and_the_caller_continues_at_the_enqueue_action(
        sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    setup_queue(hooks)
    sim.set_behaviour(AGENT, Behaviour(answer_after_s=1, hangup_after_s=20))
    caller = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(talk_s=None))
    sim.advance(5)
    agent = place_agent(twilio)
    sim.run_until_idle(300)
    after = hooks.hits("/after")[0]
    assert (after["CallSid"], after["QueueResult"], after["CallStatus"]) == (caller, "bridged", "in-progress")
    assert verbs(sim.timeline(caller), "say")[-1]["text"] == "after the call: bridged"
    assert verbs(sim.timeline(caller), "unbridged")[0]["call_sid"] == agent
    # the agent's Dial action is still requested (its answer is ignored: the agent is gone)
    assert hooks.hits("/dial-done")[0]["CallStatus"] == "completed"
    assert sim.call(agent)["status"] == sim.call(caller)["status"] == "completed"


def test_agent_waits_in_an_empty_queue_until_a_caller_arrives(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    setup_queue(hooks)
    hooks.on("/voice", twiml(lambda r: r.enqueue("support", wait_url="/wait", action="/after")))
    hooks.on("/seed", twiml(lambda r: (r.enqueue("support", wait_url="/wait"))))
    sim.set_behaviour(AGENT, Behaviour(answer_after_s=1))
    seed = sim.place_inbound_call("+8613900000009", HOTLINE, CallerScript(hangup_after_s=0.5))
    sim.advance(2)  # the queue now exists, and is empty
    agent = place_agent(twilio)
    sim.advance(15)
    caller = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(talk_s=10))
    sim.run_until_idle(300)
    assert verbs(sim.timeline(caller), "bridged")[0]["call_sid"] == agent
    assert hooks.hits("/dial-done")[0]["DialCallSid"] == caller
    assert seed != caller


def test_dial_to_an_empty_queue_times_out(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    setup_queue(hooks, dial_timeout=10)
    seed = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(hangup_after_s=1))
    sim.advance(2)
    place_agent(twilio)
    sim.run_until_idle(300)
    done = hooks.hits("/dial-done")[0]
    assert (done["DialCallStatus"], done["DialBridged"]) == ("no-answer", "false")
    assert seed


def test_dial_number_bridges_a_child_leg(sim: Simulator, hooks: Hooks) -> None:
    hooks.on("/voice", twiml(lambda r: r.dial("+8613700000001", action="/dial-done", caller_id=HOTLINE)))
    hooks.on("/dial-done", twiml(lambda r: r.say("bye")))
    hooks.on("/status")
    sim.set_behaviour("+8613700000001", Behaviour(answer_after_s=4, hangup_after_s=12))
    parent = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    sim.run_until_idle()
    child = verbs(sim.timeline(parent), "bridged")[0]["call_sid"]
    snapshot = sim.call(child)
    assert (snapshot["direction"], snapshot["parent_call_sid"], snapshot["from"]) == ("outbound-dial", parent, HOTLINE)
    assert (snapshot["status"], snapshot["duration"]) == ("completed", 12)
    done = hooks.hits("/dial-done")[0]
    assert (done["DialCallStatus"], done["DialCallSid"], done["DialCallDuration"], done["DialBridged"]) == (
        "completed", child, "12", "true")
    assert verbs(sim.timeline(parent), "bridged")[0]["t"] == 4.0


def test_dial_busy_no_answer_and_without_action_the_next_verb(sim: Simulator, hooks: Hooks) -> None:
    sim.set_behaviour("+8613700000002", Behaviour(answer="busy"))
    sim.set_behaviour("+8613700000003", Behaviour(answer="no-answer"))
    hooks.on("/status")
    results = []
    for number in ("+8613700000002", "+8613700000003"):
        hooks.on("/voice", twiml(lambda r, n=number: (r.dial(n, action="/dial-done", timeout=8))))
        hooks.on("/dial-done", lambda p: (results.append(p), twiml(lambda r: r.hangup()))[1])
        sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
        sim.run_until_idle()
    assert [(p["DialCallStatus"], p["DialBridged"]) for p in results] == [("busy", "false"), ("no-answer", "false")]
    hooks.on("/voice", twiml(lambda r: (r.dial("+8613700000002"), r.say("nobody there"))))
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    sim.run_until_idle()
    assert verbs(sim.timeline(sid), "say")[-1]["text"] == "nobody there"


def test_manual_answer_and_time_limit(sim: Simulator, hooks: Hooks) -> None:
    sim.set_behaviour("client:bob", Behaviour(answer="manual"))
    hooks.on("/voice", twiml(lambda r: r.dial(action="/dial-done", time_limit=15).client("bob")))
    hooks.on("/dial-done", twiml(lambda r: r.say("time is up")))
    hooks.on("/status")
    parent = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    sim.advance(6)
    child = next(c["sid"] for c in sim.calls() if c["direction"] == "outbound-dial")
    assert sim.call(child)["status"] == "ringing"
    assert sim.answer(child) is True
    sim.run_until_idle()
    done = hooks.hits("/dial-done")[0]
    assert (done["DialCallStatus"], done["DialCallDuration"]) == ("completed", "15")
    assert verbs(sim.timeline(parent), "unbridged")[0]["reason"] == "time-limit"
    assert sim.call(child)["status"] == "completed" and sim.call(child)["to"] == "client:bob"


def test_webhook_calling_the_rest_api_places_the_agent_leg(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    """The app creates a call from inside its webhook: REST only schedules, nothing deadlocks."""
    setup_queue(hooks)
    placed: list[str] = []

    def voice(p: dict[str, str]) -> str:
        placed.append(place_agent(twilio))
        assert hooks.hits("/agent") == []  # no webhook ran synchronously inside the REST call
        return twiml(lambda r: r.enqueue("support", wait_url="/wait", action="/after"))

    hooks.on("/voice", voice)
    sim.set_behaviour(AGENT, Behaviour(answer_after_s=3))
    caller = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(talk_s=5))
    sim.run_until_idle(300)
    assert verbs(sim.timeline(caller), "bridged")[0]["call_sid"] == placed[0]


def test_caller_hanging_up_during_the_whisper_lets_the_agent_take_the_next(
        sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    setup_queue(hooks)
    hooks.on("/whisper", twiml(lambda r: r.say("connecting you to an agent now, thank you for waiting")))
    sim.set_behaviour(AGENT, Behaviour(answer_after_s=1))
    quitter = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(hangup_after_s=12))
    patient = sim.place_inbound_call("+8613900000002", HOTLINE, CallerScript(talk_s=10))
    sim.advance(10)
    agent = place_agent(twilio)
    sim.run_until_idle(300)
    assert hooks.hits("/whisper")[0]["CallSid"] == quitter
    assert [p["QueueResult"] for p in hooks.hits("/after") if p["CallSid"] == quitter] == ["hangup"]
    assert verbs(sim.timeline(agent), "bridged")[0]["call_sid"] == patient
    assert hooks.hits("/dial-done")[0]["DialCallSid"] == patient


def test_hangup_on_star_ends_the_bridge_and_the_dialer_goes_on(sim: Simulator, hooks: Hooks) -> None:
    hooks.on("/voice", twiml(lambda r: (r.dial("+8613700000004", hangup_on_star=True), r.say("back to menu"))))
    hooks.on("/status")
    sim.set_behaviour("+8613700000004", Behaviour(answer_after_s=2))
    parent = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    sim.advance(10)
    assert sim.press(parent, "*") is True
    sim.run_until_idle()
    child = verbs(sim.timeline(parent), "bridged")[0]["call_sid"]
    assert verbs(sim.timeline(parent), "unbridged")[0]["reason"] == "hangup-on-star"
    assert verbs(sim.timeline(parent), "say")[-1] == {"t": 10.0, "verb": "say", "text": "back to menu"}
    assert (sim.call(child)["status"], sim.call(child)["duration"]) == ("completed", 8)


def test_caller_hanging_up_cancels_the_ringing_leg(sim: Simulator, hooks: Hooks) -> None:
    hooks.on("/voice", twiml(lambda r: r.dial("+8613700000005", action="/dial-done", timeout=30)))
    hooks.on("/dial-done")
    hooks.on("/status")
    sim.set_behaviour("+8613700000005", Behaviour(answer="manual"))
    parent = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(hangup_after_s=6))
    sim.run_until_idle()
    child = next(c for c in sim.calls() if c["parent_call_sid"] == parent)
    assert (child["status"], child["end"]) == ("canceled", 6.0)
    done = hooks.hits("/dial-done")[0]
    assert (done["DialCallStatus"], done["CallStatus"]) == ("canceled", "completed")


def test_agent_redirected_away_from_an_empty_queue_is_no_longer_waiting(
        sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    setup_queue(hooks)
    hooks.on("/break", twiml(lambda r: r.pause(length=100)))
    sim.set_behaviour(AGENT, Behaviour(answer_after_s=1))
    seed = sim.place_inbound_call("+8613900000009", HOTLINE, CallerScript(hangup_after_s=0.5))
    sim.advance(2)
    agent = place_agent(twilio)
    sim.advance(5)
    twilio.calls(agent).update(url=f"{PUBLIC}/break")
    sim.advance(1)
    caller = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(hangup_after_s=30))
    sim.run_until_idle(300)
    assert verbs(sim.timeline(caller), "bridged", "dequeued") == []
    assert hooks.hits("/dial-done") == [] and seed


def test_agent_leaving_during_the_queue_url_is_an_error_result(
        sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    setup_queue(hooks)
    hooks.on("/whisper", twiml(lambda r: r.say("connecting you to an agent now, thank you for waiting")))
    sim.set_behaviour(AGENT, Behaviour(answer_after_s=1, hangup_after_s=2))
    caller = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(hangup_after_s=60))
    place_agent(twilio)
    sim.run_until_idle(300)
    assert [p["QueueResult"] for p in hooks.hits("/after") if p["CallSid"] == caller] == ["error"]
    assert verbs(sim.timeline(caller), "say")[-1]["text"] == "after the call: error"
