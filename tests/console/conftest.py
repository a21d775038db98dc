"""Console fixtures: signed-in browsers-in-a-test-client, simulated callers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.console.helpers import login, post_json

FORBIDDEN = "我也没办法,刚才线路忙啊!我都忙死了,有什么事情快说。"  # S1 ×


class Desk:
    """One signed-in person's session: ``desk.post("/console/api/…", {...})``."""

    def __init__(self, app: Any, name: str, user_id: int, token: str):
        self.client = app.test_client()
        self.name, self.user_id, self.api_token = name, user_id, token
        self.csrf = login(self.client, name)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return post_json(self.client, path, self.csrf, body)

    def get(self, path: str) -> Any:
        return self.client.get(path, headers={"X-Requested-With": "fetch"})

    def state(self) -> dict[str, Any]:
        return self.get("/console/api/desk").get_json()


@pytest.fixture
def desk(app: Any, make_user: Callable[..., Any]) -> Callable[..., Desk]:
    """desk("alice", role="agent") → a signed-in session whose phone rings in the console."""

    def factory(name: str, role: str = "agent", **kwargs: Any) -> Desk:
        user, token = make_user(name, role=role, endpoint=f"client:{name}", **kwargs)
        return Desk(app, name, user.id, token)

    return factory


@pytest.fixture
def caller(app: Any, sim: Any) -> Callable[..., str]:
    """caller(press=["1"], utterances=[...]) → the caller's CallSid (stays on the line)."""
    from core.telephony.simulator import CallerScript

    def factory(from_: str = "+8613812345678", **script: Any) -> str:
        script.setdefault("press", ["1"])
        script.setdefault("talk_s", None)
        return sim.place_inbound_call(from_, app.config["HOTLINE"].telephony.caller_id, caller=CallerScript(**script))

    return factory


def ring(sim: Any, desk: Desk, max_seconds: float = 120) -> dict[str, Any]:
    """Advance the simulator until ``desk``'s phone rings; returns the desk state."""
    found: dict[str, Any] = {}

    def ringing() -> bool:
        state = desk.state()
        if state.get("ringing_leg"):
            found.update(state)
            return True
        return False

    assert sim.run_until(ringing, max_seconds=max_seconds), "the agent's phone never rang"
    return found


def connect(sim: Any, desk: Desk) -> dict[str, Any]:
    """Ring, answer from the console, run until bridged; returns the desk state."""
    state = ring(sim, desk)
    assert desk.post("/console/api/answer", {"leg_sid": state["ringing_leg"]}).status_code == 200

    leg = state["ringing_leg"]

    def live() -> bool:
        call = desk.state().get("call")
        return bool(call and not call["ringing"] and call["answered_at"] and sim.call(leg)["bridged_with"])

    assert sim.run_until(live, max_seconds=30), "the call was never bridged"
    return desk.state()
