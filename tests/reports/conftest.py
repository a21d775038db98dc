"""Fixtures for the reports tests: the seeded day (``seed.py``), a signed-in team lead."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.console.helpers import login
from tests.reports.seed import Seeded, seed_day


@pytest.fixture
def seeded(app: Any, db: Any, make_user: Callable[..., Any]) -> Seeded:
    make_user("alice", display_name="Alice 王", agent_code="A01")
    make_user("bob", display_name="Bob 李", agent_code="B02")
    from sqlalchemy import select

    from core.models import User

    alice = db.scalar(select(User).where(User.name == "alice"))
    bob = db.scalar(select(User).where(User.name == "bob"))
    data = seed_day(db, alice, bob)
    db.commit()
    return data


@pytest.fixture
def lead(make_user: Callable[..., Any]) -> tuple[Any, str]:
    """A team lead (user, API token)."""
    return make_user("lin", role="lead", display_name="林班长", agent_code="L01")


@pytest.fixture
def lead_client(client: Any, lead: tuple[Any, str]) -> tuple[Any, str]:
    """The test client signed in as the lead, and its CSRF token."""
    return client, login(client, "lin")
