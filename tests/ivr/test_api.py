"""GET /api/queue, POST /api/agents/me/presence, GET /api/calls/<call_sid>."""

from __future__ import annotations

from sqlalchemy import select

from core.db import session_scope
from core.models import Presence, User
from tests.ivr.conftest import CALLERS


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_queue_lists_waiting_callers_in_service_order(app, client, sim, place, agent, make_user):
    agent("alice", state="away")
    _lead, token = make_user("lead1", role="lead")
    first = place(CALLERS[1], press=["1"], hangup_after_s=300)
    sim.advance(10)
    urgent = place(CALLERS[2], press=["0"], hangup_after_s=300)
    sim.advance(40)  # both past the greeting and menu, in line
    data = client.get("/api/queue", headers=auth(token)).get_json()
    rows = data["queue"]
    assert [r["call_sid"] for r in rows] == [urgent, first]
    assert rows[0]["position"] == 1 and rows[0]["priority"] > rows[1]["priority"]
    assert rows[1]["menu_option"] == "repair" and rows[1]["wait_s"] >= 15
    assert {"call_sid", "position", "wait_s", "priority", "locale", "status"} <= set(rows[0])


def test_queue_needs_a_token(client):
    response = client.get("/api/queue")
    assert response.status_code == 401 and "error" in response.get_json()


def test_presence_sets_state_and_dispatches(app, client, sim, place, agent, make_user):
    alice_id = agent("alice", state="away")
    with session_scope(app) as s:
        from core.users import hash_token

        token = "hl_test_alice_token"
        s.get(User, alice_id).token_hash = hash_token(token)
    sid = place(press=["1"])
    sim.advance(30)
    response = client.post("/api/agents/me/presence", json={"state": "available"}, headers=auth(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] in ("available", "busy")  # busy once routing reserved alice at once
    with session_scope(app) as s:
        assert s.get(User, alice_id).presence == Presence.BUSY  # dispatch ran: her phone rings
    sim.run_until_idle()
    assert any(e["verb"] == "bridged" for e in sim.timeline(sid))


def test_presence_rejects_bad_states(client, make_user):
    _user, token = make_user("bob")
    for body in ({"state": "sleeping"}, {"state": 3}, {}, ["available"]):
        response = client.post("/api/agents/me/presence", json=body, headers=auth(token))
        assert response.status_code == 400 and "error" in response.get_json()
    response = client.post("/api/agents/me/presence", data="not json", headers=auth(token))
    assert response.status_code == 400


def test_call_timeline(app, client, sim, place, agent, make_user):
    agent("alice")
    _lead, token = make_user("lead1", role="lead")
    sid = place(press=["1"])
    sim.run_until_idle()
    data = client.get(f"/api/calls/{sid}", headers=auth(token)).get_json()
    assert data["call_sid"] == sid and data["menu_option"] == "repair"
    assert data["queue_result"] == "bridged" and data["agent"]["name"] == "alice"
    kinds = [e["kind"] for e in data["timeline"]]
    assert kinds[0] == "started"
    for kind in ("greeted", "menu_choice", "enqueued", "connected"):
        assert kind in kinds
    connected = next(e for e in data["timeline"] if e["kind"] == "connected")
    assert connected["agent"] == "alice"
    assert data["from"].startswith("+86138")  # a lead sees the full number, audited (H25)
    _viewer, agent_token = make_user("viewer")
    masked = client.get(f"/api/calls/{sid}", headers=auth(agent_token)).get_json()
    assert "1381234" not in masked["from"]  # H25: masked for agents


def test_unknown_call_is_404_json(client, make_user):
    _lead, token = make_user("lead1", role="lead")
    response = client.get("/api/calls/CAnope", headers=auth(token))
    assert response.status_code == 404 and "error" in response.get_json()


def test_openapi_describes_the_paths(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"/api/queue", "/api/agents/me/presence", "/api/calls/{call_sid}"} <= set(paths)


def test_presence_user_row(app, make_user, client):
    user, token = make_user("carol")
    client.post("/api/agents/me/presence", json={"state": "wrap_up"}, headers=auth(token))
    with session_scope(app) as s:
        assert s.scalar(select(User.presence).where(User.name == "carol")) == "wrap_up"


def test_queue_lists_pending_callbacks_in_their_place(app, client, sim, place, agent, make_user):
    agent("alice", state="away")
    _lead, token = make_user("lead1", role="lead")
    first = place(CALLERS[1], press=["1"], hangup_after_s=400)
    sim.advance(5)
    leaver = place(CALLERS[2], press=["1", "1"])
    sim.advance(5)
    last = place(CALLERS[3], press=["1"], hangup_after_s=400)
    sim.advance(80)
    rows = client.get("/api/queue", headers=auth(token)).get_json()["queue"]
    assert [(r["call_sid"], r["callback"]) for r in rows] == [(first, False), (leaver, True), (last, False)]
    assert rows[1]["status"] == "callback" and rows[1]["phone"].startswith("+86138")  # lead: in full (H25)
    _viewer, agent_token = make_user("viewer")
    masked = client.get("/api/queue", headers=auth(agent_token)).get_json()["queue"]
    assert "1381234" not in masked[1]["phone"]  # H25: masked for agents
