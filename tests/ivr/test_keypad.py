"""The agent's keypad: digits sent into a bridged call reach the caller's leg as tones (a
participant announcement with ``<Play digits>``), nobody else hears them and nothing else
changes; bad digits are a 422 naming the field and write nothing."""

from __future__ import annotations

from sqlalchemy import select

from core.db import session_scope
from core.models import AuditLog
from ivr.bridge_control import digits_twiml
from tests.ivr.test_bridge import auth, connected


def _played_digits(timeline: list[dict]) -> list[str]:
    return [e["digits"] for e in timeline if e["verb"] == "play" and e.get("digits")]


def test_digits_twiml_plays_only_keypad_tones():
    assert str(digits_twiml("12#w*")).endswith('<Response><Play digits="12#w*" /></Response>')
    assert str(digits_twiml("12; rm")).endswith("<Response />")


def test_keypad_digits_reach_the_caller_only(app, sim, place, agent, client, make_user):
    sid, leg, room = connected(app, sim, place, agent)
    _lead, token = make_user("lin", role="lead")
    before = {k: (p["muted"], p["hold"]) for k, p in sim.conference(room)["participants"].items()}
    response = client.post(f"/api/calls/{sid}/control", json={"action": "digits", "digits": "12#w3"},
                           headers=auth(token))
    assert response.status_code == 200, response.get_json()
    sim.advance(5)
    assert _played_digits(sim.timeline(sid)) == ["12#w3"]
    assert _played_digits(sim.timeline(leg)) == []
    assert sim.hears(sid) == {leg} and sim.hears(leg) == {sid}
    conf = sim.conference(room)
    assert {k: (p["muted"], p["hold"]) for k, p in conf["participants"].items()} == before
    assert conf["status"] == "in-progress"
    body = client.get(f"/api/calls/{sid}", headers=auth(token)).get_json()
    assert {"kind": "control", "action": "digits", "digits": 5} in [
        {k: v for k, v in e.items() if k in ("kind", "action", "digits")} for e in body["timeline"]]

    for bad in ("12a", "", "1" * 33, "＃"):
        refused = client.post(f"/api/calls/{sid}/control", json={"action": "digits", "digits": bad},
                              headers=auth(token))
        assert refused.status_code == 422 and refused.get_json()["error"].startswith("digits"), bad
    assert client.post(f"/api/calls/{sid}/control", json={"action": "digits"},
                       headers=auth(token)).status_code == 422
    with session_scope(app) as s:
        assert s.scalars(select(AuditLog.action).where(AuditLog.target == sid)).all() == ["call_digits"]
    sim.advance(5)
    assert _played_digits(sim.timeline(sid)) == ["12#w3"]
    sim.hangup(sid)
    sim.run_until_idle(120)
