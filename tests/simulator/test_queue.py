"""<Enqueue> and its waitUrl loop, <Leave>, queue-full, and dequeuing a member over REST."""

from __future__ import annotations

from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from core.telephony.simulator import CallerScript, Simulator
from core.telephony.simulator.twiml import speaking_time

from .conftest import CALLER, HOTLINE, PUBLIC, Hooks, twiml, verbs

REASSURE = "Thank you for waiting. You are number {pos} in line, you have waited {t} seconds."


def enqueue_doc(queue: str = "support", **attrs: object) -> str:
    return twiml(lambda r: (r.enqueue(queue, wait_url="/wait", action="/after", **attrs), r.say("after enqueue")))


def wait_doc(p: dict[str, str]) -> str:
    """Say + Pause 25: one reassurance about every 30 s."""
    return twiml(lambda r: (r.say(REASSURE.format(pos=p["QueuePosition"], t=p["QueueTime"])), r.pause(length=25)))


def setup(hooks: Hooks, wait=wait_doc, after=None) -> None:  # type: ignore[no-untyped-def]
    hooks.on("/voice", enqueue_doc())
    hooks.on("/wait", wait)
    hooks.on("/after", after or (lambda p: twiml(lambda r: r.say(f"result {p['QueueResult']}"))))
    hooks.on("/status")


def test_wait_url_loop_reassures_every_cycle_with_queue_parameters(sim: Simulator, hooks: Hooks) -> None:
    setup(hooks)
    first = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(hangup_after_s=95))
    sim.advance(10)
    second = sim.place_inbound_call("+8613900000002", HOTLINE, CallerScript(hangup_after_s=40))
    sim.run_until_idle()
    reassured = verbs(sim.timeline(first), "say")
    expected, t = [], 0.0
    for entry in reassured:
        expected.append(round(t, 1))
        t += speaking_time(entry["text"]) + 25
    assert [e["t"] for e in reassured] == expected
    assert [round(x / 30) for x in expected] == [0, 1, 2, 3]  # about every 30 s: ~0, 30, 60, 90
    waits = [p for p in hooks.hits("/wait") if p["CallSid"] == first]
    assert [(p["QueuePosition"], p["QueueTime"]) for p in waits] == [("1", str(int(x))) for x in expected]
    assert [e["text"] for e in reassured][1] == REASSURE.format(pos=1, t=int(expected[1]))
    assert waits[1]["CurrentQueueSize"] == "2" and waits[1]["MaxQueueSize"] == "1000"
    assert waits[0]["QueueSid"].startswith("QU") and waits[0]["AvgQueueTime"] == "0"
    theirs = [p for p in hooks.hits("/wait") if p["CallSid"] == second]
    assert [p["QueuePosition"] for p in theirs] == ["2", "2"]
    # the first caller hung up in the queue: action requested with QueueResult=hangup
    results = [(p["CallSid"], p["QueueResult"], p["QueueTime"]) for p in hooks.hits("/after")]
    assert results == [(second, "hangup", "40"), (first, "hangup", "95")]
    assert sim.call(first)["queue_result"] == "hangup" and sim.call(first)["duration"] == 95


def test_leave_requests_the_action_with_leave(sim: Simulator, hooks: Hooks) -> None:
    setup(hooks, wait=lambda p: twiml(lambda r: (r.say("one moment"), r.leave())))
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    sim.run_until_idle()
    assert [(p["QueueResult"], p["QueueTime"]) for p in hooks.hits("/after")] == [("leave", "1")]
    timeline = sim.timeline(sid)
    assert [e["verb"] for e in timeline if e["verb"] in ("enqueue", "wait", "leave", "queue_result")] == [
        "enqueue", "wait", "leave", "queue_result"]
    assert [e["text"] for e in verbs(timeline, "say")] == ["one moment", "result leave"]
    assert sim.calls()[0]["queue"] is None


def test_leave_without_action_runs_the_next_verb(sim: Simulator, hooks: Hooks) -> None:
    hooks.on("/voice", twiml(lambda r: (r.enqueue("support", wait_url="/wait"), r.say("after enqueue"))))
    hooks.on("/wait", twiml(lambda r: r.leave()))
    hooks.on("/status")
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    sim.run_until_idle()
    assert verbs(sim.timeline(sid), "say")[-1]["text"] == "after enqueue"


def test_queue_full_answers_at_once(make_sim, hooks: Hooks) -> None:  # type: ignore[no-untyped-def]
    sim = make_sim(max_queue_size=1)
    setup(hooks)
    first = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(hangup_after_s=60))
    sim.advance(5)
    second = sim.place_inbound_call("+8613900000002", HOTLINE, CallerScript())
    sim.advance(1)
    assert [(p["CallSid"], p["QueueResult"]) for p in hooks.hits("/after")] == [(second, "queue-full")]
    assert [p["CallSid"] for p in hooks.hits("/wait")] == [first]
    sim.run_until_idle()


def test_gather_in_the_wait_loop_runs_its_action_as_the_wait_document(sim: Simulator, hooks: Hooks) -> None:
    def wait(p: dict[str, str]) -> str:
        def build(r: VoiceResponse) -> None:
            r.gather(num_digits=1, action="/offer", timeout=3).say("Press 1 for a call-back")
            r.pause(length=10)
        return twiml(build)

    setup(hooks, wait=wait)
    hooks.on("/offer", lambda p: twiml(lambda r: (r.say("we will call you back"), r.redirect("/more"))))
    hooks.on("/more", twiml(lambda r: r.say("still here")))
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(press=["1"], hangup_after_s=40))
    sim.run_until_idle()
    offer = hooks.hits("/offer")[0]
    assert offer["Digits"] == "1" and offer["QueuePosition"] == "1"
    assert hooks.hits("/more")[0]["QueueSid"] == offer["QueueSid"]
    said = [e["text"] for e in verbs(sim.timeline(sid), "say")]
    # the action's document and its redirect ran, then waitUrl was requested again
    assert said[:5] == ["Press 1 for a call-back", "we will call you back", "still here",
                        "Press 1 for a call-back", "Press 1 for a call-back"]
    assert len(hooks.hits("/wait")) >= 3


def test_redirect_in_the_wait_document_then_wait_url_again(sim: Simulator, hooks: Hooks) -> None:
    setup(hooks, wait=lambda p: twiml(lambda r: (r.pause(length=5), r.redirect("/music", method="GET"))))
    hooks.on("/music", twiml(lambda r: r.pause(length=10)))
    sim.place_inbound_call(CALLER, HOTLINE, CallerScript(hangup_after_s=36))
    sim.run_until_idle()
    assert [r["path"] for r in hooks.received if r["path"] in ("/wait", "/music")] == [
        "/wait", "/music", "/wait", "/music", "/wait", "/music"]
    assert [r["method"] for r in hooks.received if r["path"] == "/music"] == ["GET"] * 3


def test_member_update_dequeues_that_caller(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    setup(hooks)
    hooks.on("/vip", lambda p: twiml(lambda r: r.say(f"priority line for {p['CallSid'][-4:]}")))
    first = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(hangup_after_s=100))
    second = sim.place_inbound_call("+8613900000002", HOTLINE, CallerScript(hangup_after_s=100))
    sim.advance(20)
    queue = twilio.queues.list()[0]
    assert (queue.friendly_name, queue.current_size, queue.average_wait_time) == ("support", 2, 20)
    members = twilio.queues(queue.sid).members.list()
    assert [(m.call_sid, m.position, m.wait_time) for m in members] == [(first, 1, 20), (second, 2, 20)]
    twilio.queues(queue.sid).members(second).update(url=f"{PUBLIC}/vip", method="POST")
    sim.advance(5)
    assert [m.call_sid for m in twilio.queues(queue.sid).members.list()] == [first]
    assert verbs(sim.timeline(second), "say")[-1]["text"] == f"priority line for {second[-4:]}"
    assert [(p["CallSid"], p["QueueResult"]) for p in hooks.hits("/after")] == [(second, "redirected")]
    assert sim.call(second)["queue_result"] == "redirected"
    sim.run_until_idle()
