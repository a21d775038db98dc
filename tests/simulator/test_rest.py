"""The REST API through the real ``twilio`` client: calls, errors, auth, faults, pacing."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from core.telephony.simulator import Behaviour, Simulator, SimulatorHttpClient
from core.telephony.simulator.twiml import speaking_time

from .conftest import ACCOUNT_SID, HOTLINE, PUBLIC, TOKEN, Hooks, twiml, verbs

CUSTOMER = "+8613811112222"


def test_create_fetch_list_and_status_callbacks(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    hooks.on("/outbound", lambda p: twiml(lambda r: r.say(f"hello {p['Direction']} {p['CallStatus']}")))
    hooks.on("/cb")
    sim.set_behaviour(CUSTOMER, Behaviour(answer_after_s=3, hangup_after_s=20))
    call = twilio.calls.create(to=CUSTOMER, from_=HOTLINE, url=f"{PUBLIC}/outbound",
                               status_callback=f"{PUBLIC}/cb",
                               status_callback_event=["initiated", "ringing", "answered", "completed"])
    assert (call.status, call.direction, call.to, call._from) == ("queued", "outbound-api", CUSTOMER, HOTLINE)
    assert call.sid.startswith("CA") and call.account_sid == ACCOUNT_SID
    sim.run_until_idle()
    events = hooks.hits("/cb")
    assert [(p["CallStatus"], p["SequenceNumber"]) for p in events] == [
        ("initiated", "0"), ("ringing", "1"), ("in-progress", "2"), ("completed", "3")]
    assert all(p["CallbackSource"] == "call-progress-events" and p["Timestamp"].endswith("+0000") for p in events)
    talk = str(round(speaking_time("hello outbound-api in-progress")))
    assert events[-1]["CallDuration"] == talk and "CallDuration" not in events[2]
    assert verbs(sim.timeline(call.sid), "say")[0]["text"] == "hello outbound-api in-progress"
    fetched = twilio.calls(call.sid).fetch()
    assert (fetched.status, fetched.duration, fetched.answered_by) == ("completed", talk, None)
    assert fetched.start_time is not None and fetched.end_time is not None
    assert [c.sid for c in twilio.calls.list(status="completed", to=CUSTOMER)] == [call.sid]
    assert twilio.calls.list(status="in-progress") == []


def test_only_completed_is_sent_when_no_events_are_named(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    hooks.on("/outbound", twiml(lambda r: r.pause(length=12)))
    hooks.on("/cb")
    call = twilio.calls.create(to=CUSTOMER, from_=HOTLINE, url=f"{PUBLIC}/outbound", status_callback=f"{PUBLIC}/cb")
    sim.run_until_idle()
    assert [(p["CallSid"], p["CallStatus"], p["CallDuration"]) for p in hooks.hits("/cb")] == [
        (call.sid, "completed", "12")]


def test_inline_twiml_and_list_pagination(sim: Simulator, twilio: Client) -> None:
    sids = [twilio.calls.create(to=CUSTOMER, from_=HOTLINE, twiml="<Response><Say>inline</Say></Response>").sid
            for _ in range(3)]
    sim.run_until_idle()
    assert [c.sid for c in twilio.calls.list(page_size=2)] == list(reversed(sids))
    assert verbs(sim.timeline(sids[0]), "say")[0]["text"] == "inline"


def test_errors_have_twilio_codes(sim: Simulator, twilio: Client) -> None:
    with pytest.raises(TwilioRestException) as invalid:
        twilio.calls.create(to="12345", from_=HOTLINE, url=f"{PUBLIC}/x")
    assert (invalid.value.status, invalid.value.code) == (400, 21211)
    assert "The 'To' number 12345 is not a valid phone number." in invalid.value.msg
    with pytest.raises(TwilioRestException) as missing:
        twilio.calls("CA" + "0" * 32).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)
    with pytest.raises(TwilioRestException) as no_url:
        twilio.calls.create(to="client:alice", from_=HOTLINE)
    assert no_url.value.code == 21205


def test_basic_auth_is_required(sim: Simulator, hooks: Hooks) -> None:
    wrong = Client(ACCOUNT_SID, "wrong-token", http_client=SimulatorHttpClient(hooks.app))
    wrong.api.base_url = PUBLIC + "/simulator"
    with pytest.raises(TwilioRestException) as denied:
        wrong.calls.create(to=CUSTOMER, from_=HOTLINE, url=f"{PUBLIC}/x")
    assert (denied.value.status, denied.value.code) == (401, 20003)
    assert sim.calls() == []


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (500, 20500), (503, 20503)])
def test_injected_failures_then_recovery(sim: Simulator, twilio: Client, status: int, code: int) -> None:
    sim.inject_rest_failures(2, status=status, code=code)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as failed:
            twilio.calls.create(to=CUSTOMER, from_=HOTLINE, url=f"{PUBLIC}/x")
        assert (failed.value.status, failed.value.code) == (status, code)
    assert twilio.calls.create(to=CUSTOMER, from_=HOTLINE, url=f"{PUBLIC}/x").status == "queued"
    assert len(sim.calls()) == 1


def test_calls_are_paced_at_one_per_second(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    hooks.on("/outbound", twiml(lambda r: r.hangup()))
    sids = [twilio.calls.create(to=CUSTOMER, from_=HOTLINE, url=f"{PUBLIC}/outbound").sid for _ in range(5)]
    sim.advance(0.5)
    statuses = [sim.call(s)["status"] for s in sids]
    assert statuses == ["ringing", "queued", "queued", "queued", "queued"]
    sim.run_until_idle()
    created = sim.created_calls()
    assert [c["created_at"] for c in created] == [0.0] * 5
    assert [c["initiated_at"] for c in created] == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_faster_pacing_setting(make_sim, hooks: Hooks) -> None:  # type: ignore[no-untyped-def]
    sim = make_sim(calls_per_second=4)
    client = Client(ACCOUNT_SID, TOKEN, http_client=SimulatorHttpClient(sim))
    client.api.base_url = PUBLIC + "/simulator"
    for _ in range(5):
        client.calls.create(to=CUSTOMER, from_=HOTLINE, twiml="<Response/>")
    sim.run_until_idle()
    assert [c["initiated_at"] for c in sim.created_calls()] == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_update_redirects_and_hangs_up(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    hooks.on("/outbound", twiml(lambda r: r.pause(length=100)))
    hooks.on("/moved", lambda p: twiml(lambda r: (r.say("moved"), r.pause(length=100))))
    call = twilio.calls.create(to=CUSTOMER, from_=HOTLINE, url=f"{PUBLIC}/outbound")
    sim.advance(10)
    updated = twilio.calls(call.sid).update(url=f"{PUBLIC}/moved", method="POST")
    assert updated.status == "in-progress"
    sim.advance(10)
    assert [e["verb"] for e in sim.timeline(call.sid)][-3:] == ["redirect", "say", "pause"]
    twilio.calls(call.sid).update(status="completed")
    sim.run_until_idle()
    assert (sim.call(call.sid)["status"], sim.call(call.sid)["duration"]) == ("completed", 15)
    with pytest.raises(TwilioRestException) as over:
        twilio.calls(call.sid).update(url=f"{PUBLIC}/moved")
    assert over.value.code == 21220


def test_cancel_a_queued_call(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    first = twilio.calls.create(to=CUSTOMER, from_=HOTLINE, twiml="<Response><Pause length='30'/></Response>")
    second = twilio.calls.create(to=CUSTOMER, from_=HOTLINE, twiml="<Response/>")
    twilio.calls(second.sid).update(status="canceled")
    sim.run_until_idle()
    assert sim.call(second.sid)["status"] == "canceled" and sim.call(second.sid)["initiated_at"] is None
    assert sim.call(first.sid)["status"] == "completed"


def test_queue_resources(sim: Simulator, twilio: Client) -> None:
    created = twilio.queues.create(friendly_name="callbacks", max_size=50)
    assert (created.friendly_name, created.max_size, created.current_size) == ("callbacks", 50, 0)
    updated = twilio.queues(created.sid).update(max_size=200)
    assert updated.max_size == 200 and twilio.queues(created.sid).fetch().max_size == 200
    assert [q.sid for q in twilio.queues.list()] == [created.sid]
    with pytest.raises(TwilioRestException) as missing:
        twilio.queues("QU" + "0" * 32).members("CA" + "0" * 32).fetch()
    assert missing.value.code == 20404
