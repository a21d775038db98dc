"""Dialing modes through the simulator: progressive (one call per free agent), predictive (dials
ahead, abandon message when nobody is free, the abandon cap), preview (the agent clicks to dial),
and the rule that a call needing an agent is never placed when nobody can take it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import session_scope
from core.models import Call, Presence
from core.telephony.simulator import Behaviour
from scheduler.models import Contact

from .conftest import NUMBERS, attempts, contacts, run_with_routing, set_state


def max_overlap(rows: list[Any], until: Any) -> int:
    """The most attempts ringing or talking at the same moment."""
    events = sorted([(a.created_at, 1) for a in rows] + [(a.ended_at or until, -1) for a in rows],
                    key=lambda e: (e[0], e[1]))
    live = peak = 0
    for _at, delta in events:
        live += delta
        peak = max(peak, live)
    return peak


def test_agent_modes_place_no_call_while_no_agent_is_free(app, sim, make_campaign, agent):
    for number in NUMBERS[:3]:
        sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=2, hangup_after_s=30))
    agent_id, _ = agent("alice", state="away")
    progressive = make_campaign(NUMBERS[:3], dial_mode="progressive", max_concurrent=5)
    predictive = make_campaign(NUMBERS[:3], dial_mode="predictive", max_concurrent=5)
    run_with_routing(app, sim, 20)
    assert attempts(app, progressive) == [] and attempts(app, predictive) == []
    set_state(app, agent_id, Presence.AVAILABLE)
    run_with_routing(app, sim, 2)
    assert len(attempts(app, progressive)) + len(attempts(app, predictive)) == 1


def test_progressive_places_one_call_per_free_agent(app, sim, make_campaign, agent):
    for number in NUMBERS[:3]:
        sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=2, talk_s=20))
    agent("alice")
    cid = make_campaign(NUMBERS[:3], dial_mode="progressive", max_concurrent=5, calls_per_second=1)
    run_with_routing(app, sim, 240, step=1)
    rows = attempts(app, cid)
    assert len(rows) == 3, [(a.status, a.result) for a in rows]
    assert max_overlap(rows, rows[-1].created_at) == 1  # never a second call while alice has one
    assert all(a.result == "connected" for a in rows)
    assert all(c.status == "completed" for c in contacts(app, cid))


def test_agent_modes_need_the_agent_assisted_mode(app, client, make_user):
    _user, token = make_user("lead", role="lead")
    headers = {"Authorization": f"Bearer {token}"}
    bad = client.post("/api/campaigns", headers=headers, json={"name": "x", "mode": "automated",
                                                               "dial_mode": "predictive"})
    assert bad.status_code == 422 and "dial_mode" in bad.get_json()["error"]
    assert client.post("/api/campaigns", headers=headers, json={"name": "x", "dial_mode": "warp"}).status_code == 400
    made = client.post("/api/campaigns", headers=headers, json={"name": "x", "dial_mode": "preview"}).get_json()
    assert made["mode"] == "agent_assisted" and made["dial_mode"] == "preview"
    assisted = client.post("/api/campaigns", headers=headers, json={"name": "y", "mode": "agent_assisted"}).get_json()
    assert assisted["dial_mode"] == "progressive"


def test_preview_the_agent_sees_the_contact_and_clicks_to_dial(app, sim, client, make_campaign, agent):
    sim.set_behaviour(NUMBERS[0], Behaviour(answer="human", answer_after_s=2, talk_s=20))
    agent_id, token = agent("alice", state="away")
    headers = {"Authorization": f"Bearer {token}"}
    cid = make_campaign(NUMBERS[:2], dial_mode="preview", csv_columns={"name": ["王建国", "李四"],
                                                                       "note": ["上次投诉噪音", ""]})
    run_with_routing(app, sim, 10)
    assert attempts(app, cid) == []  # nothing is dialed until the agent clicks
    shown = client.get(f"/api/campaigns/{cid}/preview", headers=headers).get_json()["contact"]
    assert shown["name"] == "王建国" and shown["note"] == "上次投诉噪音"
    refused = client.post(f"/api/campaigns/{cid}/contacts/{shown['id']}/dial", headers=headers)
    assert refused.status_code == 409 and "available" in refused.get_json()["error"]
    set_state(app, agent_id, Presence.AVAILABLE)
    dialed = client.post(f"/api/campaigns/{cid}/contacts/{shown['id']}/dial", headers=headers)
    assert dialed.status_code == 201
    again = client.post(f"/api/campaigns/{cid}/contacts/{shown['id']}/dial", headers=headers)
    assert again.status_code == 409  # already being dialed
    run_with_routing(app, sim, 40)
    [attempt] = attempts(app, cid)
    assert attempt.agent_id == agent_id and attempt.result == "connected"
    with session_scope(app) as s:
        assert s.get(Contact, shown["id"]).status == "completed"


def test_a_preview_call_goes_to_the_agent_who_dialed_it(app, sim, client, make_campaign, agent):
    """Another agent free longer (first by longest idle) does not take the contact bob dialed."""
    sim.set_behaviour(NUMBERS[0], Behaviour(answer="human", answer_after_s=2, talk_s=20))
    alice_id, _ = agent("alice")
    sim.advance(30)  # alice has been free the longest
    bob_id, token = agent("bob")
    headers = {"Authorization": f"Bearer {token}"}
    cid = make_campaign(NUMBERS[:1], dial_mode="preview")
    run_with_routing(app, sim, 5)  # the campaign starts; nothing is dialed until bob clicks
    shown = client.get(f"/api/campaigns/{cid}/preview", headers=headers).get_json()["contact"]
    assert client.post(f"/api/campaigns/{cid}/contacts/{shown['id']}/dial", headers=headers).status_code == 201
    run_with_routing(app, sim, 15)
    [attempt] = attempts(app, cid)
    assert attempt.agent_id == bob_id and attempt.result == "connected"
    with session_scope(app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == attempt.call_sid))
        assert call is not None and call.agent_id == bob_id, (call.agent_id if call else None, alice_id)


def test_live_figures_show_agents_rates_and_warnings(app, client, make_user, make_campaign, agent):
    agent_id, _ = agent("alice", state="away")
    _lead, token = make_user("lead", role="lead")
    headers = {"Authorization": f"Bearer {token}"}
    cid = make_campaign(NUMBERS[:2], dial_mode="predictive")
    body = client.get(f"/api/campaigns/{cid}", headers=headers).get_json()
    assert body["dialing"]["dial_mode"] == "predictive" and body["dialing"]["agents"]["free"] == 0
    assert body["dialing"]["abandon_cap"] == 0.03
    assert any("no agent is free" in w for w in body["warnings"]), body["warnings"]
    assert any("leader lease" in w for w in body["warnings"])  # no scheduler process in a test
    set_state(app, agent_id, Presence.AVAILABLE)
    body = client.get(f"/api/campaigns/{cid}", headers=headers).get_json()
    assert body["dialing"]["agents"]["free"] == 1 and not any("no agent" in w for w in body["warnings"])


def test_preview_skip_with_a_reason_offers_the_next_contact(app, sim, client, make_campaign, agent):
    _agent_id, token = agent("alice")
    headers = {"Authorization": f"Bearer {token}"}
    cid = make_campaign(NUMBERS[:2], dial_mode="preview", retry_backoff_s=600,
                        csv_columns={"name": ["王建国", "李四"]})
    run_with_routing(app, sim, 1)  # the campaign starts running
    first = client.get(f"/api/campaigns/{cid}/preview", headers=headers).get_json()["contact"]
    bad = client.post(f"/api/campaigns/{cid}/contacts/{first['id']}/skip", headers=headers, json={"reason": "bored"})
    assert bad.status_code == 400
    skipped = client.post(f"/api/campaigns/{cid}/contacts/{first['id']}/skip", headers=headers,
                          json={"reason": "needs_research", "note": "先查账单"})
    assert skipped.status_code == 200 and "needs_research" in skipped.get_json()["why"]
    again = client.post(f"/api/campaigns/{cid}/contacts/{first['id']}/skip", headers=headers,
                        json={"reason": "not_now"})
    assert again.status_code == 409  # not due any more: it waits for the back-off
    shown = client.get(f"/api/campaigns/{cid}/preview", headers=headers).get_json()["contact"]
    assert shown["name"] == "李四"
    assert attempts(app, cid) == []  # skipping places no call and counts no attempt
    [skipped_row] = [c for c in contacts(app, cid) if c.id == first["id"]]
    assert skipped_row.attempts == 0 and "先查账单" in skipped_row.reason and skipped_row.next_attempt_at
