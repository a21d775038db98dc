"""Webhooks arrive signed like Twilio's, over the exact URL the app sees."""

from __future__ import annotations

import threading
from typing import Any

from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from core.telephony.simulator import CallerScript, HttpTransport, Simulator

from .conftest import ACCOUNT_SID, CALLER, HOTLINE, PUBLIC, TOKEN, Hooks, twiml


def test_voice_request_is_signed_with_twilio_parameters(sim: Simulator, hooks: Hooks) -> None:
    hooks.on("/voice", twiml(lambda r: r.say("hi")))
    hooks.on("/status")
    sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    sim.run_until_idle()
    voice = hooks.received[0]
    assert voice["url"] == f"{PUBLIC}/voice" and voice["valid"]
    params = voice["params"]
    assert params["CallSid"] == sid and params["AccountSid"] == ACCOUNT_SID
    assert (params["From"], params["To"], params["Caller"], params["Called"]) == (CALLER, HOTLINE, CALLER, HOTLINE)
    assert (params["CallStatus"], params["Direction"], params["ApiVersion"]) == ("ringing", "inbound", "2010-04-01")
    assert params["FromCountry"] == "CN"


def test_tampered_request_is_rejected_by_the_validator(sim: Simulator, hooks: Hooks) -> None:
    hooks.on("/voice", twiml(lambda r: r.say("hi")))
    hooks.on("/status")
    sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    sim.run_until_idle()
    sent = sim.requests(sim.calls()[0]["sid"])[0]
    signature = RequestValidator(TOKEN).compute_signature(sent["url"], sent["params"])
    client = hooks.app.test_client()
    ok = client.post("/voice", base_url=PUBLIC, data=sent["params"], headers={"X-Twilio-Signature": signature})
    tampered = client.post("/voice", base_url=PUBLIC, data={**sent["params"], "From": "+10000000000"},
                           headers={"X-Twilio-Signature": signature})
    assert (ok.status_code, tampered.status_code) == (200, 403)
    hooks.received.pop()  # the deliberately tampered request is not the simulator's


def test_get_webhook_signs_the_url_with_its_query(sim: Simulator, hooks: Hooks) -> None:
    sim.register_number(HOTLINE, f"{PUBLIC}/voice?lang=zh", voice_method="GET")
    hooks.on("/voice", twiml(lambda r: r.say("hi")))
    sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
    sim.run_until_idle()
    first = hooks.received[0]
    assert first["method"] == "GET" and first["valid"]
    assert first["url"].startswith(f"{PUBLIC}/voice?lang=zh&") and "CallSid=CA" in first["url"]
    assert first["params"]["lang"] == "zh"


def test_http_transport_against_a_real_server(hooks: Hooks) -> None:
    server = make_server("127.0.0.1", 0, hooks.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        sim = Simulator(ACCOUNT_SID, TOKEN, HttpTransport())
        hooks.mount(sim)
        sim.register_number(HOTLINE, f"{base}/voice")
        hooks.on("/voice", twiml(lambda r: r.say("over the network")))
        sid = sim.place_inbound_call(CALLER, HOTLINE, CallerScript())
        sim.run_until_idle()
    finally:
        server.shutdown()
    received: list[dict[str, Any]] = hooks.received
    assert received[0]["valid"] and received[0]["url"] == f"{base}/voice"
    assert [e["text"] for e in sim.timeline(sid) if e["verb"] == "say"] == ["over the network"]
