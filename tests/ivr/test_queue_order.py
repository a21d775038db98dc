"""Callers who join the line one after another are told their places in that order, from their
first reassurance on: starting a caller's wait at Twilio's enqueue (QueueTime) must not move them
behind callers who chose the menu later but were enqueued sooner."""

from __future__ import annotations

import re

import pytest

from tests.ivr.conftest import CALLERS, says

PLACE = re.compile(r"第\s*(\d+)\s*位")


@pytest.fixture
def app_overrides():
    return {"queue": {"short_abandon_s": 10**6}}  # a hang-up frees its place (no recovery call-back)


def _places(timeline):
    return [int(m.group(1)) for _, text in says(timeline) for m in [PLACE.search(text)] if m]


def test_first_reassurances_follow_the_order_of_joining(sim, place, agent):
    agent("alice", state="busy")
    sids = []
    for number in CALLERS[:4]:
        sids.append(place(number, press=["1"], hangup_after_s=300))
        sim.advance(0.5)
    sim.advance(40)
    first = [(_places(sim.timeline(sid)) or [None])[0] for sid in sids]
    assert first == [1, 2, 3, 4]


def test_places_stay_in_order_while_callers_ahead_leave(sim, place, agent):
    agent("alice", state="busy")
    sids = [place(CALLERS[0], press=["1"], hangup_after_s=45)]
    sim.advance(0.5)
    sids += [place(number, press=["1"], hangup_after_s=300) for number in CALLERS[1:3]]
    sim.advance(90)
    last = [_places(sim.timeline(sid))[-1] for sid in sids[1:]]
    assert last == [1, 2]
