"""Non-Twilio routes for the console's call log and "simulate" controls.

``GET /calls.json``, ``GET /calls/<sid>/timeline.json``, ``POST /calls.json`` (place a
simulated inbound call: ``{"from", "to"?, "press"?, "say"?}``) and
``POST /calls/<sid>/answer|press|say|hangup|speak`` (JSON body: ``digits``, ``text``,
``track``). Not Twilio's API, so no Twilio auth: ``authorize`` runs before every request and
refuses it by returning a response (the app requires a lead or admin, H25).
Like the REST API, these only change state and schedule events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from .records import CallerScript

if TYPE_CHECKING:
    from .engine import Simulator


def _fail(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def make_control_blueprint(sim: Simulator, *, authorize: Callable[[], Any]) -> Blueprint:
    bp = Blueprint("simulator_control", __name__)
    bp.before_request(authorize)

    def body() -> dict[str, Any]:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}

    @bp.get("/calls.json")
    def calls() -> Response:
        return jsonify({"calls": sim.calls()})

    @bp.post("/calls.json")
    def place() -> tuple[Response, int]:
        data = body()
        to = data.get("to") or next(iter(sim.numbers), None)
        if not data.get("from") or not to:
            return _fail(400, "from (and a registered to number) are required")
        say = data.get("say") or []
        script = CallerScript.from_cli(str(data.get("press") or ""), [say] if isinstance(say, str) else say)
        try:
            sid = sim.place_inbound_call(str(data["from"]), str(to), script)
        except ValueError as exc:
            return _fail(400, str(exc))
        return jsonify({"call_sid": sid}), 201

    @bp.get("/calls/<call_sid>/timeline.json")
    def timeline(call_sid: str) -> Response | tuple[Response, int]:
        if call_sid not in sim.legs:
            return _fail(404, f"unknown call {call_sid}")
        return jsonify({"call": sim.call(call_sid), "timeline": sim.timeline(call_sid),
                        "requests": sim.requests(call_sid)})

    @bp.post("/calls/<call_sid>/<action>")
    def act(call_sid: str, action: str) -> Response | tuple[Response, int]:
        if call_sid not in sim.legs:
            return _fail(404, f"unknown call {call_sid}")
        if action in ("answer", "hangup"):
            ok = sim.answer(call_sid) if action == "answer" else sim.hangup(call_sid)
        elif action in ("press", "say", "speak"):
            outcome = _act_with_input(sim, call_sid, action, body())
            if not isinstance(outcome, bool):
                return outcome
            ok = outcome
        else:
            return _fail(404, f"unknown action {action}")
        return jsonify({"ok": ok, "call": sim.call(call_sid)})

    return bp


def _act_with_input(sim: Simulator, call_sid: str, action: str, data: dict[str, Any]) -> bool | tuple[Response, int]:
    """press (``digits``), say (``text``) or speak (``text`` on a ``track``): the outcome, or a 400."""
    field = "digits" if action == "press" else "text"
    value = data.get(field)
    if not isinstance(value, str) or not value:
        return _fail(400, f"{field} is required")
    if action == "press":
        return sim.press(call_sid, value)
    if action == "say":
        return sim.say(call_sid, value)
    track = data.get("track") or "inbound_track"
    if track not in ("inbound_track", "outbound_track"):
        return _fail(400, "track must be inbound_track or outbound_track")
    return sim.speak(call_sid, value, track)
