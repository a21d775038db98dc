"""Less common paths: Queue url redirects, GET wait URLs, child status callbacks, slow and
unreachable webhooks, Front members."""

from __future__ import annotations

import time

import pytest
from twilio.rest import Client

from core.telephony.simulator import Behaviour, CallerScript, Simulator, TransportResponse
from core.telephony.simulator import engine as engine_module

from .conftest import ACCOUNT_SID, CALLER, HOTLINE, PUBLIC, TOKEN, Hooks, twiml, verbs


def test_queue_url_redirect_and_get_wait_url(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    hooks.on("/voice", twiml(lambda r: r.enqueue("support", wait_url="/wait", wait_url_method="GET")))
    hooks.on("/wait", twiml(lambda r: r.pause(length=15)))
    hooks.on("/agent", twiml(lambda r: r.dial().queue("support", url="/whisper", method="GET")))
    hooks.on("/whisper", twiml(lambda r: (r.say("one moment"), r.redirect("/notice"))))
    hooks.on("/notice", twiml(lambda r: r.say("this call may be recorded")))
    hooks.on("/status")
    caller = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(talk_s=5))
    sim.advance(3)
    twilio.calls.create(to="client:alice", from_=HOTLINE, url=f"{PUBLIC}/agent")
    sim.run_until_idle()
    assert {r["method"] for r in hooks.received if r["path"] in ("/wait", "/whisper")} == {"GET"}
    assert hooks.hits("/wait")[0]["QueuePosition"] == "1"
    assert [e["text"] for e in verbs(sim.timeline(caller), "say")] == ["one moment", "this call may be recorded"]
    assert hooks.hits("/notice")[0]["CallSid"] == caller and "DequeingCallSid" in hooks.hits("/whisper")[0]
    assert verbs(sim.timeline(caller), "bridged")


def test_dialed_number_status_callbacks(sim: Simulator, hooks: Hooks) -> None:
    hooks.on("/voice", twiml(lambda r: r.dial().number(
        "+8613700000006", status_callback="/child", status_callback_event="initiated ringing answered completed")))
    hooks.on("/child")
    hooks.on("/status")
    sim.set_behaviour("+8613700000006", Behaviour(answer_after_s=2, hangup_after_s=5))
    parent = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    sim.run_until_idle()
    child = hooks.hits("/child")
    assert [p["CallStatus"] for p in child] == ["initiated", "ringing", "in-progress", "completed"]
    assert {(p["Direction"], p["ParentCallSid"]) for p in child} == {("outbound-dial", parent)}
    assert child[-1]["CallDuration"] == "5"


def test_slow_webhook_is_a_recorded_warning(sim: Simulator, hooks: Hooks, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "RESPONSE_LIMIT_S", 0.05)

    def slow(p: dict[str, str]) -> str:
        time.sleep(0.1)
        return twiml(lambda r: r.say("finally"))

    hooks.on("/voice", slow)
    hooks.on("/status")
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    sim.run_until_idle()
    warning = verbs(sim.timeline(sid), "warning")[0]
    assert warning["code"] == 11205 and warning["url"] == f"{PUBLIC}/voice"
    assert verbs(sim.timeline(sid), "say")[0]["text"] == "finally"  # only a warning
    assert "warning" in sim.requests(sid)[0]


class Unreachable:
    def request(self, method: str, url: str, params: dict[str, str], headers: dict[str, str]) -> TransportResponse:
        raise ConnectionError("connection refused")


def test_unreachable_webhook_is_11200() -> None:
    sim = Simulator(ACCOUNT_SID, TOKEN, Unreachable())
    sim.register_number(HOTLINE, f"{PUBLIC}/voice")
    sid = sim.place_inbound_call(CALLER, HOTLINE)
    sim.run_until_idle()
    assert verbs(sim.timeline(sid), "error")[0]["code"] == 11200
    assert sim.requests(sid)[0]["status"] == 0 and "connection refused" in sim.requests(sid)[0]["response"]
    assert sim.call(sid)["status"] == "completed" and sim.errors == []


def test_front_member_and_queue_position_after_dequeue(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    hooks.on("/voice", twiml(lambda r: r.enqueue("support", wait_url="/wait")))
    hooks.on("/wait", twiml(lambda r: r.pause(length=10)))
    hooks.on("/elsewhere", twiml(lambda r: r.say("moved")))
    hooks.on("/status")
    first = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(hangup_after_s=60))
    second = sim.place_inbound_call("+8613900000002", HOTLINE, CallerScript(hangup_after_s=60))
    sim.advance(5)
    queue_sid = twilio.queues.list()[0].sid
    front = twilio.queues(queue_sid).members("Front").fetch()
    assert (front.call_sid, front.position) == (first, 1)
    twilio.queues(queue_sid).members("Front").update(url=f"{PUBLIC}/elsewhere")
    sim.advance(11)
    assert [p["QueuePosition"] for p in hooks.hits("/wait") if p["CallSid"] == second] == ["2", "1"]
    sim.run_until_idle()
