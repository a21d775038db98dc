"""Warm and cold transfer on the call's conference, through the simulator: who hears whom at
each step, who owns the call afterwards, and H11's "never a dead end" when the target does
not answer. Runs on SQLite and PostgreSQL (``HOTLINE_TEST_BACKEND=postgresql``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from agent_console.models import Utterance
from core.db import session_scope
from core.models import AuditLog, Call, Case, CaseKind, Presence, QueueEntry, QueueStatus, User
from core.presence import set_presence
from ivr import queue
from tests.console.conftest import Desk, connect


def _presence(app: Any, user_id: int) -> str:
    with session_scope(app) as s:
        user = s.get(User, user_id)
        assert user is not None
        return user.presence


def _kinds(app: Any, sid: str) -> list[str]:
    with session_scope(app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == sid))
        assert call is not None
        return [e.kind for e in call.events if e.kind.startswith("transfer")]


def _answer(sim: Any, target: Desk) -> str:
    """Run until the target's desk rings with the transfer, answer it; the target's leg."""
    assert sim.run_until(lambda: bool(target.state().get("ringing_leg")), max_seconds=30), "never rang"
    leg = target.state()["ringing_leg"]
    assert target.post("/console/api/answer", {"leg_sid": leg}).status_code == 200
    assert sim.run_until(lambda: leg in sim.hears(leg) or bool(sim.hears(leg)), max_seconds=30)
    return leg


def _api(desk: Desk, sid: str, body: dict[str, Any]) -> Any:
    return desk.client.post(f"/api/calls/{sid}/transfer", json=body,
                            headers={"Authorization": f"Bearer {desk.api_token}"})


def test_warm_transfer_to_the_lead_three_way_then_the_lead_keeps_the_call(app, sim, desk, caller, db):
    alice = desk("alice")
    lin = desk("lin", role="lead")
    alice.post("/console/api/presence", {"state": "available"})
    sid = caller("+8613812345678")
    agent_leg = connect(sim, alice)["call"]["leg_sid"]
    lin.post("/console/api/presence", {"state": "available"})
    picker = [target["to"] for target in alice.state()["call"]["transfer"]["targets"]]
    assert picker[0] == "lead" and "skill:complaint" in picker

    started = alice.post("/console/api/transfer", {"mode": "warm", "to": "lead"})
    assert started.status_code == 200, started.get_json()
    assert started.get_json()["state"] == "dialing"
    lead_leg = _answer(sim, lin)
    sim.advance(3)
    # consult: the agent and the lead talk, the caller is on hold and hears neither
    assert sim.hears(agent_leg) == {lead_leg} and sim.hears(lead_leg) == {agent_leg}
    assert sim.hears(sid) == set()
    assert lin.state()["call"]["call_sid"] == sid  # the lead's desk shows the caller's card
    sim.advance(40)  # a long consult: the caller on hold still hears the hold line again (H3)
    said = [e["t"] for e in sim.timeline(sid) if e["verb"] == "say" and "不要挂断" in (e.get("text") or "")]
    assert len(said) >= 2 and all(b - a <= app.config["HOTLINE"].queue.reassure_every_s + 1
                                  for a, b in zip(said, said[1:], strict=False))

    assert alice.post("/console/api/transfer", {"action": "join"}).get_json()["state"] == "three_way"
    sim.advance(2)
    assert sim.hears(sid) == {agent_leg, lead_leg}
    assert sim.hears(agent_leg) == {sid, lead_leg} and sim.hears(lead_leg) == {sid, agent_leg}

    assert alice.post("/console/api/transfer", {"action": "complete"}).get_json()["state"] == "done"
    sim.advance(2)
    assert sim.call(agent_leg)["ended"]  # the first agent left the room…
    sim.advance(60)
    assert not sim.call(sid)["ended"] and sim.hears(sid) == {lead_leg}  # …the call goes on with the lead
    assert lin.post("/console/api/control", {"action": "mute"}).status_code == 200  # the lead's own participant
    sim.advance(2)
    assert sim.hears(sid) == set() and sim.hears(lead_leg) == {sid}
    assert lin.post("/console/api/control", {"action": "unmute"}).status_code == 200
    sim.advance(2)
    assert sim.hears(sid) == {lead_leg}
    with session_scope(app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == sid))
        assert call is not None and call.agent_id == lin.user_id
        assert s.get(User, alice.user_id).presence == Presence.WRAP_UP
        assert s.get(User, lin.user_id).presence == Presence.BUSY
    card = lin.state()["call"]
    assert card["call_sid"] == sid and card["caller"]["phone"] == "138****5678" and not card["ended"]
    assert card["transfer"]["state"] == "done"
    assert alice.state()["call"]["ended"]  # the first agent's card shows the call over for them
    assert _kinds(app, sid) == ["transfer_started", "transfer_answered", "transfer_three_way",
                                "transfer_completed"]
    with session_scope(app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == sid))
        joined = {e.detail.get("label") for e in call.events
                  if e.kind == "conference" and e.detail.get("event") == "participant-join"}
        assert joined == {"caller", "agent", f"lead-{lin.user_id}"}  # one label per participant
    actions = db.scalars(select(AuditLog.action).where(AuditLog.target == sid).order_by(AuditLog.id)).all()
    assert actions == ["manager_transfer", "call_transfer_join", "call_transfer_complete", "call_mute",
                       "call_unmute"]

    sim.hangup(sid)  # the caller hangs up: the room ends, the lead's leg too; the lead wraps up
    sim.run_until_idle(120)
    assert sim.call(lead_leg)["ended"]
    assert _presence(app, lin.user_id) == Presence.WRAP_UP


def test_cancel_during_the_consult_brings_the_caller_back_to_the_agent(app, sim, desk, caller, db):
    alice = desk("alice")
    bob = desk("bob")
    alice.post("/console/api/presence", {"state": "available"})
    sid = caller("+8613812345678")
    agent_leg = connect(sim, alice)["call"]["leg_sid"]
    bob.post("/console/api/presence", {"state": "available"})
    out = alice.post("/console/api/transfer", {"mode": "warm", "to": f"agent:{bob.user_id}"})
    assert out.status_code == 200, out.get_json()
    bob_leg = _answer(sim, bob)
    sim.advance(2)
    assert sim.hears(agent_leg) == {bob_leg} and sim.hears(sid) == set()
    assert alice.post("/console/api/transfer", {"action": "cancel"}).get_json()["state"] == "cancelled"
    sim.advance(3)
    assert sim.call(bob_leg)["ended"]
    assert sim.hears(sid) == {agent_leg} and sim.hears(agent_leg) == {sid}
    assert _presence(app, bob.user_id) == Presence.AVAILABLE
    assert _kinds(app, sid)[-1] == "transfer_cancelled"
    sim.hangup(sid)
    sim.run_until_idle(120)


def test_cold_transfer_to_an_agent_leaves_at_once_and_the_agent_takes_the_caller(app, sim, desk, caller, db):
    alice = desk("alice")
    bob = desk("bob")
    alice.post("/console/api/presence", {"state": "available"})
    sid = caller("+8613812345678")
    agent_leg = connect(sim, alice)["call"]["leg_sid"]
    bob.post("/console/api/presence", {"state": "available"})
    out = alice.post("/console/api/transfer", {"mode": "cold", "to": f"agent:{bob.user_id}"})
    assert out.status_code == 200 and out.get_json()["state"] == "dialing"
    sim.advance(2)
    assert sim.call(agent_leg)["ended"] and not sim.call(sid)["ended"]  # the agent left at once
    assert _presence(app, alice.user_id) == Presence.WRAP_UP and sim.hears(sid) == set()
    bob_leg = _answer(sim, bob)
    sim.advance(2)
    assert sim.hears(sid) == {bob_leg} and sim.hears(bob_leg) == {sid}  # off hold, with bob
    with session_scope(app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == sid))
        assert call is not None and call.agent_id == bob.user_id
    assert _kinds(app, sid) == ["transfer_started", "transfer_completed"]
    # the live transcript goes on with bob (his leg is transcribed once he answers)
    assert bob.post("/console/api/speak", {"text": "您好,我是1008号客服,请问有什么可以帮您?"}).status_code == 200
    sim.advance(3)
    with session_scope(app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == sid))
        said = s.scalars(select(Utterance).where(Utterance.conversation_call_id == call.id,
                                                 Utterance.agent_id == bob.user_id, Utterance.final.is_(True))).all()
        assert [(u.speaker, u.text) for u in said] == [("agent", "您好,我是1008号客服,请问有什么可以帮您?")]
    bob.post("/console/api/hangup")  # the one who has the call hangs up: the room ends
    sim.run_until_idle(120)
    assert sim.call(sid)["ended"]
    assert _presence(app, bob.user_id) == Presence.WRAP_UP


def test_the_caller_hanging_up_during_the_consult_ends_it_for_both(app, sim, desk, caller, db):
    alice = desk("alice")
    lin = desk("lin", role="lead")
    alice.post("/console/api/presence", {"state": "available"})
    sid = caller("+8613812345678")
    agent_leg = connect(sim, alice)["call"]["leg_sid"]
    lin.post("/console/api/presence", {"state": "available"})
    assert alice.post("/console/api/transfer", {"mode": "warm", "to": "lead"}).status_code == 200
    lead_leg = _answer(sim, lin)
    sim.hangup(sid)
    sim.run_until_idle(120)
    assert sim.call(agent_leg)["ended"] and sim.call(lead_leg)["ended"]
    assert _presence(app, alice.user_id) == Presence.WRAP_UP
    assert _presence(app, lin.user_id) == Presence.WRAP_UP
    with session_scope(app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == sid))
        assert call is not None
        assert [e.detail.get("why") for e in call.events if e.kind == "transfer_cancelled"] == ["the call ended"]
    assert db.scalar(select(Case).where(Case.kind == CaseKind.MANAGER_CALLBACK)) is None


def test_lead_not_answering_the_consult_opens_a_callback_and_the_caller_is_back(app, sim, desk, caller, db):
    alice = desk("alice")
    lin = desk("lin", role="lead")
    alice.post("/console/api/presence", {"state": "available"})
    sid = caller("+8613812345678")
    agent_leg = connect(sim, alice)["call"]["leg_sid"]
    lin.post("/console/api/presence", {"state": "available"})
    assert alice.post("/console/api/transfer", {"mode": "warm", "to": "lead"}).status_code == 200
    sim.advance(5)
    assert sim.hears(sid) == set()  # on hold while the lead's phone rings
    sim.advance(app.config["HOTLINE"].routing.transfer_answer_timeout_s + 10)
    case = db.scalar(select(Case).where(Case.kind == CaseKind.MANAGER_CALLBACK))
    assert case is not None and "did not answer" in case.description
    assert sim.hears(sid) == {agent_leg} and sim.hears(agent_leg) == {sid}  # back with the agent
    assert _presence(app, lin.user_id) == Presence.AWAY
    assert _presence(app, alice.user_id) == Presence.BUSY
    assert _kinds(app, sid) == ["transfer_started", "transfer_failed"]
    sim.hangup(sid)
    sim.run_until_idle(120)


def test_cold_transfer_to_a_skill_requeues_the_caller_at_the_front(app, sim, desk, caller, db):
    alice = desk("alice")
    alice.post("/console/api/presence", {"state": "available"})
    sid = caller("+8613812345678")
    agent_leg = connect(sim, alice)["call"]["leg_sid"]
    others = [caller("+8613812345601", press=["2"]), caller("+8613812345602", press=["3"])]
    sim.advance(20)
    with session_scope(app) as s:
        waiting = s.scalars(select(QueueEntry).where(QueueEntry.status == QueueStatus.WAITING)).all()
        assert sorted(e.call.call_sid for e in waiting) == sorted(others)

    out = alice.post("/console/api/transfer", {"mode": "cold", "to": "skill:complaint"})
    assert out.status_code == 200, out.get_json()
    sim.advance(5)
    assert sim.call(agent_leg)["ended"] and not sim.call(sid)["ended"]
    with session_scope(app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == sid))
        entry = queue.active_entry(s, call)
        assert entry is not None and entry.status == QueueStatus.WAITING and entry.skill == "complaint"
        assert queue.effective_position(s, entry, entry.joined_at) == 1  # ahead of the two waiting
        assert s.get(User, alice.user_id).presence == Presence.WRAP_UP
    assert _kinds(app, sid) == ["transfer_completed", "transferred_to_queue"]
    for other in [sid, *others]:
        sim.hangup(other)
    sim.run_until_idle(120)


def test_only_the_agent_on_the_call_or_a_lead_transfers_and_bad_targets_are_422(app, sim, desk, caller, db):
    alice = desk("alice")
    bob = desk("bob")
    alice.post("/console/api/presence", {"state": "available"})
    sid = caller("+8613812345678")
    connect(sim, alice)
    assert _api(bob, sid, {"mode": "warm", "to": "lead"}).status_code == 403
    for body in ({"mode": "warm", "to": "agent:99999"}, {"mode": "warm", "to": "skill:complaint"},
                 {"mode": "cold", "to": "skill:nothing"}, {"mode": "cold", "to": f"agent:{alice.user_id}"},
                 {"mode": "warm", "to": "boss"}):
        response = _api(alice, sid, body)
        assert response.status_code == 422 and response.get_json()["error"].startswith("to:"), body
    assert _api(alice, "CAnothing", {"mode": "warm", "to": "lead"}).status_code == 404
    assert _api(alice, sid, {"action": "complete"}).status_code == 409  # nothing in progress
    assert _api(alice, sid, {"mode": "warm", "to": f"agent:{bob.user_id}"}).status_code == 409  # bob is away
    # no lead free: H11's call-back case, and the caller stays with the agent
    out = _api(alice, sid, {"mode": "warm", "to": "lead"})
    assert out.status_code == 200 and out.get_json()["outcome"] == "callback" and out.get_json()["case_ref"]
    assert db.scalar(select(AuditLog).where(AuditLog.action.like("%transfer%"))) is None
    sim.hangup(sid)
    sim.run_until_idle(120)


def test_dialing_the_lead_failing_is_no_dead_end_either(app, sim, desk, caller, db, make_user):
    """Twilio refuses to dial the lead (an endpoint it cannot call): the caller is taken off
    hold, back with the agent, and a manager call-back case is opened (H11)."""
    alice = desk("alice")
    alice.post("/console/api/presence", {"state": "available"})
    sid = caller("+8613812345678")
    agent_leg = connect(sim, alice)["call"]["leg_sid"]
    lead, _token = make_user("lin", role="lead", endpoint="client:no such phone")
    with session_scope(app) as s:
        set_presence(s, s.get(User, lead.id), Presence.AVAILABLE)
    assert alice.post("/console/api/transfer", {"mode": "warm", "to": "lead"}).status_code == 200
    sim.advance(3)
    case = db.scalar(select(Case).where(Case.kind == CaseKind.MANAGER_CALLBACK))
    assert case is not None and "transfer failed" in case.description
    assert sim.hears(sid) == {agent_leg} and sim.hears(agent_leg) == {sid}
    assert _kinds(app, sid) == ["transfer_started", "transfer_failed"]
    sim.hangup(sid)
    sim.run_until_idle(120)
