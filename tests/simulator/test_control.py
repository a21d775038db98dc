"""The console's control routes and the in-process twilio HTTP client."""

from __future__ import annotations

import json

from twilio.rest import Client

from core.telephony.simulator import Behaviour, Simulator, SimulatorHttpClient

from .conftest import ACCOUNT_SID, CALLER, HOTLINE, PUBLIC, TOKEN, Hooks, twiml


def test_control_routes_place_steer_and_show_calls(sim: Simulator, hooks: Hooks) -> None:
    hooks.on("/voice", twiml(lambda r: (r.gather(num_digits=1, action="/menu", timeout=30).say("Press a key"),
                                        r.say("nothing"))))
    hooks.on("/menu", lambda p: twiml(lambda r: (r.say(f"pressed {p['Digits']}"), r.pause(length=60))))
    hooks.on("/status")
    web = hooks.app.test_client()
    placed = web.post("/simulator/control/calls.json", json={"from": CALLER})
    assert placed.status_code == 201
    sid = placed.json["call_sid"]
    sim.advance(2)
    assert web.post(f"/simulator/control/calls/{sid}/press", json={"digits": "7"}).json["ok"] is True
    sim.advance(2)
    shown = web.get(f"/simulator/control/calls/{sid}/timeline.json").json
    assert shown["call"]["status"] == "in-progress"
    assert [e["text"] for e in shown["timeline"] if e["verb"] == "say"][-1] == "pressed 7"
    assert [r["url"] for r in shown["requests"]][:2] == [f"{PUBLIC}/voice", f"{PUBLIC}/menu"]
    assert web.post(f"/simulator/control/calls/{sid}/say", json={"text": "hello"}).json["ok"] is False
    assert web.post(f"/simulator/control/calls/{sid}/press", json={}).status_code == 400
    assert web.post(f"/simulator/control/calls/{sid}/hangup").json["call"]["status"] == "completed"
    assert [c["sid"] for c in web.get("/simulator/control/calls.json").json["calls"]] == [sid]
    assert web.get("/simulator/control/calls/CAnope/timeline.json").status_code == 404
    sim.run_until_idle()


def test_console_answers_a_ringing_agent_leg(sim: Simulator, hooks: Hooks) -> None:
    sim.set_behaviour("client:alice", Behaviour(answer="manual"))
    hooks.on("/agent", twiml(lambda r: r.say("agent connected")))
    client = Client(ACCOUNT_SID, TOKEN, http_client=SimulatorHttpClient(sim))  # a Simulator as the target
    client.api.base_url = PUBLIC + "/simulator"
    sid = client.calls.create(to="client:alice", from_=HOTLINE, url=f"{PUBLIC}/agent", timeout=20).sid
    sim.advance(8)
    assert client.calls(sid).fetch().status == "ringing"
    web = hooks.app.test_client()
    assert web.post(f"/simulator/control/calls/{sid}/answer").json["ok"] is True
    sim.run_until_idle()
    assert [e["text"] for e in sim.timeline(sid) if e["verb"] == "say"] == ["agent connected"]
    assert sim.call(sid)["start"] == 8.0


def test_http_client_encodes_repeated_parameters_like_requests(sim: Simulator, hooks: Hooks) -> None:
    http = SimulatorHttpClient(hooks.app)
    response = http.request("POST", f"{PUBLIC}/simulator/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json",
                            data={"To": "+8613800000000", "From": HOTLINE, "Twiml": "<Response/>",
                                  "StatusCallback": f"{PUBLIC}/cb", "StatusCallbackEvent": ["ringing", "answered"]},
                            auth=(ACCOUNT_SID, TOKEN))
    assert response.status_code == 201 and response.ok
    leg = sim.legs[json.loads(response.text)["sid"]]
    assert leg.status_events == {"ringing", "answered"}
    assert http.request("GET", f"{PUBLIC}/simulator/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json",
                        params={"Status": "queued"}, auth=(ACCOUNT_SID, TOKEN)).status_code == 200
