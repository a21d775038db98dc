"""A campaign dials only inside its window and at its pace; retries, AMD and REST errors behave
(simulator, virtual clock, the real database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.db import session_scope, utcnow
from core.telephony.simulator import Behaviour
from scheduler import campaign_progress
from scheduler import campaigns as svc
from scheduler.models import Attempt, AttemptStatus, ContactStatus

from .conftest import NUMBERS, attempts, campaign, contacts, zone_where_now_is

YES = ["1", "1", "1", "1", "1"]


@pytest.fixture
def app_overrides():
    # The account may go faster than Twilio's default 1 CPS in these tests.
    return {"campaigns": {"calls_per_second": 20}}


def humans(sim, numbers, **kw):
    for number in numbers:
        sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=3, press=list(YES), **kw))


def test_campaign_dials_at_its_pace(app, sim, make_campaign, run):
    numbers = NUMBERS[:12]
    humans(sim, numbers)
    cid = make_campaign(numbers, calls_per_second=2, max_concurrent=50)
    run(10)
    made = attempts(app, cid)
    assert len(made) == 12 and len({a.contact_id for a in made}) == 12
    created = sorted(a.created_at for a in made)
    gaps = [(b - a).total_seconds() for a, b in zip(created, created[1:], strict=False)]
    assert min(gaps) >= 0.5 - 1e-6, gaps  # never faster than 2 per second
    assert (created[-1] - created[0]).total_seconds() == pytest.approx(5.5, abs=0.3)
    # the simulator saw the REST creates at the same pace
    times = [c["created_at"] for c in sim.creates]
    assert all(b - a >= 0.5 - 1e-6 for a, b in zip(times, times[1:], strict=False))
    run(60)
    assert {c.status for c in contacts(app, cid)} == {ContactStatus.COMPLETED}


def test_max_concurrent_calls_is_respected(app, sim, make_campaign, run):
    numbers = NUMBERS[:6]
    for number in numbers:  # each call lasts ~25 s
        sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=20, hangup_after_s=5))
    cid = make_campaign(numbers, calls_per_second=10, max_concurrent=2)
    run(120)
    made = attempts(app, cid)
    assert len(made) == 6
    for a in made:
        overlapping = [b for b in made if b.created_at <= a.created_at < (b.ended_at or datetime.max)]
        assert len(overlapping) <= 2, [(b.created_at, b.ended_at) for b in overlapping]


def test_dials_only_inside_each_contacts_call_window(app, sim, make_campaign, run):
    inside_zone, _ = zone_where_now_is(13)
    outside_zone, minute = zone_where_now_is(11)
    inside, outside = NUMBERS[:3], NUMBERS[3:6]
    humans(sim, inside + outside)
    cid = make_campaign(inside + outside, window="12:00-20:00", calls_per_second=5,
                        csv_columns={"timezone": [inside_zone] * 3 + [outside_zone] * 3})
    opens = utcnow(app).replace(second=0, microsecond=0) + timedelta(minutes=60 - minute)
    run(20)
    dialed = {a.number for a in attempts(app, cid)}
    assert dialed == set(inside)
    with session_scope(app) as s:
        c = s.get(svc.Campaign, cid)
        p = campaign_progress.progress(s, app.config["HOTLINE"], c)
        assert p["blocked"]["outside_window"] == 3
        why = {x["phone"]: x["why"] for x in campaign_progress.contacts_page(s, app.config["HOTLINE"], c)}
    assert all("outside its call window (12:00-20:00" in why[n] for n in outside), why
    assert all(why[n].startswith(("dialing", "reached")) for n in inside), why
    # jump to just before the window opens: still nothing; then it opens
    remaining = (opens - utcnow(app)).total_seconds()
    run(remaining - 30, step=30)
    assert {a.number for a in attempts(app, cid)} == set(inside)
    run(60)
    made = attempts(app, cid)
    assert {a.number for a in made} == set(inside + outside)
    assert all(a.created_at >= opens for a in made if a.number in outside)


def test_busy_is_retried_with_back_off_until_the_cap(app, sim, make_campaign, run):
    number = NUMBERS[0]
    sim.set_behaviour(number, Behaviour(answer="busy"))
    cid = make_campaign([number], max_attempts=3, retry_backoff_s=60, retry_backoff_factor=2)
    run(400, step=1)
    made = attempts(app, cid)
    assert [a.status for a in made] == ["busy", "busy", "busy"]
    gaps = [(b.created_at - a.created_at).total_seconds() for a, b in zip(made, made[1:], strict=False)]
    assert gaps[0] == pytest.approx(61, abs=2) and gaps[1] == pytest.approx(121, abs=2)  # 60 s, then 120 s
    [contact] = contacts(app, cid)
    assert contact.status == ContactStatus.FAILED and contact.result == "retry_cap"
    assert "retry cap reached: 3 attempts (busy, busy, busy)" in contact.reason
    assert len({a.idempotency_key for a in made}) == 3  # a retry is a new attempt


def test_no_answer_then_answered_completes(app, sim, make_campaign, run):
    number = NUMBERS[0]
    sim.set_behaviour(number, Behaviour(answer="no-answer"))
    cid = make_campaign([number], retry_backoff_s=30, ring_timeout_s=10)
    run(20, step=1)
    assert [a.status for a in attempts(app, cid)] == ["no-answer"]
    humans(sim, [number])
    run(120, step=1)
    assert [a.status for a in attempts(app, cid)] == ["no-answer", "completed"]
    [contact] = contacts(app, cid)
    assert contact.status == ContactStatus.COMPLETED and contact.attempts == 2


def test_answering_machine_gets_the_voicemail_after_the_beep(app, sim, make_campaign, run):
    number = NUMBERS[0]
    sim.set_behaviour(number, Behaviour(answer="machine", answer_after_s=2, machine_greeting_s=6))
    cid = make_campaign([number], voicemail_text="这里是SCC顺创客服部,请回电。")
    run(40, step=0.5)
    [attempt] = attempts(app, cid)
    assert attempt.answered_by == "machine_end_beep" and attempt.result == "voicemail"
    said = [e for e in sim.timeline(attempt.call_sid) if e["verb"] == "say"]
    assert [e["text"] for e in said] == ["这里是SCC顺创客服部,请回电。"]
    [contact] = contacts(app, cid)
    assert contact.status == ContactStatus.COMPLETED and contact.result == "voicemail"


def test_machine_detection_is_requested_from_twilio(app, sim, make_campaign, run):
    humans(sim, NUMBERS[:1])
    cid = make_campaign(NUMBERS[:1])
    run(2)
    [attempt] = attempts(app, cid)
    assert sim.call(attempt.call_sid)["answered_by"] in (None, "human")
    run(30)
    assert attempts(app, cid)[0].answered_by == "human"


def test_invalid_number_error_marks_the_contact_failed_with_the_reason(app, sim, make_campaign, run):
    sim.inject_rest_failures(1, status=400, code=21211)
    cid = make_campaign(NUMBERS[:1])
    run(5)
    [attempt] = attempts(app, cid)
    assert attempt.status == AttemptStatus.FAILED and attempt.error_code == 21211 and attempt.call_sid is None
    [contact] = contacts(app, cid)
    assert contact.status == ContactStatus.FAILED and contact.result == "invalid_number"
    assert "21211" in contact.reason
    run(120, step=5)
    assert len(attempts(app, cid)) == 1  # never retried


def test_rest_429_is_retried_and_dials_once(app, sim, make_campaign, run):
    app.extensions["gateway"]._sleep = lambda s: None
    humans(sim, NUMBERS[:1])
    sim.inject_rest_failures(2, status=429, code=20429)
    cid = make_campaign(NUMBERS[:1])
    run(90, step=1)
    [attempt] = attempts(app, cid)
    assert attempt.call_sid and attempt.status == "completed"
    assert len(sim.creates) == 1


def test_rest_429_that_persists_puts_the_contact_back_without_dialing(app, sim, make_campaign, run):
    app.extensions["gateway"]._sleep = lambda s: None
    humans(sim, NUMBERS[:1])
    sim.inject_rest_failures(4, status=429, code=20429)  # the gateway tries 4 times
    cid = make_campaign(NUMBERS[:1])
    run(1)
    [first] = attempts(app, cid)
    assert first.status == AttemptStatus.NOT_PLACED and first.call_sid is None
    assert contacts(app, cid)[0].attempts == 0  # not counted against the cap
    run(90, step=1)
    made = attempts(app, cid)
    assert [a.status for a in made] == ["not_placed", "completed"] and len(sim.creates) == 1


def test_pause_resume_cancel(app, sim, make_campaign, run):
    humans(sim, NUMBERS[:6])
    cid = make_campaign(NUMBERS[:6], calls_per_second=1)
    run(1.5)
    with session_scope(app) as s:
        svc.pause_campaign(s, s.get(svc.Campaign, cid))
    run(20)
    assert len(attempts(app, cid)) == 2
    with session_scope(app) as s:
        svc.resume_campaign(s, s.get(svc.Campaign, cid))
    run(1.5)
    assert len(attempts(app, cid)) == 4
    with session_scope(app) as s:
        svc.cancel_campaign(s, s.get(svc.Campaign, cid))
    run(60)
    assert len(attempts(app, cid)) == 4
    statuses = sorted(c.status for c in contacts(app, cid))
    assert statuses.count("cancelled") == 2 and campaign(app, cid).status == "cancelled"


def test_campaign_waits_for_its_start_time_and_completes(app, sim, make_campaign, run):
    humans(sim, NUMBERS[:2])
    start = (utcnow(app) + timedelta(seconds=30)).replace(tzinfo=UTC).isoformat()
    cid = make_campaign(NUMBERS[:2], start_at=start)
    run(20)
    assert attempts(app, cid) == [] and campaign(app, cid).status == "scheduled"
    run(90)  # the first question also offers the opt-out key
    assert len(attempts(app, cid)) == 2 and campaign(app, cid).status == "completed"


def test_recurring_campaign_calls_again_at_each_cron_fire(app, sim, make_campaign, run):
    humans(sim, NUMBERS[:1])
    cid = make_campaign(NUMBERS[:1], cron="*/5 * * * *", timezone="UTC")
    first = campaign(app, cid).next_run_at
    assert first.minute % 5 == 0 and first > utcnow(app) - timedelta(seconds=1)
    run((first - utcnow(app)).total_seconds() + 60, step=5)
    assert len(attempts(app, cid)) == 1
    assert campaign(app, cid).status == "scheduled" and campaign(app, cid).next_run_at == first + timedelta(minutes=5)
    run(300, step=5)
    made = attempts(app, cid)
    assert len(made) == 2 and made[1].round == 2 and made[0].idempotency_key != made[1].idempotency_key


def test_every_attempt_is_recorded_before_the_rest_request(app, sim, make_campaign, run):
    """The attempt row exists (status dialing, idempotency key) when Twilio receives the create."""
    seen = []

    class Spy(list):
        def append(self, entry):
            with session_scope(app) as s:
                row = s.query(Attempt).order_by(Attempt.id.desc()).first()
                seen.append((row.status, row.idempotency_key, row.call_sid))
            super().append(entry)

    sim.creates = Spy(sim.creates)
    humans(sim, NUMBERS[:2])
    make_campaign(NUMBERS[:2])
    run(3)
    assert [s for s, _k, sid in seen] == ["dialing", "dialing"] and all(sid is None for *_x, sid in seen)
