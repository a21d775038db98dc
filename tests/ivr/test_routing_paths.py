"""Less common paths: a full line, a caller who gives up while the agent's phone rings,
call-back retries, another call-back number, the periodic dispatch job."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import session_scope
from core.models import CallbackRequest, CallbackStatus, Case, CaseKind, Presence, QueueStatus, User
from ivr import routing
from ivr.models import Offer, OfferStatus
from tests.ivr.conftest import CALLERS, entry_of, events, set_state, verbs_of


class TestFullLine:
    @pytest.fixture
    def app_overrides(self):
        return {"queue": {"max_size": 1}}

    def test_overflow_caller_hears_a_polite_message_and_can_leave_one(self, app, sim, place, agent):
        agent("alice", state="away")
        place(CALLERS[1], press=["1"], hangup_after_s=120)
        sim.advance(30)
        sid = place(CALLERS[2], press=["1"], say=["请尽快回电"])
        sim.advance(60)
        timeline = sim.timeline(sid)
        assert any("线路已满" in e.get("text", "") for e in timeline)
        assert "record" in verbs_of(timeline) and "enqueue" not in verbs_of(timeline)
        assert entry_of(app, sid).status == QueueStatus.OVERFLOW
        with session_scope(app) as s:
            assert s.scalar(select(Case).where(Case.kind == CaseKind.MESSAGE, Case.contact_number == CALLERS[2]))


def test_caller_hanging_up_while_the_agent_rings_frees_the_agent(app, sim, place, agent):
    alice = agent("alice", answer_after_s=12)
    sid = place(press=["1"], hangup_after_s=25)  # in line at about 21 s, agent would answer at ~33 s
    sim.advance(60)
    with session_scope(app) as s:
        offer = s.scalar(select(Offer))
        assert offer.status == OfferStatus.CANCELLED
        assert s.get(User, alice).presence == Presence.AVAILABLE
        agent_sid = offer.agent_call_sid
    assert sim.call(agent_sid)["status"] in ("canceled", "completed")
    assert not any(e["verb"] == "bridged" for e in sim.timeline(agent_sid))
    assert entry_of(app, sid).status == QueueStatus.ABANDONED


class TestCallbackRetries:
    @pytest.fixture
    def app_overrides(self):
        return {"callbacks": {"max_attempts": 2, "retry_backoff_s": 60, "ring_timeout_s": 10},
                "routing": {"wrap_up_s": 0}}

    def test_unanswered_callback_is_retried_then_becomes_a_case(self, app, sim, place, agent):
        from core.telephony.simulator import Behaviour

        alice = agent("alice", state="away")
        sim.set_behaviour(CALLERS[3], Behaviour(answer="no-answer"))
        place(CALLERS[3], press=["1", "1"])
        sim.advance(60)
        set_state(app, alice, "available")
        sim.advance(30)
        with session_scope(app) as s:
            request = s.scalar(select(CallbackRequest))
            assert request.status == CallbackStatus.PENDING and request.attempts == 1
            assert request.due_at is not None
            assert s.get(User, alice).presence == Presence.AVAILABLE  # released after no answer
        sim.advance(70)
        routing.dispatch_due(app)  # the scheduler's periodic job
        sim.advance(30)
        with session_scope(app) as s:
            request = s.scalar(select(CallbackRequest))
            assert request.status == CallbackStatus.FAILED and request.attempts == 2
            case = s.get(Case, request.case_id)
            assert case.kind == CaseKind.RECOVERY and case.contact_number == CALLERS[3]

    def test_machine_answer_is_not_connected(self, app, sim, place, agent):
        from core.telephony.simulator import Behaviour

        alice = agent("alice", state="away")
        sim.set_behaviour(CALLERS[4], Behaviour(answer="machine", answer_after_s=2))
        place(CALLERS[4], press=["1", "1"])
        sim.advance(60)
        set_state(app, alice, "available")
        sim.advance(30)
        with session_scope(app) as s:
            request = s.scalar(select(CallbackRequest))
            assert request.status == CallbackStatus.PENDING and request.attempts == 1
            assert "machine" in (request.note or "")
            assert s.scalar(select(func.count()).select_from(Offer).where(Offer.status == OfferStatus.DONE)) == 0


def test_callback_on_another_number_typed_on_the_keypad(app, sim, place, agent):
    agent("alice", state="away")
    sid = place(CALLERS[5], press=["1", "1", "2", "13900001234#"])
    sim.advance(120)
    with session_scope(app) as s:
        request = s.scalar(select(CallbackRequest))
        assert request.phone == "+8613900001234" and request.status == CallbackStatus.PENDING
    kinds = [k for k, _ in events(app, sid)]
    assert "callback_number" in kinds


def test_withheld_number_is_asked_for_one(app, sim, place, agent):
    agent("alice", state="away")
    place("anonymous", press=["1", "1", "13900005678#"])
    sim.advance(120)
    with session_scope(app) as s:
        request = s.scalar(select(CallbackRequest))
        assert request is not None and request.phone == "+8613900005678"


def test_dispatch_due_ends_wrap_up_and_places_a_pending_callback(app, sim, place, agent):
    from core.telephony.simulator import Behaviour

    alice = agent("alice", state="away")
    sim.set_behaviour(CALLERS[6], Behaviour(answer="human", answer_after_s=2))
    place(CALLERS[6], press=["1", "1"])
    sim.advance(60)
    set_state(app, alice, "wrap_up")
    sim.advance(40)  # longer than routing.wrap_up_s: nobody is waiting to notice
    with session_scope(app) as s:
        assert s.get(User, alice).presence == Presence.WRAP_UP
    routing.dispatch_due(app)
    sim.run_until_idle()
    with session_scope(app) as s:
        request = s.scalar(select(CallbackRequest))
        assert request.status == CallbackStatus.DONE
        assert s.scalar(select(Offer.status).order_by(Offer.id.desc())) == OfferStatus.DONE


def test_dispatch_never_offers_one_caller_twice(app, sim, place, agent):
    agent("alice", answer_after_s=10)
    agent("bob", answer_after_s=10)
    place(press=["1"])
    sim.advance(25)
    for _ in range(3):
        routing.dispatch(app)
    with session_scope(app) as s:
        assert s.scalar(select(func.count()).select_from(Offer)) == 1


def test_manager_callback_goes_to_a_lead_never_to_an_agent(app, sim, agent):
    """H11: a caller who asked for a manager is called back by a team lead."""
    from core.db import utcnow

    alice = agent("alice")  # an agent with no skills: serves every menu option
    with session_scope(app) as s:
        s.add(CallbackRequest(phone=CALLERS[5], reason="manager", skill=routing.MANAGER_SKILL,
                              status=CallbackStatus.PENDING, original_joined_at=utcnow(app)))
    routing.dispatch(app)
    sim.advance(5)
    with session_scope(app) as s:
        assert s.scalar(select(func.count()).select_from(Offer)) == 0
        assert s.get(User, alice).presence == Presence.AVAILABLE
    lin = agent("lin", role="lead")
    routing.dispatch(app)
    sim.advance(5)
    with session_scope(app) as s:
        offer = s.scalar(select(Offer))
        assert offer is not None and offer.agent_id == lin
