"""The call card's Hold / Mute buttons (``/console/api/control``): through the simulator, the
caller hears the hold line and the two stop hearing each other; audited; only on one's own call."""

from __future__ import annotations

from sqlalchemy import select

from core.models import AuditLog
from tests.console.conftest import connect


def test_hold_mute_and_resume_from_the_console(app, sim, desk, caller, db):
    alice = desk("alice")
    alice.post("/console/api/presence", {"state": "available"})
    sid = caller("+8613812345678")
    state = connect(sim, alice)
    leg = state["call"]["leg_sid"]
    sim.advance(3)
    assert sim.hears(sid) == {leg}

    response = alice.post("/console/api/control", {"action": "hold"})
    assert response.status_code == 200, response.get_json()
    sim.advance(40)
    assert sim.hears(sid) == set() and sim.hears(leg) == set()
    assert any(e["verb"] == "say" and "不要挂断" in e["text"] for e in sim.timeline(sid))
    assert alice.post("/console/api/control", {"action": "resume"}).status_code == 200
    assert alice.post("/console/api/control", {"action": "mute"}).status_code == 200
    sim.advance(2)
    assert sim.hears(sid) == set() and sim.hears(leg) == {sid}
    assert alice.post("/console/api/control", {"action": "unmute"}).status_code == 200
    sim.advance(2)
    assert sim.hears(sid) == {leg}
    assert alice.post("/console/api/control", {"action": "jump"}).status_code == 400
    bob = desk("bob")
    assert bob.post("/console/api/control", {"action": "hold"}).status_code == 409  # bob has no call
    actions = db.scalars(select(AuditLog.action).where(AuditLog.target == sid).order_by(AuditLog.id)).all()
    assert actions == ["call_hold", "call_resume", "call_mute", "call_unmute"]
    sim.hangup(sid)
    sim.run_until_idle(120)


def test_keypad_sends_tones_to_the_caller_from_the_card(app, sim, desk, caller, db):
    alice = desk("alice")
    alice.post("/console/api/presence", {"state": "available"})
    sid = caller("+8613812345679")
    state = connect(sim, alice)
    leg = state["call"]["leg_sid"]
    sim.advance(3)
    assert alice.post("/console/api/control", {"action": "digits", "digits": "5"}).status_code == 200
    sim.advance(2)  # (an announcement arriving while another plays replaces it: the page batches keys)
    assert alice.post("/console/api/control", {"action": "digits", "digits": "0#"}).status_code == 200
    bad = alice.post("/console/api/control", {"action": "digits", "digits": "5x"})
    assert bad.status_code == 422 and bad.get_json()["field"] == "digits"
    sim.advance(5)
    played = [e["digits"] for e in sim.timeline(sid) if e["verb"] == "play" and e.get("digits")]
    assert played == ["5", "0#"]
    assert not any(e.get("digits") for e in sim.timeline(leg) if e["verb"] == "play")
    assert sim.hears(sid) == {leg}
    sim.hangup(sid)
    sim.run_until_idle(120)
