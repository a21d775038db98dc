"""<Dial><Conference>: lifetime, status callbacks, the Conferences/Participants REST resources
through the real ``twilio`` client, and who hears whom (mute, hold, coaching)."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from core.telephony.gateway import TelephonyGateway
from core.telephony.simulator import Behaviour, CallerScript, Simulator

from .conftest import CALLER, HOTLINE, PUBLIC, Hooks, twiml, verbs

AGENT, LEAD = "client:alice", "client:lead"
ROOM = "call-room"
ALL_EVENTS = "start end join leave mute hold modify announcement"


def conference_hooks(hooks: Hooks, caller_end_on_exit: bool = True) -> None:
    """The caller waits in the room (not starting it); the agent's leg starts it."""
    hooks.on("/voice", twiml(lambda r: r.dial(action="/caller-after").conference(
        ROOM, participant_label="caller", start_conference_on_enter=False,
        end_conference_on_exit=caller_end_on_exit, wait_url="/wait", beep=False,
        status_callback="/conf-status", status_callback_event=ALL_EVENTS)))
    hooks.on("/wait", twiml(lambda r: (r.say("please wait"), r.pause(length=10))))
    hooks.on("/agent", twiml(lambda r: r.dial(action="/agent-after").conference(
        ROOM, participant_label="agent", start_conference_on_enter=True, end_conference_on_exit=False,
        status_callback="/conf-status", status_callback_event=ALL_EVENTS)))
    hooks.on("/caller-after", twiml(lambda r: r.say("thank you for calling")))
    hooks.on("/agent-after", twiml(lambda r: r.say("wrap up")))
    hooks.on("/hold", twiml(lambda r: (r.say("you are on hold"), r.pause(length=20))))
    hooks.on("/announce", twiml(lambda r: r.say("this call may be recorded")))
    hooks.on("/conf-status")
    hooks.on("/status")


def meet(sim: Simulator, twilio: Client, caller: CallerScript | None = None) -> tuple[str, str]:
    sim.set_behaviour(AGENT, Behaviour(answer="human", answer_after_s=2))
    caller_sid = sim.place_inbound_call(CALLER, HOTLINE, caller or CallerScript(talk_s=None))
    sim.advance(15)
    agent_sid = twilio.calls.create(to=AGENT, from_=HOTLINE, url=f"{PUBLIC}/agent").sid
    sim.advance(10)
    return caller_sid, agent_sid


def events(hooks: Hooks) -> list[tuple[str, str]]:
    return [(p["StatusCallbackEvent"], p.get("ParticipantLabel", "")) for p in hooks.hits("/conf-status")]


def test_the_first_participant_creates_it_and_the_starter_starts_it(sim: Simulator, hooks: Hooks,
                                                                   twilio: Client) -> None:
    conference_hooks(hooks)
    caller, agent = meet(sim, twilio)

    line = sim.timeline(caller)
    started = verbs(line, "conference_started")[0]["t"]
    waited = [e for e in verbs(line, "say") if e["text"] == "please wait"]
    assert waited and all(e["t"] < started for e in waited)  # waitUrl audio until the agent came
    assert sim.hears(caller) == {agent} and sim.hears(agent) == {caller}
    assert events(hooks) == [("participant-join", "caller"), ("participant-join", "agent"),
                             ("conference-start", "")]
    hits = hooks.hits("/conf-status")
    assert [int(p["SequenceNumber"]) for p in hits] == [1, 2, 3]
    assert {p["ConferenceSid"] for p in hits} == {sim.call(caller)["conference_sid"]}
    assert hits[0]["FriendlyName"] == ROOM and hits[0]["StartConferenceOnEnter"] == "false"
    assert (hits[0]["EndConferenceOnExit"], hits[1]["EndConferenceOnExit"]) == ("true", "false")
    assert hits[0]["Muted"] == hits[0]["Hold"] == hits[0]["Coaching"] == "false"
    listed = twilio.conferences.list(friendly_name=ROOM, status="in-progress")
    assert [c.sid for c in listed] == [hits[0]["ConferenceSid"]]
    labels = {p.label: p.call_sid for p in twilio.conferences(listed[0].sid).participants.list()}
    assert labels == {"caller": caller, "agent": agent}


def test_the_agent_leaving_keeps_the_call_and_the_caller_leaving_ends_it(sim: Simulator, hooks: Hooks,
                                                                       twilio: Client) -> None:
    conference_hooks(hooks)
    caller, agent = meet(sim, twilio)
    conf_sid = sim.call(caller)["conference_sid"]
    twilio.conferences(conf_sid).participants("agent").delete()
    sim.advance(5)
    assert twilio.conferences(conf_sid).fetch().status == "in-progress"
    assert verbs(sim.timeline(agent), "say")[-1]["text"] == "wrap up"  # its Dial went on
    assert hooks.hits("/agent-after")[0]["DialCallStatus"] == "completed"
    sim.hangup(caller)
    sim.run_until_idle(60)
    conf = twilio.conferences(conf_sid).fetch()
    assert (conf.status, conf.reason_conference_ended, conf.call_sid_ending_conference) == (
        "completed", "participant-with-end-conference-on-exit-left", caller)
    end = hooks.hits("/conf-status")[-1]
    assert (end["StatusCallbackEvent"], end["ReasonConferenceEnded"], end["CallSidEndingConference"]) == (
        "conference-end", "participant-with-end-conference-on-exit-left", caller)
    assert twilio.conferences.list(friendly_name=ROOM, status="in-progress") == []


def test_ending_through_the_api_sends_everyone_on(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    conference_hooks(hooks)
    caller, agent = meet(sim, twilio)
    conf_sid = sim.call(caller)["conference_sid"]
    twilio.conferences(conf_sid).update(status="completed")
    sim.advance(10)
    assert sim.conference(ROOM)["reason_ended"] == "conference-ended-via-API"
    assert verbs(sim.timeline(caller), "say")[-1]["text"] == "thank you for calling"
    assert verbs(sim.timeline(agent), "say")[-1]["text"] == "wrap up"
    leaves = [label for name, label in events(hooks) if name == "participant-leave"]
    assert sorted(leaves) == ["agent", "caller"] and events(hooks)[-1] == ("conference-end", "")


def test_the_last_participant_leaving_ends_it(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    conference_hooks(hooks, caller_end_on_exit=False)
    caller, agent = meet(sim, twilio)
    sim.hangup(agent)
    sim.advance(1)
    assert sim.conference(ROOM)["status"] == "in-progress"
    sim.hangup(caller)
    sim.advance(1)
    conf = sim.conference(ROOM)
    assert (conf["status"], conf["reason_ended"], conf["call_sid_ending"]) == (
        "completed", "last-participant-left", caller)


def test_hold_plays_hold_audio_and_cuts_both_ways(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    conference_hooks(hooks)
    caller, agent = meet(sim, twilio)
    conf_sid = sim.call(caller)["conference_sid"]
    twilio.conferences(conf_sid).participants(caller).update(hold=True, hold_url=f"{PUBLIC}/hold",
                                                            hold_method="POST")
    sim.advance(45)
    assert sim.hears(caller) == set() and sim.hears(agent) == set()
    sim.speak(agent, "let me check that")
    heard = [e["text"] for e in verbs(sim.timeline(caller), "heard")]
    assert "let me check that" not in heard
    on_hold = [e for e in verbs(sim.timeline(caller), "say") if e["text"] == "you are on hold"]
    assert len(on_hold) == 3  # the hold document loops (20 s pause)
    twilio.conferences(conf_sid).participants("caller").update(hold=False)
    sim.advance(5)
    sim.speak(agent, "thanks for waiting")
    assert verbs(sim.timeline(caller), "heard")[-1]["text"] == "thanks for waiting"
    names = [name for name, _ in events(hooks)]
    assert names[-2:] == ["participant-hold", "participant-unhold"]


def test_a_lead_listens_whispers_and_barges(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    conference_hooks(hooks)
    caller, agent = meet(sim, twilio)
    sim.set_behaviour(LEAD, Behaviour(answer="human", answer_after_s=1))
    created = twilio.conferences(ROOM).participants.create(from_=HOTLINE, to=LEAD, label="lead", muted=True,
                                                           status_callback=f"{PUBLIC}/status",
                                                           status_callback_event=["answered", "completed"])
    lead = created.call_sid
    sim.advance(5)
    assert sim.hears(lead) == {caller, agent}
    sim.speak(lead, "listening only")
    assert sim.hears(caller) == {agent} and sim.hears(agent) == {caller}
    assert "listening only" not in [e["text"] for e in verbs(sim.timeline(agent), "heard")]

    conf_sid = sim.call(caller)["conference_sid"]
    twilio.conferences(conf_sid).participants("lead").update(muted=False, coaching=True, call_sid_to_coach=agent)
    sim.speak(lead, "ask for the district")
    assert verbs(sim.timeline(agent), "heard")[-1] == {
        **verbs(sim.timeline(agent), "heard")[-1], "text": "ask for the district", "label": "lead", "from": lead}
    assert "ask for the district" not in [e["text"] for e in verbs(sim.timeline(caller), "heard")]
    assert sim.hears(caller) == {agent} and sim.hears(agent) == {caller, lead}

    twilio.conferences(conf_sid).participants(lead).update(coaching=False)
    sim.speak(lead, "I am the team lead")
    assert verbs(sim.timeline(caller), "heard")[-1]["text"] == "I am the team lead"
    assert sim.hears(caller) == {agent, lead}
    sim.advance(1)
    names = [name for name, label in events(hooks) if label == "lead"]
    assert names == ["participant-join", "participant-unmute", "participant-modify", "participant-modify"]
    answered = [p["CallStatus"] for p in hooks.hits("/status") if p["CallSid"] == lead]
    assert answered == ["in-progress"]


def test_coaching_someone_on_hold_fails(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    conference_hooks(hooks)
    caller, agent = meet(sim, twilio)
    conf_sid = sim.call(caller)["conference_sid"]
    twilio.conferences(conf_sid).participants(agent).update(hold=True)
    with pytest.raises(TwilioRestException) as err:
        twilio.conferences(conf_sid).participants(caller).update(coaching=True, call_sid_to_coach=agent)
    assert err.value.code == 16027
    with pytest.raises(TwilioRestException) as missing:
        twilio.conferences(conf_sid).participants("nobody").fetch()
    assert missing.value.status == 404


def test_an_announcement_is_played_to_the_participant(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    conference_hooks(hooks)
    caller, _agent = meet(sim, twilio)
    conf_sid = sim.call(caller)["conference_sid"]
    twilio.conferences(conf_sid).participants("caller").update(announce_url=f"{PUBLIC}/announce")
    sim.advance(10)
    assert verbs(sim.timeline(caller), "say")[-1]["text"] == "this call may be recorded"
    assert events(hooks)[-1] == ("announcement-end", "caller")


def test_redirecting_a_participant_takes_it_out(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    conference_hooks(hooks, caller_end_on_exit=False)
    caller, agent = meet(sim, twilio)
    hooks.on("/elsewhere", twiml(lambda r: r.say("somewhere else")))
    twilio.calls(agent).update(url=f"{PUBLIC}/elsewhere")
    sim.advance(5)
    assert verbs(sim.timeline(agent), "say")[-1]["text"] == "somewhere else"
    assert hooks.hits("/agent-after") == []  # redirected away: no Dial action
    assert set(sim.conference(ROOM)["participants"]) == {caller}


def test_the_gateway_adds_and_removes_a_participant(sim: Simulator, hooks: Hooks, twilio: Client) -> None:
    conference_hooks(hooks)
    caller, agent = meet(sim, twilio)
    gateway = TelephonyGateway(twilio, HOTLINE, sleep=lambda s: None)
    sim.set_behaviour(LEAD, Behaviour(answer="human", answer_after_s=1))
    lead = gateway.add_participant(ROOM, LEAD, label="lead", muted=True,
                                   status_callback=f"{PUBLIC}/status")
    sim.advance(5)
    assert sim.hears(lead) == {caller, agent} and sim.hears(caller) == {agent}
    gateway.remove_participant(sim.call(caller)["conference_sid"], "lead")
    sim.advance(1)
    assert sim.call(lead)["status"] == "completed"
    assert sim.hears(caller) == {agent}


def test_a_name_used_again_opens_a_new_conference_and_lists_newest_first(sim: Simulator, hooks: Hooks,
                                                                          twilio: Client) -> None:
    conference_hooks(hooks)
    hooks.on("/other", twiml(lambda r: r.dial().conference("another-room", beep=False)))
    first_caller, _agent = meet(sim, twilio)
    first = sim.call(first_caller)["conference_sid"]
    twilio.calls.create(to="client:bob", from_=HOTLINE, url=f"{PUBLIC}/other")
    twilio.conferences(first).update(status="completed")
    sim.advance(10)
    second_caller, _agent = meet(sim, twilio)
    second = sim.call(second_caller)["conference_sid"]
    assert second != first
    assert [c.sid for c in twilio.conferences.list(friendly_name=ROOM)] == [second, first]
    assert [c.sid for c in twilio.conferences.list(friendly_name=ROOM, status="completed")] == [first]
    assert [c.sid for c in twilio.conferences.list(friendly_name=ROOM, status="in-progress")] == [second]
    assert len(twilio.conferences.list()) == 3 and twilio.conferences.list(friendly_name="nowhere") == []
