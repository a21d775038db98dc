"""A lead supervises a live call from the live view: listen, whisper, barge, leave — through the
simulator's audio routing (who hears whom, what each party heard), audited, refused to agents,
shown on the lead's view and the agent's card from the room's participant events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from agent_console import notifier
from core.events import ParticipantChanged
from core.models import AuditLog
from core.ops import drain
from core.telephony.gateway import get_gateway
from core.telephony.simulator import Behaviour
from tests.console.conftest import Desk, connect
from tests.console.helpers import csrf_token, post_json


def supervise(desk: Desk, sid: str, mode: str) -> Any:
    return desk.post(f"/console/api/lead/calls/{sid}/supervise", {"mode": mode})


def lead_leg(sim: Any, sid: str) -> str | None:
    participants = sim.conference(f"call-{sid}")["participants"]
    return next((p for p, d in participants.items() if d["label"] == "lead"), None)


def heard(sim: Any, sid: str) -> list[str]:
    return [e["text"] for e in sim.timeline(sid) if e["verb"] == "heard"]


def supervision(lead: Desk, agent: Desk) -> dict[str, Any] | None:
    rows = lead.get("/console/api/lead/state").get_json()["agents"]["agents"]
    row = next(a for a in rows if a["name"] == agent.name)
    return row["call"]["supervision"] if row["call"] else None


def on_call(sim: Any, desk: Any, caller: Any) -> tuple[Desk, Desk, str, str]:
    alice = desk("alice")
    alice.post("/console/api/presence", {"state": "available"})
    lena = desk("lena", role="lead")
    sid = caller("+8613812345678")
    agent_leg = connect(sim, alice)["call"]["leg_sid"]
    sim.advance(3)
    return alice, lena, sid, agent_leg


def test_listen_whisper_barge_and_leave(app, sim, desk, caller, db):
    alice, lena, sid, agent = on_call(sim, desk, caller)

    assert supervise(lena, sid, "listen").status_code == 200
    assert supervision(lena, alice)["connecting"] is True  # the lead's phone rings
    sim.advance(5)
    lead = lead_leg(sim, sid)
    assert lead is not None
    assert sim.call(lead)["to"] == "client:lena"
    assert sim.hears(lead) == {sid, agent}  # the lead hears both …
    assert sim.hears(sid) == {agent} and sim.hears(agent) == {sid}  # … and nobody hears the lead
    sim.speak(lead, "只是旁听")
    assert "只是旁听" not in heard(sim, sid) + heard(sim, agent)
    state = supervision(lena, alice)
    assert state["mode"] == "listen" and state["lead"] == "lena" and not state["connecting"]
    assert alice.state()["call"]["supervised"] is None  # silent listening is not shown to the agent

    assert supervise(lena, sid, "whisper").status_code == 200
    sim.advance(2)
    assert lead_leg(sim, sid) == lead  # the same participant, updated: not dialed again
    sim.speak(lead, "请问对方的城区")
    assert "请问对方的城区" in heard(sim, agent)
    assert "请问对方的城区" not in heard(sim, sid)  # the caller never hears the whisper
    assert sim.hears(sid) == {agent} and sim.hears(agent) == {sid, lead}
    assert supervision(lena, alice)["mode"] == "whisper"
    assert alice.state()["call"]["supervised"] == "whisper"

    assert supervise(lena, sid, "barge").status_code == 200
    sim.advance(2)
    sim.speak(lead, "我是班长")
    assert "我是班长" in heard(sim, sid) and "我是班长" in heard(sim, agent)
    assert sim.hears(sid) == {agent, lead} and sim.hears(agent) == {sid, lead}
    assert supervision(lena, alice)["mode"] == "barge"
    assert alice.state()["call"]["supervised"] == "barge"

    assert supervise(lena, sid, "listen").status_code == 200  # back to listening: muted again
    sim.advance(2)
    assert sim.hears(sid) == {agent} and supervision(lena, alice)["mode"] == "listen"

    assert supervise(lena, sid, "leave").status_code == 200
    sim.advance(2)
    assert sim.call(lead)["status"] == "completed"  # the lead's leg is over …
    assert sim.call(sid)["status"] == "in-progress"  # … the call goes on
    assert sim.hears(sid) == {agent} and sim.hears(agent) == {sid}
    state = supervision(lena, alice)
    assert state["mode"] is None and not state["connecting"]
    assert supervise(lena, sid, "leave").status_code == 409  # not in the call any more

    rows = db.execute(select(AuditLog.user_id, AuditLog.action, AuditLog.target, AuditLog.detail)
                      .where(AuditLog.action == "call_supervise").order_by(AuditLog.id)).all()
    assert [(r.user_id, r.target, r.detail["mode"]) for r in rows] == [
        (lena.user_id, sid, m) for m in ("listen", "whisper", "barge", "listen", "leave")]
    sim.hangup(sid)
    sim.run_until_idle(120)


def test_the_caller_hanging_up_ends_the_leads_leg(app, sim, desk, caller):
    alice, lena, sid, _agent = on_call(sim, desk, caller)
    assert supervise(lena, sid, "barge").status_code == 200
    sim.advance(5)
    lead = lead_leg(sim, sid)
    assert lead is not None and sim.call(lead)["status"] == "in-progress"
    sim.hangup(sid)
    sim.advance(5)
    assert sim.call(lead)["status"] == "completed"
    assert supervise(lena, sid, "listen").status_code == 409  # the agent is no longer on a call
    sim.run_until_idle(120)


def test_leaving_while_the_leads_phone_rings_hangs_it_up(app, sim, desk, caller):
    alice, lena, sid, agent = on_call(sim, desk, caller)
    assert supervise(lena, sid, "listen").status_code == 200
    assert drain(app)  # the Participants request has been made: the lead's leg rings
    state = supervision(lena, alice)
    assert state["connecting"] and state["lead_leg"]
    assert supervise(lena, sid, "whisper").status_code == 409  # still ringing
    assert supervise(lena, sid, "leave").status_code == 200
    sim.advance(5)
    assert sim.call(state["lead_leg"])["status"] in ("completed", "canceled")
    assert lead_leg(sim, sid) is None and sim.hears(sid) == {agent}
    assert not supervision(lena, alice)["connecting"]
    sim.hangup(sid)
    sim.run_until_idle(120)


def test_a_lead_phone_that_never_answers_is_shown_and_can_be_tried_again(app, sim, desk, caller):
    alice, lena, sid, agent = on_call(sim, desk, caller)
    sim.set_behaviour("client:lena", Behaviour(answer="no-answer"))  # a real phone, not picked up
    assert supervise(lena, sid, "listen").status_code == 200
    sim.advance(70)  # Twilio's ring timeout
    state = supervision(lena, alice)
    assert not state["connecting"] and state["mode"] is None and "no-answer" in state["error"]
    assert lead_leg(sim, sid) is None and sim.hears(sid) == {agent}
    sim.set_behaviour("client:lena", Behaviour(answer="human", answer_after_s=1))
    assert supervise(lena, sid, "listen").status_code == 200  # dialed again
    sim.advance(5)
    assert supervision(lena, alice)["mode"] == "listen"
    sim.hangup(sid)
    sim.run_until_idle(120)


def test_a_lead_already_in_the_call_another_way_is_not_joined_twice(app, sim, desk, caller):
    alice, lena, sid, agent = on_call(sim, desk, caller)
    sim.set_behaviour("client:max", Behaviour(answer="human", answer_after_s=1))
    get_gateway(app).add_participant(sim.call(sid)["conference_sid"], "client:max", label="lead")  # a transfer
    sim.advance(5)
    refused = supervise(lena, sid, "listen")
    assert refused.status_code == 409 and "already" in refused.get_json()["error"]
    sim.hangup(sid)
    sim.run_until_idle(120)


def test_only_leads_supervise_and_bad_modes_are_refused(app, sim, desk, caller, client, db):
    alice, lena, sid, _agent = on_call(sim, desk, caller)
    bob = desk("bob")
    assert supervise(bob, sid, "listen").status_code == 403  # an agent
    signed_out = post_json(client, f"/console/api/lead/calls/{sid}/supervise", csrf_token(client), {"mode": "listen"})
    assert signed_out.status_code == 401
    bad = supervise(lena, sid, "spy")
    assert bad.status_code == 422 and bad.get_json()["error"].startswith("mode:")
    assert supervise(lena, sid, "").status_code == 400
    assert supervise(lena, "CAnope", "listen").status_code == 404
    assert supervise(lena, sid, "leave").status_code == 409  # the lead is not in the call
    assert db.scalar(select(AuditLog.id).where(AuditLog.action == "call_supervise")) is None  # nothing written

    max_ = desk("max", role="lead")
    assert supervise(lena, sid, "listen").status_code == 200
    assert supervise(max_, sid, "listen").status_code == 409  # one lead at a time
    sim.hangup(sid)
    sim.run_until_idle(120)


def test_the_api_supervises_with_a_bearer_token(app, sim, desk, caller, client):
    alice, lena, sid, agent = on_call(sim, desk, caller)
    lead = {"Authorization": f"Bearer {lena.api_token}"}
    url = f"/api/calls/{sid}/supervise"
    assert client.post(url, json={"mode": "listen"}).status_code == 401
    agent_token = {"Authorization": f"Bearer {alice.api_token}"}
    assert client.post(url, json={"mode": "listen"}, headers=agent_token).status_code == 403
    assert client.post(url, json={"mode": "spy"}, headers=lead).status_code == 422
    response = client.post(url, json={"mode": "whisper"}, headers=lead)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["action"] == "add"
    sim.advance(5)
    leg = lead_leg(sim, sid)
    assert leg is not None and sim.hears(agent) == {sid, leg} and sim.hears(sid) == {agent}
    call = client.get(f"/api/calls/{sid}", headers=lead).get_json()
    joined = [p for p in call["participants"] if p.get("label") == "lead"]
    assert joined[0]["event"] == "participant-join" and joined[0]["coaching"] is True
    assert client.post(url, json={"mode": "leave"}, headers=lead).get_json()["action"] == "remove"
    sim.advance(3)
    assert sim.call(leg)["status"] == "completed" and sim.call(sid)["status"] == "in-progress"
    sim.hangup(sid)
    sim.run_until_idle(120)


def test_a_lead_joining_marks_the_agents_desk_and_the_leads_view():
    dirty = notifier.dirty_of([ParticipantChanged(call_sid="CA1", agent_id=7)])
    assert dirty.users == {7} and dirty.calls == {"CA1"} and dirty.agents and not dirty.queue


def test_a_lead_listening_in_is_not_offered_callers_until_the_phone_hangs_up(app, sim, desk, caller):
    alice, lena, sid, _agent = on_call(sim, desk, caller)
    lena.post("/console/api/presence", {"state": "available"})
    assert supervise(lena, sid, "listen").status_code == 200
    sim.advance(5)
    assert lena.state()["presence"]["state"] == "busy"  # routing skips a lead whose phone is in a call
    assert supervise(lena, sid, "leave").status_code == 200
    sim.advance(5)
    assert lena.state()["presence"]["state"] != "busy"  # free again (after any wrap-up)
    sim.hangup(sid)
    sim.run_until_idle(120)


def test_a_lead_who_was_away_stays_away_after_listening(app, sim, desk, caller):
    alice, lena, sid, _agent = on_call(sim, desk, caller)
    lena.post("/console/api/presence", {"state": "away"})
    assert supervise(lena, sid, "listen").status_code == 200
    sim.advance(5)
    assert supervise(lena, sid, "leave").status_code == 200
    sim.advance(5)
    assert lena.state()["presence"]["state"] == "away"
    sim.hangup(sid)
    sim.run_until_idle(120)
