"""Helpers for campaign tests: campaigns in one line, contacts as CSV, the virtual clock driven
with ticks (``run``), rows read back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.db import session_scope, utcnow
from core.models import User
from core.presence import announce, set_presence
from core.telephony.simulator import Behaviour
from scheduler import campaigns as svc
from scheduler import contacts as contacts_svc
from scheduler import engine
from scheduler.models import Attempt, Campaign, Contact

NUMBERS = [f"+86139{n:08d}" for n in range(10_000_001, 10_000_400)]
# What the default scripts speak besides the case's own values (pre-flight refuses stock text).
SCRIPT_VALUES = {"agent_code": "1024", "agent_surname": "王",
                 "context": {"date": "5月1日", "issue": "水管漏水", "result": "已修好"}}


def csv_of(numbers: list[str], **columns: list[str] | str) -> str:
    keys = ["phone", *columns]
    lines = [",".join(keys)]
    for i, number in enumerate(numbers):
        row = [number]
        for key in columns:
            value = columns[key]
            row.append(value[i] if isinstance(value, list) else value)
        lines.append(",".join(row))
    return "\n".join(lines) + "\n"


@pytest.fixture
def lead(make_user: Callable[..., Any]) -> dict[str, str]:
    """The API header of a team lead (``lead1``)."""
    _user, token = make_user("lead1", role="lead")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def make_campaign(app: Any) -> Callable[..., int]:
    """make_campaign(numbers, start=True, csv_columns={...}, **campaign fields) → campaign id."""

    def factory(numbers: list[str] | None = None, *, start: bool = True,
                csv_columns: dict[str, Any] | None = None, **fields: Any) -> int:
        settings = app.config["HOTLINE"]
        data = {"name": "test campaign", "calls_per_second": 1, "max_concurrent": 5, "retry_backoff_s": 60,
                **SCRIPT_VALUES, **fields}
        with session_scope(app) as s:
            campaign = svc.create_campaign(s, settings, data)
            if numbers:
                report = contacts_svc.import_csv(s, settings, campaign, csv_of(numbers, **(csv_columns or {})))
                assert not report.errors, report.errors
            if start:
                svc.start_campaign(s, campaign, settings=settings)
            return campaign.id

    return factory


@pytest.fixture
def run(app: Any, sim: Any) -> Callable[..., None]:
    """run(seconds, step=0.25): advance the virtual clock in steps, ticking after each."""

    def runner(seconds: float, step: float = 0.25, followups: bool = False) -> None:
        elapsed = 0.0
        while elapsed < seconds - 1e-9:
            now_step = min(step, seconds - elapsed)
            sim.advance(now_step)
            elapsed += now_step
            engine.tick(app, followups=followups, dispatch=False)
        assert not sim.errors, sim.errors

    return runner


def rows(app: Any, model: Any, *where: Any) -> list[Any]:
    with session_scope(app) as s:
        found = list(s.scalars(select(model).where(*where).order_by(model.id)))
        s.expunge_all()
        return found


def attempts(app: Any, campaign_id: int) -> list[Attempt]:
    return rows(app, Attempt, Attempt.campaign_id == campaign_id)


def contacts(app: Any, campaign_id: int) -> list[Contact]:
    return rows(app, Contact, Contact.campaign_id == campaign_id)


def campaign(app: Any, campaign_id: int) -> Campaign:
    with session_scope(app) as s:
        found = s.get(Campaign, campaign_id)
        s.expunge(found)
        return found


def zone_where_now_is(hour: int) -> tuple[str, int]:
    """An Etc/GMT zone whose local time now (the virtual clock) is ``hour``:mm → (zone, mm)."""
    now = utcnow().replace(tzinfo=UTC)
    offset = (hour - now.hour + 12) % 24 - 12  # -12 … +11
    name = "Etc/GMT" + (f"{-offset:+d}" if offset else "")
    local = now + timedelta(hours=offset)
    assert local.hour == hour
    return name, local.minute


@pytest.fixture
def agent(app: Any, sim: Any, make_user: Callable[..., Any]) -> Callable[..., tuple[int, str]]:
    """agent("alice", state="available") → (user id, API token); the simulator answers the agent."""

    def factory(name: str, state: str = "available") -> tuple[int, str]:
        user, token = make_user(name, endpoint=f"client:{name}")
        sim.set_behaviour(f"client:{name}", Behaviour(answer="human", answer_after_s=1))
        set_state(app, user.id, state)
        return user.id, token

    return factory


def set_state(app: Any, user_id: int, state: str) -> None:
    """Presence through the shared service and signal, as the console does."""
    with session_scope(app) as s:
        set_presence(s, s.get(User, user_id), state)
    announce(app, user_id, state)


def run_with_routing(app: Any, sim: Any, seconds: float, step: float = 0.5) -> None:
    """The virtual clock with ticks that also let routing connect answered contacts to agents."""
    elapsed = 0.0
    while elapsed < seconds:
        sim.advance(step)
        elapsed += step
        engine.tick(app, followups=False, dispatch=True)
    assert not sim.errors, sim.errors


def said(sim: Any, call_sid: str) -> list[str]:
    return [e["text"] for e in sim.timeline(call_sid) if e["verb"] == "say"]
