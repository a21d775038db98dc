"""Exactly once: attempts are recorded before the REST request; after a crash in-flight attempts are
reconciled (status callbacks, Twilio's call list, fetching the call) and never redialed; the leader
lease lets exactly one process dial, with fail-over."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core.db import session_scope, utcnow
from core.telephony.gateway import get_gateway
from core.telephony.simulator import Behaviour
from scheduler import engine
from scheduler import lease as leases
from scheduler.models import Attempt, AttemptStatus, Contact, ContactStatus

from .conftest import NUMBERS, attempts, contacts


@pytest.fixture
def app_overrides():
    return {"scheduler": {"reconcile_after_s": 30}}


def crash_after_commit(app, campaign_id, contact_id):
    """What ``_dial`` commits before the REST request — then the process dies."""
    with session_scope(app) as s:
        contact = s.get(Contact, contact_id)
        attempt = Attempt(campaign_id=campaign_id, contact_id=contact_id, number=contact.phone, seq=1,
                          round=contact.round, idempotency_key=f"{campaign_id}:{contact_id}:{contact.round}:1",
                          status=AttemptStatus.DIALING, created_at=utcnow(app), updated_at=utcnow(app))
        s.add(attempt)
        contact.status = ContactStatus.IN_PROGRESS
        contact.attempts = 1
        s.flush()
        return attempt.id


def test_crash_before_the_rest_request_is_proven_unplaced_and_dialed_once(app, sim, make_campaign, run):
    number = NUMBERS[0]
    sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=2, press=["1", "1", "1"]))
    cid = make_campaign([number], start=True)
    engine.fire_due_campaigns(app)
    [contact] = contacts(app, cid)
    lost = crash_after_commit(app, cid, contact.id)
    run(20)
    assert len(sim.creates) == 0  # not reconciled before reconcile_after_s: nothing redialed
    run(120, step=1)
    made = attempts(app, cid)
    assert made[0].id == lost and made[0].status == AttemptStatus.NOT_PLACED
    assert [a.status for a in made[1:]] == ["completed"]
    assert len(sim.creates) == 1 and contacts(app, cid)[0].status == ContactStatus.COMPLETED


def test_crash_after_the_rest_request_adopts_the_call_and_never_redials(app, sim, make_campaign, run):
    """The REST answer (CallSid) was lost: Twilio's status callback (attempt id in its URL) or the
    call list for the number tells which call it was."""
    number = NUMBERS[0]
    sim.set_behaviour(number, Behaviour(answer="no-answer"))
    cid = make_campaign([number], ring_timeout_s=20, max_attempts=1)
    engine.fire_due_campaigns(app)
    [contact] = contacts(app, cid)
    attempt_id = crash_after_commit(app, cid, contact.id)
    settings = app.config["HOTLINE"]
    sid = get_gateway(app).place_call(number, engine.outbound_url(settings, "answer", attempt=attempt_id),
                                      status_callback=engine.outbound_url(settings, "status", attempt=attempt_id),
                                      timeout_s=20)
    run(200, step=1)
    [attempt] = attempts(app, cid)
    assert attempt.call_sid == sid and attempt.status == "no-answer"
    assert len(sim.creates) == 1 and contacts(app, cid)[0].status == ContactStatus.FAILED


def test_reconcile_finds_the_call_in_twilios_list_when_callbacks_never_came(app, sim, make_campaign, run):
    number = NUMBERS[0]
    sim.set_behaviour(number, Behaviour(answer="busy"))
    cid = make_campaign([number], max_attempts=1)
    engine.fire_due_campaigns(app)
    [contact] = contacts(app, cid)
    attempt_id = crash_after_commit(app, cid, contact.id)
    # placed without any status callback: only Twilio's call list knows about it
    sid = get_gateway(app).place_call(number, engine.outbound_url(app.config["HOTLINE"], "answer",
                                                                  attempt=attempt_id), timeout_s=20)
    run(60, step=1)
    [attempt] = attempts(app, cid)
    assert attempt.call_sid == sid and attempt.status == "busy"
    assert len(sim.creates) == 1


def test_lost_status_callbacks_are_replaced_by_fetching_the_call(app, sim, make_campaign, run):
    number = NUMBERS[0]
    sim.set_behaviour(number, Behaviour(answer="busy"))
    cid = make_campaign([number], max_attempts=1)
    run(1)
    [attempt] = attempts(app, cid)
    # pretend the callbacks never arrived
    with session_scope(app) as s:
        s.execute(update(Attempt).where(Attempt.id == attempt.id).values(status="queued"))
        s.execute(update(Contact).where(Contact.id == attempt.contact_id).values(status="in_progress"))
    sim.advance(5)  # the call ends (busy) meanwhile, callbacks already spent
    run(40, step=1)
    [attempt] = attempts(app, cid)
    assert attempt.status == "busy" and len(sim.creates) == 1


def test_a_call_twilio_no_longer_knows_is_lost_not_redialed(app, sim, make_campaign, run):
    cid = make_campaign(NUMBERS[:1], max_attempts=3)
    engine.fire_due_campaigns(app)
    [contact] = contacts(app, cid)
    attempt_id = crash_after_commit(app, cid, contact.id)
    with session_scope(app) as s:
        s.execute(update(Attempt).where(Attempt.id == attempt_id).values(call_sid="CA" + "0" * 32, status="ringing"))
    run(60, step=1)
    [attempt] = attempts(app, cid)
    assert attempt.status == AttemptStatus.LOST and "not redialed" in attempt.error
    [contact] = contacts(app, cid)
    assert contact.status == ContactStatus.FAILED and contact.result == "lost"
    assert len(sim.creates) == 0


def test_the_idempotency_key_makes_a_second_row_for_one_attempt_impossible(app, make_campaign):
    cid = make_campaign(NUMBERS[:1])
    [contact] = contacts(app, cid)
    crash_after_commit(app, cid, contact.id)
    with pytest.raises(IntegrityError):
        crash_after_commit(app, cid, contact.id)


def test_lease_one_holder_and_fail_over(app):
    now = utcnow(app)
    with session_scope(app) as s:
        assert leases.try_acquire(s, "a", 30, now)
    with session_scope(app) as s:
        assert not leases.try_acquire(s, "b", 30, now + timedelta(seconds=10))
        assert leases.try_acquire(s, "a", 30, now + timedelta(seconds=10))  # renewed
        assert leases.still_held(s, "a", now + timedelta(seconds=20))
    later = now + timedelta(seconds=41)  # a stopped renewing: the lease lapses
    with session_scope(app) as s:
        assert leases.try_acquire(s, "b", 30, later)
    with session_scope(app) as s:
        assert not leases.try_acquire(s, "a", 30, later)
        assert not leases.still_held(s, "a", later)
        assert leases.current(s).fencing == 2


def test_a_dial_rechecks_the_lease(app, sim, make_campaign):
    cid = make_campaign(NUMBERS[:2])
    with session_scope(app) as s:
        leases.try_acquire(s, "other-process", 30, utcnow(app))
    sim.advance(1)
    engine.tick(app, holder="me", followups=False, dispatch=False)
    assert attempts(app, cid) == [] and sim.creates == []
    with session_scope(app) as s:
        assert s.scalars(select(Contact.status)).all() == ["pending", "pending"]
