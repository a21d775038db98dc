"""A campaign call that connects to an agent uses the same bridge as an inbound call: the
contact and the agent meet in the conference ``call-<the campaign call's CallSid>``, its
participant events land on the call's timeline, hold works; the agent's wrap-up code on the
call (one list, ``wrapup.dispositions``) is the attempt's too."""

from __future__ import annotations

from sqlalchemy import select

from core.db import session_scope
from core.models import Call
from core.telephony.simulator import Behaviour
from ivr.models import Offer
from scheduler.models import Attempt, DncNumber

from .conftest import NUMBERS, attempts


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_campaign_call_meets_the_agent_in_its_conference(app, sim, make_campaign, run, agent, client, make_user):
    number = NUMBERS[3]
    sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=2))
    _alice, alice = agent("alice")
    cid = make_campaign([number], mode="agent_assisted", csv_columns={"name": "王先生"})
    run(4, step=1)
    [attempt] = attempts(app, cid)
    sid = attempt.call_sid
    assert sid and sim.run_until(lambda: sim.call(sid)["bridged_with"] is not None, max_seconds=120)
    sim.advance(2)
    with session_scope(app) as s:
        leg = s.scalar(select(Offer.agent_call_sid).where(Offer.caller_call_sid == sid))
    room = f"call-{sid}"
    conf = sim.conference(room)
    assert {p["label"]: call_sid for call_sid, p in conf["participants"].items()} == {"caller": sid, "agent": leg}
    assert sim.hears(sid) == {leg} and sim.hears(leg) == {sid}

    assert client.post(f"/api/calls/{sid}/control", json={"action": "hold"}, headers=auth(alice)).status_code == 200
    sim.advance(5)
    assert sim.hears(sid) == set() and any(e["verb"] == "hold" for e in sim.timeline(sid))
    assert client.post(f"/api/calls/{sid}/control", json={"action": "resume"}, headers=auth(alice)).status_code == 200
    sim.advance(2)
    assert sim.hears(sid) == {leg}
    body = client.get(f"/api/calls/{sid}", headers=auth(alice)).get_json()
    assert body["purpose"] == "campaign" and body["conference_sid"] == conf["sid"]
    events = {(p["event"], p.get("label")) for p in body["participants"]}
    assert {("participant-join", "caller"), ("participant-join", "agent"), ("participant-hold", "caller"),
            ("participant-unhold", "caller")} <= events

    sim.hangup(sid)
    sim.run_until_idle(120)
    url = f"/api/calls/{sid}/disposition"
    inbound_only = client.post(url, json={"code": "case_opened"}, headers=auth(alice))
    assert inbound_only.status_code == 422 and "do_not_call" in inbound_only.get_json()["error"]
    given = client.post(url, json={"code": "do_not_call", "note": "请勿再打"}, headers=auth(alice))
    assert given.status_code == 200, given.get_json()
    with session_scope(app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == sid))
        row = s.get(Attempt, attempt.id)
        assert call.disposition == row.disposition == "do_not_call" and row.disposition_note == "请勿再打"
        assert s.scalar(select(DncNumber).where(DncNumber.phone == number)) is not None
