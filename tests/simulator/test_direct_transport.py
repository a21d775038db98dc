"""The direct WSGI path (what the what-if replay uses): webhooks and REST calls reach the app
exactly as through werkzeug's test client — same URL, form, signature — without it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask, request
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from core.telephony.simulator import (
    Behaviour,
    CallerScript,
    DirectWsgiTransport,
    Simulator,
    SimulatorHttpClient,
    WsgiTransport,
)

from .conftest import ACCOUNT_SID, CALLER, HOTLINE, PUBLIC, TOKEN, Hooks, twiml, verbs

CUSTOMER = "+8613811112222"


def _play(transport: type, hooks: Hooks) -> tuple[Simulator, str]:
    """A caller through a menu (POST with digits), a GET webhook with a query string, a
    status callback: what the app received, with the simulator's own log of what it sent."""
    sim = Simulator(ACCOUNT_SID, TOKEN, transport(hooks.app))
    hooks.mount(sim)
    sim.register_number(HOTLINE, f"{PUBLIC}/voice?lang=zh&x=1", status_callback=f"{PUBLIC}/status",
                        voice_method="GET")
    hooks.on("/voice", lambda p: twiml(lambda r: r.gather(action=f"{PUBLIC}/menu?tries=0", num_digits=1)
                                       .say(f"你好 {p['lang']}")))
    hooks.on("/menu", lambda p: twiml(lambda r: r.say(f"pressed {p['Digits']} after {p['tries']}")))
    hooks.on("/status")
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript(press=["3"]))
    sim.run_until_idle()
    sim.stop()
    return sim, sid


@pytest.mark.parametrize("transport", [WsgiTransport, DirectWsgiTransport])
def test_the_app_receives_what_was_signed(transport: type, hooks: Hooks) -> None:
    sim, sid = _play(transport, hooks)
    sent = sim.requests(sid)
    got = hooks.received
    assert [r["path"] for r in got] == ["/voice", "/menu", "/status"]
    assert all(r["valid"] for r in got), "the validator rejected a request"
    assert got[0]["method"] == "GET" and got[0]["url"].startswith(f"{PUBLIC}/voice?lang=zh&x=1&AccountSid=")
    assert got[0]["params"]["CallSid"] == sid
    assert got[1]["url"] == f"{PUBLIC}/menu?tries=0"
    assert got[1]["params"] == {**sent[1]["params"], "tries": "0"} and got[1]["params"]["Digits"] == "3"
    assert got[2]["params"] == sent[2]["params"]
    assert [e["text"] for e in verbs(sim.timeline(sid), "say")] == ["你好 zh", "pressed 3 after 0"]
    assert sim.errors == []


def test_direct_transport_answers_like_the_test_client(hooks: Hooks) -> None:
    hooks.app.add_url_rule("/echo", "echo", lambda: ({"form": request.form.to_dict(), "ua": request.user_agent.string,
                                                      "host": request.host, "scheme": request.scheme,
                                                      "remote": request.remote_addr}, 201), methods=["POST"])
    args = ("POST", "https://hotline.example.com:8443/echo", {"a": "1 2", "b": "ü&="}, {"User-Agent": "TwilioProxy/1.1"})
    direct, tested = DirectWsgiTransport(hooks.app).request(*args), WsgiTransport(hooks.app).request(*args)
    assert (direct.status, direct.content_type, json.loads(direct.text)) == (
        tested.status, tested.content_type, json.loads(tested.text))
    assert json.loads(direct.text) == {"form": {"a": "1 2", "b": "ü&="}, "ua": "TwilioProxy/1.1",
                                       "host": "hotline.example.com:8443", "scheme": "https", "remote": None}
    missing = DirectWsgiTransport(hooks.app).request("GET", f"{PUBLIC}/nowhere", {}, {})
    assert missing.status == 403  # the hooks app checks the signature first


def test_signature_is_twilios() -> None:
    sim = Simulator(ACCOUNT_SID, TOKEN, WsgiTransport(Flask("unused")))
    params = {"To": "+862150001000", "Digits": "1", "SpeechResult": "我要报修 & more", "a": "", "Z": "z"}
    url = f"{PUBLIC}/ivr/menu?tries=0"
    assert sim.signature(url, params) == RequestValidator(TOKEN).compute_signature(url, params)
    assert sim.signature(url, {}) == RequestValidator(TOKEN).compute_signature(url, {})
    assert sim.signature(url, params) != sim.signature(url, {**params, "Digits": "2"})


def test_without_the_request_log_only_counts_are_kept(hooks: Hooks) -> None:
    sim = Simulator(ACCOUNT_SID, TOKEN, DirectWsgiTransport(hooks.app))
    sim.keep_requests = False
    sim.register_number(HOTLINE, f"{PUBLIC}/voice", status_callback=f"{PUBLIC}/status")
    hooks.on("/voice", lambda p: twiml(lambda r: r.redirect(f"{PUBLIC}/next?step=2")))
    hooks.on("/next", twiml(lambda r: r.say("bye")))
    hooks.on("/status")
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    sim.run_until_idle()
    assert sim.requests(sid) == []
    assert sim.request_counts == {f"{PUBLIC}/voice": 1, f"{PUBLIC}/next": 1, f"{PUBLIC}/status": 1}
    assert [r["path"] for r in hooks.received] == ["/voice", "/next", "/status"]


def test_direct_rest_client(hooks: Hooks) -> None:
    sim = Simulator(ACCOUNT_SID, TOKEN, DirectWsgiTransport(hooks.app))
    client = Client(ACCOUNT_SID, TOKEN, http_client=SimulatorHttpClient(sim, direct=True))
    client.api.base_url = PUBLIC + "/simulator"
    hooks.on("/outbound", twiml(lambda r: r.say("hello")))
    hooks.on("/cb")
    sim.set_behaviour(CUSTOMER, Behaviour(answer_after_s=3, hangup_after_s=20))
    call = client.calls.create(to=CUSTOMER, from_=HOTLINE, url=f"{PUBLIC}/outbound", status_callback=f"{PUBLIC}/cb",
                               status_callback_event=["initiated", "ringing", "answered", "completed"])
    sim.run_until_idle()
    assert [p["CallStatus"] for p in hooks.hits("/cb")] == ["initiated", "ringing", "in-progress", "completed"]
    assert [c.sid for c in client.calls.list(status="completed", to=CUSTOMER)] == [call.sid]
    bad = Client(ACCOUNT_SID, "wrong", http_client=SimulatorHttpClient(sim, direct=True))
    bad.api.base_url = PUBLIC + "/simulator"
    with pytest.raises(TwilioRestException) as refused:
        bad.calls(call.sid).fetch()
    assert (refused.value.status, refused.value.code) == (401, 20003)


def test_direct_rest_client_sends_json_bodies_as_json() -> None:
    app = Flask("echo")
    seen: list[Any] = []

    @app.post("/v1/Things")
    def things() -> Any:
        seen.append((request.content_type, request.get_json()))
        return {"ok": True}, 201

    response = SimulatorHttpClient(app, direct=True).request(
        "POST", "https://x.invalid/v1/Things", data={"a": [1, 2]}, headers={"Content-Type": "application/json"})
    assert response.status_code == 201 and json.loads(response.text) == {"ok": True}
    assert seen == [("application/json", {"a": [1, 2]})]
