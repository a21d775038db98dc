"""Follow-up rules fire at the right virtual time, once (H9, H14–H17), and outcomes land on the case."""

from __future__ import annotations

import functools
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from core.cases import open_case
from core.db import session_scope, utcnow
from core.models import CallbackRequest, Case, CaseStatus, Presence, User
from core.presence import announce, set_presence
from core.telephony.simulator import Behaviour
from core.users import create_user
from scheduler import engine, followup, followup_callbacks, followup_records
from scheduler.models import Attempt, Campaign, Contact, FollowUp

PHONE = "+8613900001111"


@pytest.fixture
def app_overrides():
    return {"hours": {"open": "09:30-17:50", "timezone": "Asia/Shanghai"}}


@pytest.fixture
def run(run):
    """The package's ``run(seconds, step)``, with the follow-up rules ticking too."""
    return functools.partial(run, followups=True)


def case_agent(s):
    """The agent who took the call (工号 1024, 王芳): follow-up call-backs say their code."""
    agent = s.scalar(select(User).where(User.name == "agent1024"))
    if agent is None:
        agent, _token, _password = create_user(s, "agent1024", "agent", "password123", agent_code="1024",
                                               display_name="王芳")
        s.flush()
    return agent


def new_case(app, kind, *, by_agent=True, **fields):
    with session_scope(app) as s:
        case = open_case(s, app.config["HOTLINE"], kind=kind, description="测试", contact_number=PHONE,
                         caller_name="王先生", created_by_id=case_agent(s).id if by_agent else None)
        for key, value in fields.items():
            setattr(case, key, value)
        return case.id


def get_case(app, case_id):
    with session_scope(app) as s:
        case = s.get(Case, case_id)
        s.expunge(case)
        return case


def alerts(app, rule):
    with session_scope(app) as s:
        return [a for a in followup_records.alerts(s) if a["rule"] == rule]


def until_local(app, hour, minute=0, days=0):
    """Seconds from now to the next local (Asia/Shanghai) hour:minute, plus ``days``."""
    tz = app.config["HOTLINE"].hours.zone
    now = utcnow(app).replace(tzinfo=UTC)
    local = now.astimezone(tz)
    target = local.replace(hour=hour, minute=minute, second=0, microsecond=0) + timedelta(days=days)
    if target <= local:
        target += timedelta(days=1)
    return (target - local).total_seconds()


def test_h14_case_without_reply_after_a_day_alerts_the_lead_once(app, sim, run):
    case_id = new_case(app, "inquiry")
    run(23 * 3600, step=1800)
    assert alerts(app, "H14") == []
    run(2 * 3600, step=1800)
    found = alerts(app, "H14")
    assert len(found) == 1 and "24" in found[0]["text"] and found[0]["case_id"] == case_id
    run(3 * 3600, step=1800)
    assert len(alerts(app, "H14")) == 1  # once per case per day


def test_h14_replied_case_is_left_alone(app, sim, run):
    new_case(app, "inquiry", replied_at=utcnow(app))
    run(26 * 3600, step=3600)
    assert alerts(app, "H14") == []


def test_h15_repair_open_two_days_is_escalated_once(app, sim, run):
    case_id = new_case(app, "repair", replied_at=utcnow(app))
    run(47 * 3600, step=3600)
    assert get_case(app, case_id).escalated_at is None
    run(2 * 3600, step=1800)
    case = get_case(app, case_id)
    assert case.escalated_at is not None
    assert (case.escalated_at - case.created_at).total_seconds() >= 48 * 3600
    assert [a["audience"] for a in alerts(app, "H15")] == ["supervisor"]
    run(24 * 3600, step=3600)
    assert len(alerts(app, "H15")) == 1


def test_h16_satisfaction_call_back_the_next_day_within_hours(app, sim, run):
    sim.set_behaviour(PHONE, Behaviour(answer="human", answer_after_s=2, press=["1", "1", "1", "2", "3"]))
    run(until_local(app, 15), step=1800)  # 15:00 local on day 0
    case_id = new_case(app, "repair", replied_at=utcnow(app))
    with session_scope(app) as s:
        contact = followup_callbacks.mark_work_order_returned(s, app.config["HOTLINE"], s.get(Case, case_id))
        assert contact is not None
    returned = get_case(app, case_id).work_order_returned_at
    run(until_local(app, 9, 29) - 60, step=1800)  # the next day, just before the window opens
    with session_scope(app) as s:
        assert s.scalars(select(Attempt)).all() == []
    run(600, step=5)
    run(200, step=5)
    with session_scope(app) as s:
        [attempt] = s.scalars(select(Attempt)).all()
        tz = app.config["HOTLINE"].hours.zone
        local = attempt.created_at.replace(tzinfo=UTC).astimezone(tz)
        assert local.date() == (returned.replace(tzinfo=UTC).astimezone(tz) + timedelta(days=1)).date()
        assert (local.hour, local.minute) >= (9, 30)
        case = s.get(Case, case_id)
        h16 = case.outcome["h16_callback"]
        assert h16["status"] == "completed"
        assert h16["answers"]["survey_timeliness"] == "很满意" and h16["answers"]["survey_attitude"] == "满意"
        assert h16["answers"]["survey_quality"] == "基本满意"
        rate = followup.repair_callback_rate(s, app.config["HOTLINE"])
        assert rate == {"returned": 1, "called_back": 1, "rate": 1.0, "target": 0.95, "meets_target": True}
        survey = followup.survey_return_rate(s, app.config["HOTLINE"])
        assert survey["returned"] == 1 and survey["rate"] == 1.0
        assert followup.satisfaction(s, app.config["HOTLINE"])["overall"] == 1.0  # 很满意, 满意, 基本满意 (H19)
        spoken = " ".join(e["text"] for e in sim.timeline(attempt.call_sid) if e["verb"] == "say")
        assert "工号:1024" in spoken and "***" not in spoken  # the case's agent, never stock text
    run(2 * 86400, step=3600)
    with session_scope(app) as s:
        assert s.query(FollowUp).filter_by(rule="H16").count() == 1
        assert s.query(Attempt).count() == 1


def test_h16_call_back_without_an_agent_code_is_refused_naming_the_value(app, sim, run):
    """A case nobody with an agent code handled: the call-back would say 工号 ***, so it is not made."""
    case_id = new_case(app, "repair", by_agent=False, replied_at=utcnow(app))
    with session_scope(app) as s:
        contact = followup_callbacks.mark_work_order_returned(s, app.config["HOTLINE"], s.get(Case, case_id))
        assert contact.status == "failed" and contact.result == "unfilled_values"
        assert "agent_id" in contact.reason
    h16 = get_case(app, case_id).outcome["h16_callback"]
    assert h16["status"] == "unfilled_values" and "agent_id" in h16["reason"]
    run(2 * 86400, step=3600)
    with session_scope(app) as s:
        assert s.scalars(select(Attempt)).all() == []


def test_h16_rule_picks_up_returned_orders_set_by_others(app, sim, run):
    """Another part only sets ``work_order_returned_at``: the rule schedules the call-back itself."""
    case_id = new_case(app, "repair", work_order_returned_at=utcnow(app))
    run(60, step=30)
    with session_scope(app) as s:
        [contact] = s.scalars(select(Contact).where(Contact.case_id == case_id)).all()
        assert s.get(Campaign, contact.campaign_id).system_rule == "H16"
        assert contact.next_attempt_at == followup_callbacks.repair_callback_due(
            app.config["HOTLINE"], s.get(Case, case_id).work_order_returned_at)
    assert get_case(app, case_id).outcome["h16_callback"]["status"] == "scheduled"


def test_h17_complaint_called_back_until_satisfied(app, sim, run):
    run(until_local(app, 10), step=1800)
    sim.set_behaviour(PHONE, Behaviour(answer="human", answer_after_s=2, press=["1", "2"]))
    case_id = new_case(app, "complaint")
    run(3600, step=600)
    with session_scope(app) as s:
        assert s.query(Attempt).count() == 0  # not replied yet: nothing to call back about
        s.get(Case, case_id).replied_at = utcnow(app)
    run(300, step=5)
    history = get_case(app, case_id).outcome["h17_callbacks"]
    assert [h["satisfied"] for h in history] == [False]
    sim.set_behaviour(PHONE, Behaviour(answer="human", answer_after_s=2, press=["1", "1"]))
    run(23 * 3600, step=1800)
    assert len(get_case(app, case_id).outcome["h17_callbacks"]) == 1
    run(3600 + 1800, step=1800)
    run(300, step=5)
    case = get_case(app, case_id)
    assert [h["satisfied"] for h in case.outcome["h17_callbacks"]] == [False, True]
    assert case.outcome["h17_satisfied"] is True
    run(3 * 86400, step=3600)
    assert len(get_case(app, case_id).outcome["h17_callbacks"]) == 2


def test_record_callback_result_by_an_agent(app):
    case_id = new_case(app, "complaint", status=CaseStatus.RESOLVED)
    with session_scope(app) as s:
        case = s.get(Case, case_id)
        followup_records.record_callback_result(s, app.config["HOTLINE"], case, "不满意", note="还是吵")
        followup_records.record_callback_result(s, app.config["HOTLINE"], case, "基本满意")
    case = get_case(app, case_id)
    assert [h["satisfied"] for h in case.outcome["h17_callbacks"]] == [False, True]
    assert case.outcome["h17_satisfied"] is True


def test_h9_queue_call_back_is_placed_by_routing_from_the_tick(app, sim, make_user):
    user, _ = make_user("alice", endpoint="client:alice")
    sim.set_behaviour("client:alice", Behaviour(answer="human", answer_after_s=1))
    sim.set_behaviour(PHONE, Behaviour(answer="human", answer_after_s=2, hangup_after_s=5))
    with session_scope(app) as s:
        set_presence(s, s.get(User, user.id), Presence.AVAILABLE)
    announce(app, user.id, Presence.AVAILABLE)
    with session_scope(app) as s:
        s.add(CallbackRequest(phone=PHONE, reason="queue", original_joined_at=utcnow(app), requested_at=utcnow(app)))
    sim.advance(1)
    report = engine.tick(app)
    sim.advance(1)
    with session_scope(app) as s:
        request = s.scalar(select(CallbackRequest))
        assert request.status != "pending" or request.attempts > 0, (request.status, report)
