"""A number's attempt cap across all campaigns (campaigns.number_daily_cap)."""

from __future__ import annotations

import pytest

from core.telephony.simulator import Behaviour

from .conftest import NUMBERS, attempts, contacts


@pytest.fixture
def app_overrides():
    return {"campaigns": {"number_daily_cap": 2}}


def test_a_number_gets_at_most_the_daily_cap_from_all_campaigns(app, sim, make_campaign, run):
    sim.set_behaviour(NUMBERS[0], Behaviour(answer="busy"))
    first = make_campaign(NUMBERS[:1], max_attempts=1)
    second = make_campaign(NUMBERS[:1], max_attempts=1)
    third = make_campaign(NUMBERS[:1], max_attempts=1)
    run(20, step=1)
    placed = [len(attempts(app, cid)) for cid in (first, second, third)]
    assert sum(placed) == 2, placed
    [waiting] = [c for cid in (first, second, third) for c in contacts(app, cid) if c.status == "pending"]
    assert "attempt cap for this number" in waiting.reason
    assert (waiting.next_attempt_at - attempts(app, first)[0].created_at).total_seconds() >= 86400
