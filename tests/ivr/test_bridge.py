"""The bridge is a conference: caller and agent meet in the call's room (through the simulator),
its events land on the call, the agent holds / resumes / mutes / hangs up through the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import session_scope
from core.models import AuditLog, User
from ivr import prompts
from ivr.models import Offer, OfferStatus
from tests.ivr.conftest import call_row, says, set_state


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def connected(app: Any, sim: Any, place: Any, agent: Any) -> tuple[str, str, str]:
    """A caller (who stays on the line) connected to alice: (caller sid, agent leg sid, room)."""
    alice = agent("alice", state="away")
    sid = place(press=["1"], talk_s=None)
    sim.advance(40)  # in line, hearing the wait loop
    set_state(app, alice, "available")
    room = f"call-{sid}"
    assert sim.run_until(lambda: sim.call(sid)["bridged_with"] is not None, max_seconds=120)
    sim.advance(2)
    with session_scope(app) as s:
        leg = s.scalar(select(Offer.agent_call_sid).order_by(Offer.id.desc()))
    return sid, leg, room


def test_caller_and_agent_meet_in_the_call_room(app, sim, place, agent, client, make_user):
    sid, leg, room = connected(app, sim, place, agent)
    conf = sim.conference(room)
    labels = {p["label"]: call_sid for call_sid, p in conf["participants"].items()}
    assert labels == {"caller": sid, "agent": leg} and conf["status"] == "in-progress"
    assert sim.hears(sid) == {leg} and sim.hears(leg) == {sid}
    # the caller left the line by a redirect: Twilio requested the Enqueue action at once
    redirected = [r["params"]["QueueResult"] for r in sim.requests(sid) if "QueueResult" in r["params"]]
    assert redirected == ["redirected"]
    # the caller still hears "connecting you to agent N" before the room
    connecting = prompts.text(app.config["HOTLINE"], "connecting", "zh-CN", agent_code="alice")
    assert connecting.split("alice")[0] in says(sim.timeline(sid))[-1][1]
    assert call_row(app, sid).conference_sid == conf["sid"]
    _lead, token = make_user("lin", role="lead")
    body = client.get(f"/api/calls/{sid}", headers=auth(token)).get_json()
    assert body["conference_sid"] == conf["sid"]
    joined = [(p["event"], p.get("label")) for p in body["participants"]]
    assert ("participant-join", "caller") in joined and ("participant-join", "agent") in joined
    assert ("conference-start", None) in joined
    assert [p["sequence"] for p in body["participants"]] == sorted(p["sequence"] for p in body["participants"])

    sim.hangup(sid)  # the caller leaves: the room ends, the agent's leg ends, wrap-up
    sim.run_until_idle(120)
    assert sim.conference(room)["reason_ended"] == "participant-with-end-conference-on-exit-left"
    assert sim.call(leg)["ended"]
    with session_scope(app) as s:
        offer = s.scalar(select(Offer).order_by(Offer.id.desc()))
        assert offer.status == OfferStatus.DONE and offer.agent.presence == "wrap_up"


def test_the_agent_hanging_up_ends_the_call_with_the_closing(app, sim, place, agent):
    sid, leg, room = connected(app, sim, place, agent)
    sim.hangup(leg)
    sim.run_until_idle(120)
    closing = prompts.text(app.config["HOTLINE"], "closing", "zh-CN")
    assert says(sim.timeline(sid))[-1][1] == closing
    assert sim.call(sid)["ended"] and sim.conference(room)["status"] == "completed"


def test_hold_then_resume_keeps_the_reassurance_promise(app, sim, place, agent, client, make_user):
    sid, leg, room = connected(app, sim, place, agent)
    _bob, bob = make_user("bob")
    _lead, lead = make_user("lin", role="lead")
    refused = client.post(f"/api/calls/{sid}/control", json={"action": "hold"}, headers=auth(bob))
    assert refused.status_code == 403 and "error" in refused.get_json()
    response = client.post(f"/api/calls/{sid}/control", json={"action": "hold"}, headers=auth(lead))
    assert response.status_code == 200 and response.get_json()["action"] == "hold"
    sim.advance(95)
    assert sim.hears(sid) == set()
    sim.speak(leg, "我查一下")
    line = sim.timeline(sid)
    held_t = next(e["t"] for e in line if e["verb"] == "hold")
    hold_line = prompts.text(app.config["HOTLINE"], "manager_hold", "zh-CN")
    heard_t = [t for t, text in says(line) if text == hold_line and t >= held_t]
    marks = [held_t, *heard_t, held_t + 95]  # hold began, each hold line, now
    gaps = [round(b - a, 1) for a, b in zip(marks, marks[1:], strict=False)]
    assert len(heard_t) >= 3 and max(gaps) <= 30, (held_t, heard_t)
    assert all(e["text"] != "我查一下" for e in line if e["verb"] == "heard")

    assert client.post(f"/api/calls/{sid}/control", json={"action": "resume"}, headers=auth(lead)).status_code == 200
    sim.advance(3)
    assert sim.hears(sid) == {leg}
    sim.speak(leg, "让您久等了")
    assert [e["text"] for e in sim.timeline(sid) if e["verb"] == "heard"][-1] == "让您久等了"
    with session_scope(app) as s:
        actions = s.scalars(select(AuditLog.action).where(AuditLog.target == sid).order_by(AuditLog.id)).all()
        assert actions == ["call_hold", "call_resume"]
    kinds = [p["event"] for p in client.get(f"/api/calls/{sid}", headers=auth(lead)).get_json()["participants"]]
    assert "participant-hold" in kinds and "participant-unhold" in kinds
    sim.hangup(sid)
    sim.run_until_idle(120)


def test_mute_and_hang_up_through_the_api(app, sim, place, agent, client):
    sid, leg, room = connected(app, sim, place, agent)
    with session_scope(app) as s:
        from core.users import hash_token

        s.scalar(select(User).where(User.name == "alice")).token_hash = hash_token("hl_test_alice_token")
    alice = auth("hl_test_alice_token")
    assert client.post(f"/api/calls/{sid}/control", json={"action": "mute"}, headers=alice).status_code == 200
    sim.advance(1)
    assert sim.hears(sid) == set() and sim.hears(leg) == {sid}
    assert client.post(f"/api/calls/{sid}/control", json={"action": "unmute"}, headers=alice).status_code == 200
    sim.advance(1)
    assert sim.hears(sid) == {leg}
    assert client.post(f"/api/calls/{sid}/control", json={"action": "hangup"}, headers=alice).status_code == 200
    sim.run_until_idle(120)
    assert sim.call(sid)["ended"] and sim.call(leg)["ended"]
    assert sim.conference(room)["reason_ended"] == "conference-ended-via-API"
    after = client.post(f"/api/calls/{sid}/control", json={"action": "hold"}, headers=alice)
    assert after.status_code == 409
    assert client.post("/api/calls/CAnope/control", json={"action": "hold"}, headers=alice).status_code == 404
    assert client.post(f"/api/calls/{sid}/control", json={"action": "dance"}, headers=alice).status_code == 400


def test_a_caller_gone_before_the_agent_got_in_leaves_no_agent_waiting(app, sim, place, agent):
    alice = agent("alice", state="away")
    sid = place(press=["1"], talk_s=None)
    sim.advance(40)
    set_state(app, alice, "available")
    assert sim.run_until(lambda: any(e["verb"] == "conference" for e in sim.timeline(sid)), max_seconds=60)
    assert sim.call(sid)["bridged_with"] is None  # the agent still hears the whisper
    sim.hangup(sid)
    sim.run_until_idle(300)
    with session_scope(app) as s:
        offer = s.scalar(select(Offer).order_by(Offer.id.desc()))
        leg = offer.agent_call_sid
        assert offer.status == OfferStatus.DONE
    assert sim.call(leg)["ended"] and sim.call(leg)["duration"] < 60
    assert all(conf.status == "completed" for conf in sim.conferences.values())


def test_an_agent_gone_during_the_whisper_sends_the_caller_back_in_line(app, sim, place, agent):
    alice = agent("alice", state="away")
    sid = place(press=["1"], talk_s=None)
    sim.advance(40)
    set_state(app, alice, "available")
    assert sim.run_until(lambda: any(e["verb"] == "conference" for e in sim.timeline(sid)), max_seconds=60)
    with session_scope(app) as s:
        leg = s.scalar(select(Offer.agent_call_sid).order_by(Offer.id.desc()))
    from core.telephony.simulator import Behaviour

    sim.set_behaviour("client:alice", Behaviour(answer="manual"))  # her next ring is not answered
    sim.hangup(leg)  # still hearing the whisper, never in the room
    sim.advance(10)
    line = sim.timeline(sid)
    assert [e["verb"] for e in line].count("enqueue") == 2  # back in the line
    assert not any(e["verb"] == "bridged" for e in line)
    row = call_row(app, sid)
    assert row.answered_at is None and row.queue_result is None
    with session_scope(app) as s:
        first = s.scalar(select(Offer).order_by(Offer.id))
        assert (first.status, first.reason) == (OfferStatus.CANCELLED, "agent left before the bridge")
    sim.hangup(sid)
    sim.run_until_idle(120)
