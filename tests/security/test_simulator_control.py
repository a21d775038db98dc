"""The built-in fake Twilio's control pages and API need a lead or admin sign-in (or bearer
token), CSRF on session POSTs, and do not exist in twilio mode; its Twilio REST surface keeps
Twilio's basic auth; the console's "simulate a caller" routes only steer the agent's own calls."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.console.helpers import login

CALLER = "+8613912345678"


def _place(sim: Any, app: Any) -> str:
    from core.telephony.simulator import CallerScript

    return sim.place_inbound_call(CALLER, app.config["HOTLINE"].telephony.caller_id,
                                  CallerScript.from_cli("", []))


def test_signed_out_gets_nothing_from_the_control_api(app, client, sim) -> None:
    sid = _place(sim, app)
    assert client.get("/simulator/control/calls.json").status_code == 401
    assert client.get(f"/simulator/control/calls/{sid}/timeline.json").status_code == 401
    assert client.post("/simulator/control/calls.json", json={"from": CALLER}).status_code == 401
    assert client.post(f"/simulator/control/calls/{sid}/hangup").status_code == 401
    assert client.post(f"/simulator/control/calls/{sid}/speak", json={"text": "hi"}).status_code == 401
    assert CALLER not in client.get("/simulator/control/calls.json").get_data(as_text=True)
    assert not sim.call(sid)["ended"]
    assert len(sim.calls()) == 1


def test_an_agent_is_refused_by_session_and_by_token(app, sim, make_user) -> None:
    sid = _place(sim, app)
    _agent, token = make_user("alice", role="agent")
    web = app.test_client()
    csrf = login(web, "alice")
    assert web.get("/simulator/control/calls.json").status_code == 403
    refused = web.post(f"/simulator/control/calls/{sid}/hangup", headers={"X-CSRFToken": csrf})
    assert refused.status_code == 403 and "error" in refused.get_json()
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/simulator/control/calls.json", headers=bearer).status_code == 403
    assert not sim.call(sid)["ended"]


def test_a_lead_session_needs_the_csrf_token_to_steer(app, sim, make_user) -> None:
    sid = _place(sim, app)
    make_user("lin", role="lead")
    web = app.test_client()
    csrf = login(web, "lin")
    listed = web.get("/simulator/control/calls.json")
    assert listed.status_code == 200 and [c["sid"] for c in listed.get_json()["calls"]] == [sid]
    assert web.post(f"/simulator/control/calls/{sid}/hangup").status_code == 400  # no CSRF token
    assert not sim.call(sid)["ended"]
    done = web.post(f"/simulator/control/calls/{sid}/hangup", headers={"X-CSRFToken": csrf})
    assert done.status_code == 200 and sim.call(sid)["ended"]


def test_a_lead_or_admin_token_works_without_csrf(app, sim, make_user) -> None:
    sid = _place(sim, app)
    _admin, token = make_user("root", role="admin")
    web = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert web.get(f"/simulator/control/calls/{sid}/timeline.json", headers=bearer).status_code == 200
    assert web.post(f"/simulator/control/calls/{sid}/hangup", headers=bearer).status_code == 200
    assert web.get("/simulator/control/calls.json", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_the_twilio_rest_surface_keeps_twilios_basic_auth(app, client) -> None:
    account = app.config["TWILIO_ACCOUNT_SID"]
    path = f"/simulator/2010-04-01/Accounts/{account}/Calls.json"
    assert client.get(path).status_code == 401
    wrong = base64.b64encode(f"{account}:wrong".encode()).decode()
    assert client.get(path, headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    right = base64.b64encode(f"{account}:{app.config['TWILIO_AUTH_TOKEN']}".encode()).decode()
    assert client.get(path, headers={"Authorization": f"Basic {right}"}).status_code == 200


@pytest.mark.parametrize("path", ["/simulator/control/calls.json", "/console/simulate/"])
def test_twilio_mode_has_no_simulator_routes(make_app, make_user, path) -> None:
    app = make_app({"telephony": {"mode": "twilio", "account_sid": "AC" + "2" * 32, "auth_token": "t" * 32}})
    assert "simulator" not in app.extensions
    from core.db import session_scope
    from core.users import create_user

    with session_scope(app) as s:
        create_user(s, "lin", "lead", "password123")
    web = app.test_client()
    login(web, "lin")
    assert web.get(path).status_code == 404
    assert not [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/simulator")]


def test_an_agent_steers_only_the_simulated_calls_they_placed(app, sim, make_user) -> None:
    make_user("alice", role="agent")
    make_user("bob", role="agent")
    someone_elses = _place(sim, app)
    alice = app.test_client()
    csrf = login(alice, "alice")
    headers = {"X-CSRFToken": csrf, "X-Requested-With": "fetch"}
    refused = alice.post(f"/console/simulate/calls/{someone_elses}/hangup", json={}, headers=headers)
    assert refused.status_code == 403
    assert alice.get(f"/console/simulate/calls/{someone_elses}/stream", headers=headers).status_code == 403
    assert not sim.call(someone_elses)["ended"]
    mine = alice.post("/console/simulate/calls", json={"from": "13800000001"}, headers=headers)
    assert mine.status_code == 201
    bob = app.test_client()
    bob_headers = {"X-CSRFToken": login(bob, "bob"), "X-Requested-With": "fetch"}
    sid = mine.get_json()["call_sid"]
    assert bob.post(f"/console/simulate/calls/{sid}/hangup", json={}, headers=bob_headers).status_code == 403
    assert alice.post(f"/console/simulate/calls/{sid}/hangup", json={}, headers=headers).status_code == 200
    assert sim.call(sid)["ended"]


def test_a_lead_steers_any_simulated_call(app, sim, make_user) -> None:
    make_user("lin", role="lead")
    sid = _place(sim, app)
    lead = app.test_client()
    headers = {"X-CSRFToken": login(lead, "lin"), "X-Requested-With": "fetch"}
    assert lead.post(f"/console/simulate/calls/{sid}/hangup", json={}, headers=headers).status_code == 200


def test_simulate_call_cli_still_plays_a_caller(runner) -> None:
    result = runner.invoke(args=["simulate", "call", "--from", CALLER, "--press", "1"])
    assert result.exit_code == 0, result.output
