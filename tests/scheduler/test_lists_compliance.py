"""List management and compliance through the simulator: recycling passes, retry after an
answering machine, the opt-out key (straight onto the do-not-call list), do-not-call scope and
expiry, caller ID and holidays per campaign."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from core.db import session_scope, utcnow
from core.telephony.simulator import Behaviour
from scheduler import contacts as contacts_svc
from scheduler import dnc, script_wording
from scheduler.campaigns import CampaignError
from scheduler.models import Campaign, DncNumber

from .conftest import NUMBERS, attempts, contacts, csv_of, said


def test_no_answer_contacts_are_recycled_into_a_later_pass(app, sim, make_campaign, run):
    sim.set_behaviour(NUMBERS[0], Behaviour(answer="no-answer"))
    cid = make_campaign(NUMBERS[:1], max_attempts=1, ring_timeout_s=10, recycle_passes=1, recycle_after_s=600)
    run(30, step=1)
    [contact] = contacts(app, cid)
    assert contact.status == "pending" and contact.recycle_pass == 1 and contact.attempts == 0
    wait = (contact.next_attempt_at - utcnow(app)).total_seconds()
    assert 500 < wait <= 600, wait
    assert "recycled into pass 2 of 2" in contact.reason
    run(300, step=5)
    assert len(attempts(app, cid)) == 1  # not before the pass is due
    run(330, step=5)
    assert len(attempts(app, cid)) == 2
    [contact] = contacts(app, cid)
    assert contact.status == "failed" and contact.result == "retry_cap"  # both passes used


def test_answering_machine_is_retried_instead_of_a_voicemail_when_asked(app, sim, make_campaign, run):
    sim.set_behaviour(NUMBERS[0], Behaviour(answer="machine", answer_after_s=2, machine_greeting_s=3))
    cid = make_campaign(NUMBERS[:1], machine_retry=True, max_attempts=2, retry_backoff_s=120)
    run(40, step=1)
    [attempt] = attempts(app, cid)
    assert attempt.result == "machine"
    assert script_wording.text(app.config["HOTLINE"], "voicemail", "zh-CN", agent_id="1024") not in said(sim, attempt.call_sid)
    [contact] = contacts(app, cid)
    assert contact.status == "pending" and contact.result == "machine" and contact.next_attempt_at is not None


def test_opt_out_key_puts_the_number_on_the_do_not_call_list_at_once(app, sim, make_campaign, run):
    sim.set_behaviour(NUMBERS[0], Behaviour(answer="human", answer_after_s=2, press=["9"]))
    cid = make_campaign(NUMBERS[:1])
    run(40, step=1)
    [attempt] = attempts(app, cid)
    lines = said(sim, attempt.call_sid)
    settings = app.config["HOTLINE"]
    assert any(script_wording.text(settings, "outbound_optout_hint", "zh-CN") in line for line in lines)
    assert script_wording.text(settings, "outbound_optout_done", "zh-CN") in lines
    with session_scope(app) as s:
        row = s.scalar(select(DncNumber).where(DncNumber.phone == NUMBERS[0]))
        assert row is not None and row.source == "opt_out_key" and row.campaign_id is None
    [contact] = contacts(app, cid)
    assert contact.status == "dnc" and contact.result == "opted_out"
    other = make_campaign(NUMBERS[:1])  # every other campaign skips the number too
    assert [c.status for c in contacts(app, other)] == ["dnc"]


def test_do_not_call_scope_and_expiry(app, sim, make_campaign, run):
    for number in NUMBERS[:3]:
        sim.set_behaviour(number, Behaviour(answer="busy"))
    first = make_campaign(NUMBERS[:2], start=False)
    second = make_campaign(NUMBERS[:2], start=False)
    settings = app.config["HOTLINE"]
    with session_scope(app) as s:
        dnc.add_dnc(s, settings, NUMBERS[0], "asked on the first campaign", source="manual", campaign_id=first)
        dnc.add_dnc(s, settings, NUMBERS[1], "for a week", expires_at=utcnow(app) + timedelta(days=7))
        assert dnc.blocked_numbers(s, NUMBERS[:2], first) == set(NUMBERS[:2])
        assert dnc.blocked_numbers(s, NUMBERS[:2], second) == {NUMBERS[1]}
        assert dnc.blocked_numbers(s, NUMBERS[:2], second, utcnow(app) + timedelta(days=8)) == set()
        # Asked again from another campaign: the entry now covers every campaign.
        dnc.add_dnc(s, settings, NUMBERS[0], "asked again", campaign_id=second)
        assert dnc.blocked_numbers(s, NUMBERS[:1], second) == {NUMBERS[0]}
        report = contacts_svc.import_csv(s, settings, s.get(Campaign, second), csv_of(NUMBERS[:3]))
        assert report.skipped_duplicates == 2 and report.imported == 1


def test_do_not_call_api_takes_source_scope_and_expiry(app, client, make_user, make_campaign):
    _user, token = make_user("lead", role="lead")
    headers = {"Authorization": f"Bearer {token}"}
    cid = make_campaign(start=False)
    later = (utcnow(app) + timedelta(days=30)).isoformat() + "Z"
    made = client.post("/api/dnc", headers=headers, json={"phone": NUMBERS[5], "reason": "asked", "campaign_id": cid,
                                                          "expires_at": later})
    assert made.status_code == 201
    listed = {n["reason"]: n for n in client.get("/api/dnc", headers=headers).get_json()["numbers"]}
    assert listed["asked"]["campaign_id"] == cid and listed["asked"]["source"] == "api"
    assert listed["asked"]["expires_at"].startswith(later[:16])
    refused = [({"expires_at": "2001-01-01T00:00Z"}, 422), ({"campaign_id": 999}, 422),
               ({"source": "guess"}, 400), ({"expires_at": "soon"}, 400)]
    for bad, status in refused:
        answer = client.post("/api/dnc", headers=headers, json={"phone": NUMBERS[6], **bad})
        assert answer.status_code == status, bad
        assert next(iter(bad)) in answer.get_json()["error"], bad
    with session_scope(app) as s:
        assert s.scalar(select(DncNumber).where(DncNumber.phone == NUMBERS[6])) is None


def test_caller_id_per_campaign(app, sim, make_campaign, run):
    sim.set_behaviour(NUMBERS[0], Behaviour(answer="busy"))
    cid = make_campaign(NUMBERS[:1], caller_id="+8675599990000")
    run(5, step=1)
    [attempt] = attempts(app, cid)
    assert sim.leg(attempt.call_sid).from_ == "+8675599990000"


def test_no_calls_on_the_campaigns_holidays(app, sim, make_campaign, run):
    sim.set_behaviour(NUMBERS[0], Behaviour(answer="busy"))
    local_today = utcnow(app).replace(tzinfo=UTC).astimezone(app.config["HOTLINE"].hours.zone).date()
    cid = make_campaign(NUMBERS[:1], holidays=[local_today.isoformat()])
    run(10, step=1)
    assert attempts(app, cid) == []
    working = make_campaign(NUMBERS[1:2], holidays=[(local_today + timedelta(days=1)).isoformat()])
    run(3, step=1)
    assert len(attempts(app, working)) == 1
    with pytest.raises(CampaignError, match="holidays"):
        make_campaign(NUMBERS[2:3], holidays=["tomorrow"])
