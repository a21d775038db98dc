"""A call-back that connects to an agent uses the same bridge as an inbound call: the customer
and the agent meet in the conference ``call-<the call-back's CallSid>``, its participant events
land on the call's timeline, and hold / resume work on it (through the simulator)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import session_scope
from core.models import CallbackRequest, CallbackStatus
from core.telephony.simulator import Behaviour
from ivr.models import Offer
from tests.ivr.conftest import CALLERS, call_row, set_state
from tests.ivr.test_bridge import auth

NUMBER = CALLERS[7]


def _callback_sid(app: Any) -> str | None:
    with session_scope(app) as s:
        return s.scalar(select(CallbackRequest.call_sid).where(CallbackRequest.phone == NUMBER))


def test_a_callback_meets_the_agent_in_its_conference(app, sim, place, agent, client, make_user):
    alice = agent("alice", state="away")
    sim.set_behaviour(NUMBER, Behaviour(answer="human", answer_after_s=2))
    place(NUMBER, press=["1", "1"])  # leaves the line at the first reassurance: "call me back"
    sim.advance(60)
    with session_scope(app) as s:
        assert s.scalar(select(CallbackRequest.status)) == CallbackStatus.PENDING
    set_state(app, alice, "available")

    def bridged() -> bool:
        sid = _callback_sid(app)
        return bool(sid and sim.call(sid)["bridged_with"])

    assert sim.run_until(bridged, max_seconds=120)
    sim.advance(2)
    sid = _callback_sid(app)
    assert sid is not None
    with session_scope(app) as s:
        leg = s.scalar(select(Offer.agent_call_sid).where(Offer.caller_call_sid == sid))
    room = f"call-{sid}"
    conf = sim.conference(room)
    assert {p["label"]: call_sid for call_sid, p in conf["participants"].items()} == {"caller": sid, "agent": leg}
    assert sim.hears(sid) == {leg} and sim.hears(leg) == {sid}
    row = call_row(app, sid)
    assert row.purpose == "callback" and row.conference_sid == conf["sid"]

    _lead, token = make_user("lin", role="lead")
    assert client.post(f"/api/calls/{sid}/control", json={"action": "hold"}, headers=auth(token)).status_code == 200
    sim.advance(5)
    assert sim.hears(sid) == set() and sim.hears(leg) == set()
    assert any(e["verb"] == "hold" for e in sim.timeline(sid))
    assert client.post(f"/api/calls/{sid}/control", json={"action": "resume"}, headers=auth(token)).status_code == 200
    sim.advance(2)
    assert sim.hears(sid) == {leg}
    body = client.get(f"/api/calls/{sid}", headers=auth(token)).get_json()
    assert body["conference_sid"] == conf["sid"]
    events = [(p["event"], p.get("label")) for p in body["participants"]]
    assert {("participant-join", "caller"), ("participant-join", "agent"), ("participant-hold", "caller"),
            ("participant-unhold", "caller")} <= set(events)
    sim.hangup(sid)
    sim.run_until_idle(120)
    assert sim.conference(room)["status"] == "completed" and sim.call(leg)["ended"]
