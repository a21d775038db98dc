"""Announced waits: zero and "connecting you now" with an agent free, the same estimate at the
same position, English plurals, and one clock start for a caller's wait (Twilio's QueueTime)."""

from __future__ import annotations

import pytest

from ivr import queue
from tests.ivr.conftest import CALLERS, call_row, entry_of, says
from tests.twiml import parse, texts


@pytest.fixture
def app_overrides():
    return {"queue": {"default_handle_s": 60}}


def test_formula(app):
    settings = app.config["HOTLINE"]
    handle = settings.queue.default_handle_s
    assert queue.expected_wait_s(settings, 1, free_agents=1, staffed_agents=1) == 0
    assert queue.expected_wait_s(settings, 2, free_agents=2, staffed_agents=3) == 0
    assert queue.expected_wait_s(settings, 1, free_agents=0, staffed_agents=1) == handle
    assert queue.expected_wait_s(settings, 3, free_agents=1, staffed_agents=2) == 2 * handle / 2
    assert queue.expected_wait_s(settings, 2, free_agents=0, staffed_agents=0) == 2 * handle


def test_free_agent_means_connecting_now_not_minutes(twilio_post, agent):
    agent("alice")  # available
    said = " ".join(texts(parse(twilio_post("/ivr/queue/wait", QueuePosition="1", QueueTime="0",
                                            AvgQueueTime="0").data)))
    assert "分钟" not in said and "正在为您接通" in said, said


def test_estimate_is_stable_at_a_position(twilio_post, agent):
    agent("alice", state="busy")
    first = texts(parse(twilio_post("/ivr/queue/wait", QueuePosition="1", QueueTime="0", AvgQueueTime="300").data))
    later = texts(parse(twilio_post("/ivr/queue/wait", QueuePosition="1", QueueTime="100",
                                    AvgQueueTime="130").data))
    assert "约1分钟" in first[0] and first[0] == later[0]


def test_english_says_one_minute(sim, place, agent):
    agent("alice", state="busy")
    sid = place(press=["9", "1"], hangup_after_s=40)
    sim.advance(45)
    reassurances = [text for _, text in says(sim.timeline(sid)) if "You are number" in text]
    assert reassurances and all("about 1 minute." in t or "about 1 minute " in t for t in reassurances), reassurances
    assert not any("1 minutes" in t for t in reassurances)


def test_wait_starts_when_enqueued_as_twilio_counts_it(app, sim, place, agent):
    agent("alice", state="busy")
    sid = place(CALLERS[1], press=["1"], hangup_after_s=60)
    sim.advance(70)
    call, entry = call_row(app, sid), entry_of(app, sid)
    enqueued = next(e["t"] for e in sim.timeline(sid) if e["verb"] == "enqueue")
    hung_up = next(e["t"] for e in sim.timeline(sid) if e["verb"] == "hangup")
    assert call.wait_s == pytest.approx(hung_up - enqueued, abs=1)  # Twilio's QueueTime
    assert (entry.ended_at - entry.joined_at).total_seconds() == pytest.approx(call.wait_s, abs=1)


def test_a_caller_whose_agent_is_ringing_hears_connecting_not_minutes(sim, place, agent):
    agent("alice", answer_after_s=25)  # her phone rings for this caller through a reassurance
    sid = place(press=["1"], hangup_after_s=60)
    sim.advance(40)
    heard = [text for _, text in says(sim.timeline(sid))]
    waits = [t for t in heard if "等待" in t or "正在为您接通" in t]
    assert waits, heard
    assert not any("分钟" in t for t in waits), waits
