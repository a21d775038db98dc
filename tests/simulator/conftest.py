"""A tiny webhook app for the simulator's tests (not the product's IVR).

Each test maps paths to TwiML builders (``hooks.on("/voice", lambda p: ...)``). Every
request is checked with ``RequestValidator`` over the URL the app sees and recorded
(``hooks.hits("/voice")``); a bad signature gets 403. The app also mounts the
simulator's REST blueprint at ``/simulator``, like Hotline does, so webhook handlers can
call the REST API in-process through the real ``twilio`` client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, Response, request
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml import TwiML
from twilio.twiml.voice_response import VoiceResponse

from core.telephony.simulator import (
    Simulator,
    SimulatorHttpClient,
    WsgiTransport,
    make_control_blueprint,
    make_rest_blueprint,
)

PUBLIC = "https://hotline.example.com"
ACCOUNT_SID = "AC" + "1" * 32
TOKEN = "simulator-test-token"
HOTLINE = "+862150001000"
CALLER = "+8613812345678"

Handler = Callable[[dict[str, str]], Any]


class Hooks:
    def __init__(self) -> None:
        self.app = Flask("simulator-test-hooks")
        self.routes: dict[str, Handler] = {}
        self.received: list[dict[str, Any]] = []
        self.validator = RequestValidator(TOKEN)
        self.app.add_url_rule("/<path:path>", "hook", self._handle, methods=["GET", "POST"])

    def mount(self, sim: Simulator) -> None:
        self.app.register_blueprint(make_rest_blueprint(sim), url_prefix="/simulator")
        self.app.register_blueprint(make_control_blueprint(sim, authorize=lambda: None), url_prefix="/simulator/control")

    def on(self, path: str, handler: Handler | TwiML | str | None = None) -> None:
        """Answer ``path`` with ``handler(params)`` (TwiML object/str, bytes, or (body, status))."""
        if handler is None or isinstance(handler, TwiML | str):
            body = "" if handler is None else str(handler)
            self.routes[path] = lambda params: body
        else:
            self.routes[path] = handler

    def _handle(self, path: str) -> Response | tuple[str, int]:
        params = request.form.to_dict() if request.method == "POST" else {}
        signature = request.headers.get("X-Twilio-Signature", "")
        valid = self.validator.validate(request.url, params, signature)
        record = {"path": "/" + path, "method": request.method, "url": request.url,
                  "params": request.values.to_dict(), "valid": valid}
        self.received.append(record)
        if not valid:
            return "invalid signature", 403
        handler = self.routes.get("/" + path)
        if handler is None:
            return "no such hook", 404
        result = handler(record["params"])
        if isinstance(result, tuple):
            return result
        if isinstance(result, bytes):
            return Response(result, mimetype="audio/x-wav")
        return Response(str(result), mimetype="text/xml")

    def hits(self, path: str) -> list[dict[str, str]]:
        return [r["params"] for r in self.received if r["path"] == path]


@pytest.fixture
def hooks() -> Hooks:
    return Hooks()


@pytest.fixture
def make_sim(hooks: Hooks) -> Iterator[Callable[..., Simulator]]:
    made: list[Simulator] = []

    def factory(**kwargs: Any) -> Simulator:
        sim = Simulator(ACCOUNT_SID, TOKEN, WsgiTransport(hooks.app), **kwargs)
        hooks.mount(sim)
        sim.register_number(HOTLINE, f"{PUBLIC}/voice", status_callback=f"{PUBLIC}/status")
        made.append(sim)
        return sim

    yield factory
    for sim in made:
        sim.stop()
        assert sim.errors == []
    assert all(r["valid"] for r in hooks.received), "the simulator sent a request with a bad signature"


@pytest.fixture
def sim(make_sim: Callable[..., Simulator]) -> Simulator:
    return make_sim()


@pytest.fixture
def twilio(sim: Simulator, hooks: Hooks) -> Client:
    """The real ``twilio`` client, dispatching in-process to the simulator."""
    client = Client(ACCOUNT_SID, TOKEN, http_client=SimulatorHttpClient(hooks.app))
    client.api.base_url = PUBLIC + "/simulator"
    return client


def verbs(timeline: list[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
    return [e for e in timeline if e["verb"] in names]


def twiml(build: Callable[[VoiceResponse], Any]) -> str:
    response = VoiceResponse()
    build(response)
    return str(response)
