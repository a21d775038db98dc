"""Simulator mode: the console is the agent's phone.

When someone signs in, their endpoint (``client:alice``) is registered with the simulator as
``Behaviour(answer="manual")``, so an agent leg rings in the browser until the Answer button
calls ``sim.answer``. "Speak" turns typed text into what the agent says on the line (the
simulator emits the real-time transcription callbacks), so the whole product can be tried
from a browser. With real Twilio none of this applies: agents answer on their phone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from flask import Flask

from core.models import User
from core.telephony.simulator import Behaviour

ANSWER_AFTER_S = 1.0  # a lead's supervision leg, answered by the console (simulator mode)


def simulator(app: Flask) -> Any | None:
    return app.extensions.get("simulator")


def register_endpoint(app: Flask, user: User) -> bool:
    """Make ``user``'s endpoint ring until answered from the console (simulator only)."""
    sim = simulator(app)
    if sim is None or not user.endpoint:
        return False

    sim.set_behaviour(user.endpoint, Behaviour(answer="manual", max_call_s=3600.0))
    return True


@contextlib.contextmanager
def answering(app: Flask, endpoint: str) -> Iterator[None]:
    """Calls to ``endpoint`` placed inside the block are picked up at once (simulator only):
    a lead's click on Listen is the answer, like a softphone accepting the call it asked for.
    Only for the console's phone (an endpoint answered by hand); it rings for manual answering
    again afterwards."""
    sim = simulator(app)
    before = sim.behaviours.get(endpoint) if sim is not None and endpoint else None
    if sim is None or before is None or before.answer != "manual":  # not the console's phone: it answers as it does
        yield
        return
    sim.set_behaviour(endpoint, Behaviour(answer="human", answer_after_s=ANSWER_AFTER_S, max_call_s=3600.0))
    try:
        yield
    finally:
        sim.set_behaviour(endpoint, before)


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
