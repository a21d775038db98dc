"""Predictive dialing through the simulator: it dials ahead of the free agents, plays the abandon
message when an answered contact finds nobody free, and stays at or under the abandon cap."""

from __future__ import annotations

import pytest

from core.telephony.simulator import Behaviour
from scheduler import script_wording

from .conftest import NUMBERS, attempts, contacts, run_with_routing, said


@pytest.fixture
def app_overrides():
    return {"campaigns": {"abandon_cap": 1.0}}  # no cap: show the dial-ahead and the abandon message


def test_predictive_dials_ahead_and_plays_the_abandon_message(app, sim, make_campaign, agent):
    for number in NUMBERS[:2]:
        sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=2, talk_s=30))
    agent("alice")
    cid = make_campaign(NUMBERS[:2], dial_mode="predictive", max_concurrent=5, calls_per_second=1,
                        retry_backoff_s=600)
    run_with_routing(app, sim, 30)
    rows = attempts(app, cid)
    assert len(rows) == 2  # answer rate 50 % assumed: two calls for one free agent
    results = sorted(a.result or "" for a in rows)
    assert results == ["abandoned", "connected"], results
    [abandoned] = [a for a in rows if a.result == "abandoned"]
    assert script_wording.text(app.config["HOTLINE"], "outbound_abandon", "zh-CN") in said(sim, abandoned.call_sid)
    [contact] = [c for c in contacts(app, cid) if c.id == abandoned.contact_id]
    assert contact.status == "pending" and contact.result == "abandoned" and contact.next_attempt_at


