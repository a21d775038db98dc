"""Helpers for whole calls through the simulator: agents, callers, timelines, rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from core.db import session_scope
from core.models import Call, CallEvent, QueueEntry, User
from core.presence import announce, set_presence

CALLERS = [f"+861381234{n:04d}" for n in range(1, 40)]


@pytest.fixture
def hotline(app: Any) -> str:
    return app.config["HOTLINE"].telephony.caller_id


@pytest.fixture
def agent(app: Any, sim: Any, make_user: Callable[..., Any]) -> Callable[..., int]:
    """agent("alice", state="available", answer="human", answer_after_s=2, talk_s=None) → user id.

    The simulator answers ``client:<name>`` as told; the bridged caller's ``talk_s`` ends calls.
    """
    from core.telephony.simulator import Behaviour

    def factory(name: str, state: str = "available", answer: str = "human", answer_after_s: float = 2,
                **user: Any) -> int:
        created, _token = make_user(name, endpoint=f"client:{name}", **user)
        sim.set_behaviour(f"client:{name}", Behaviour(answer=answer, answer_after_s=answer_after_s))
        set_state(app, created.id, state)
        return created.id

    return factory


def set_state(app: Any, user_id: int, state: str) -> None:
    """Presence through the shared service + signal, as the console and API do."""
    with session_scope(app) as s:
        user = s.get(User, user_id)
        set_presence(s, user, state)
    announce(app, user_id, state)


@pytest.fixture
def place(sim: Any, hotline: str) -> Callable[..., str]:
    """place(from_, press=[...], say=[...], hangup_after_s=..., talk_s=...) → CallSid."""
    from core.telephony.simulator import CallerScript

    def factory(from_: str = CALLERS[0], **script: Any) -> str:
        script.setdefault("talk_s", 20)
        return sim.place_inbound_call(from_, hotline, caller=CallerScript(**script))

    return factory


def says(timeline: list[dict[str, Any]]) -> list[tuple[float, str]]:
    return [(e["t"], e.get("text", "")) for e in timeline if e["verb"] == "say"]


def verbs_of(timeline: list[dict[str, Any]]) -> list[str]:
    return [e["verb"] for e in timeline]


def call_row(app: Any, sid: str) -> Call:
    with session_scope(app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == sid))
        assert call is not None, f"no Call row for {sid}"
        s.expunge(call)
        return call


def events(app: Any, sid: str) -> list[tuple[str, dict[str, Any]]]:
    with session_scope(app) as s:
        rows = s.execute(select(CallEvent.kind, CallEvent.detail).join(Call)
                         .where(Call.call_sid == sid).order_by(CallEvent.id)).all()
        return [(kind, detail or {}) for kind, detail in rows]


def entry_of(app: Any, sid: str) -> QueueEntry:
    with session_scope(app) as s:
        entry = s.scalar(select(QueueEntry).join(Call).where(Call.call_sid == sid).order_by(QueueEntry.id.desc()))
        assert entry is not None
        s.expunge(entry)
        return entry


@pytest.fixture(autouse=True)
def simulator_stays_clean(request: pytest.FixtureRequest) -> Any:
    """Whole-call tests also fail when the simulator caught an internal error or a webhook
    answered with a 5xx."""
    sim = request.getfixturevalue("sim") if "sim" in request.fixturenames else None
    yield
    if sim is None:
        return
    assert sim.errors == []
    for leg in list(sim.legs):
        for req in sim.requests(leg):
            if req["url"].endswith("/ivr/transcription"):
                continue  # the console's endpoint, not this part's
            assert req.get("status", 200) < 500, req
