"""Simulator mode: the console is the agent's phone.

When someone signs in, their endpoint (``client:alice``) is registered with the simulator as
``Behaviour(answer="manual")``, so an agent leg rings in the browser until the Answer button
calls ``sim.answer``. "Speak" turns typed text into what the agent says on the line (the
simulator emits the real-time transcription callbacks), so the whole product can be tried
from a browser. With real Twilio none of this applies: agents answer on their phone.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from core.models import User
from core.telephony.simulator import Behaviour


def simulator(app: Flask) -> Any | None:
    return app.extensions.get("simulator")


def register_endpoint(app: Flask, user: User) -> bool:
    """Make ``user``'s endpoint ring until answered from the console (simulator only)."""
    sim = simulator(app)
    if sim is None or not user.endpoint:
        return False

    sim.set_behaviour(user.endpoint, Behaviour(answer="manual", max_call_s=3600.0))
    return True


def answer(app: Flask, leg_sid: str) -> bool:
    sim = simulator(app)
    return bool(sim is not None and sim.answer(leg_sid))


def speak(app: Flask, leg_sid: str, text: str, track: str = "inbound_track") -> bool:
    sim = simulator(app)
    return bool(sim is not None and sim.speak(leg_sid, text, track))


def init_app(app: Flask) -> None:
    if simulator(app) is None:
        return
    app.extensions.setdefault("console_sign_in_hooks", []).append(
        lambda user: register_endpoint(app, user))
