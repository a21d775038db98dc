"""Whole calls through the simulator (manual clock): greeting, menu by key and by speech,
emergency priority (H5), reassurance every 30 s (H3), call-backs that keep their
place (H9), abandoned callers, routing strategies, the agent's leg."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from core.db import session_scope
from core.models import (
    CallbackRequest,
    CallbackStatus,
    Caller,
    Case,
    CaseKind,
    Presence,
    QueueEntry,
    QueueStatus,
    User,
)
from core.presence import announce, set_presence
from ivr.models import Offer, OfferStatus
from tests.ivr.conftest import CALLERS, call_row, entry_of, events, says, set_state, verbs_of


def bridged(sim: Any, sid: str) -> bool:
    return any(e["verb"] == "bridged" for e in sim.timeline(sid))


def bridged_at(sim: Any, sid: str) -> float | None:
    return next((e["t"] for e in sim.timeline(sid) if e["verb"] == "bridged"), None)


def offers(app: Any) -> list[tuple[str, str, str]]:
    """(caller CallSid, agent name, status) of every offer, in order."""
    with session_scope(app) as s:
        rows = s.execute(select(Offer.caller_call_sid, User.name, Offer.status).join(User, Offer.agent_id == User.id)
                         .order_by(Offer.id)).all()
        return [tuple(r) for r in rows]


# -- greeting (H1) and locale ------------------------------------------------------------------

def test_greeting_in_chinese_by_default(app, sim, place):
    sid = place(hangup_after_s=4)
    sim.run_until_idle()
    timeline = sim.timeline(sid)
    assert says(timeline)[0][1] == "您好!SCC顺创客服部,请问有什么可以帮到你?"
    say = next(e for e in timeline if e["verb"] == "say")
    assert say.get("language") in (None, "cmn-CN")
    assert ("greeted", {"locale": "zh-CN", "text": "您好!SCC顺创客服部,请问有什么可以帮到你?"}) in events(app, sid)


def test_english_chosen_by_key_and_remembered_for_the_next_call(app, sim, place):
    first_sid = place(press=["9"], hangup_after_s=40)
    sim.run_until_idle()
    texts = [t for _, t in says(sim.timeline(first_sid))]
    assert texts[0].startswith("您好!SCC顺创")
    assert any(t.startswith("Hello! SCC Shunchuang") for t in texts[1:])  # H1 in English
    with session_scope(app) as s:
        assert s.scalar(select(Caller.locale).where(Caller.phone == CALLERS[0])) == "en"
    second_sid = place(hangup_after_s=4)
    sim.run_until_idle()
    assert says(sim.timeline(second_sid))[0][1].startswith("Hello! SCC Shunchuang")
    assert call_row(app, second_sid).locale == "en"


# -- the menu: keys, speech, fuzzy speech, reprompts -------------------------------------------

def test_dtmf_repair_reaches_an_agent(app, sim, place, agent):
    agent("alice")
    sid = place(press=["1"])
    sim.run_until_idle()
    assert bridged(sim, sid)
    row = call_row(app, sid)
    assert row.menu_option == "repair" and row.queue_result == "bridged" and row.answered_at is not None
    kinds = [k for k, _ in events(app, sid)]
    for kind in ("greeted", "menu", "menu_choice", "enqueued", "offered", "agent_answered", "connected"):
        assert kind in kinds


@pytest.mark.parametrize(("spoken", "option"), [("我要投诉", "complaint"), ("我想交物业费", "fees")])
def test_spoken_menu_choice(app, sim, place, agent, spoken, option):
    agent("alice")
    sid = place(say=[spoken])
    sim.run_until_idle()
    assert call_row(app, sid).menu_option == option
    choice = next(d for k, d in events(app, sid) if k == "menu_choice")
    assert choice["how"] == "said" and choice["speech"] == spoken
    assert bridged(sim, sid)


def test_fuzzy_spoken_choice_burst_pipe_is_an_emergency(app, sim, place, agent):
    # "暴" misheard for "爆": rapidfuzz still finds 水管爆了 → emergency (H5).
    agent("alice")
    sid = place(say=["我家的水管暴了"])
    sim.run_until_idle()
    row = call_row(app, sid)
    assert row.menu_option == "emergency" and row.priority > 0
    choice = next(d for k, d in events(app, sid) if k == "menu_choice")
    assert 70 <= choice["score"] < 100
    texts = [t for _, t in says(sim.timeline(sid))]
    assert any("119" in t and "110" in t for t in texts)  # H5: emergency numbers read out


def test_silence_reprompts_twice_then_goes_to_an_agent(app, sim, place, agent):
    agent("alice")
    sid = place()
    sim.run_until_idle()
    kinds = [k for k, _ in events(app, sid)]
    assert kinds.count("menu") == 3  # the menu and two reprompts
    assert kinds.count("menu_no_match") == 3
    assert call_row(app, sid).menu_option == "inquiry"
    assert bridged(sim, sid)


# -- emergency priority (H5) -------------------------------------------------------------------

def test_emergency_caller_jumps_ahead_of_three_waiting_callers(app, sim, place, agent):
    alice = agent("alice", state="away")  # logged in, not free: callers wait
    waiting = []
    for i in range(3):
        waiting.append(place(CALLERS[i], press=["1"], talk_s=10))
        sim.advance(2)
    sim.advance(30)  # greeting + menu take about 20 s: all three are in line
    urgent = place(CALLERS[5], press=["0"], talk_s=10)
    sim.advance(45)
    # The urgent caller hears position 1 although Twilio's FIFO puts them 4th.
    urgent_says = [t for _, t in says(sim.timeline(urgent))]
    assert any("第1位" in t for t in urgent_says)
    assert entry_of(app, urgent).priority > entry_of(app, waiting[0]).priority
    set_state(app, alice, "available")
    sim.run_until_idle()
    served = [o[0] for o in offers(app) if o[2] == OfferStatus.DONE]
    assert served == [urgent, *waiting]
    assert all(bridged(sim, sid) for sid in served)


# -- reassurance every 30 s (H3) ---------------------------------------------------

@pytest.mark.parametrize(("press", "marker", "position"), [
    (["1"], "第", "第2位"),
    (["9", "1"], "number", "number 2"),
])
def test_caller_waiting_95_s_is_reassured_about_every_30_s(app, sim, place, agent, press, marker, position):
    agent("alice", state="away")
    ahead = place(CALLERS[1], press=["1"], hangup_after_s=300)
    sim.advance(5)
    sid = place(CALLERS[2], press=press, hangup_after_s=300)
    sim.advance(45)
    joined = next(e["t"] for e in sim.timeline(sid) if e["verb"] == "enqueue")
    sim.advance(95 - (45 - joined))
    reassurances = [(t - joined, text) for t, text in says(sim.timeline(sid)) if t >= joined and marker in text]
    times = [t for t, _ in reassurances]
    # One on joining, then ~30, ~60, ~90 s: never more than 30 s apart, never much less.
    assert len(times) >= 4 and times[0] < 1
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(28.5 <= g <= 30.05 for g in gaps), times
    assert any(85 <= t <= 91 for t in times), times
    assert all(position in text and ("分钟" in text or "minute" in text) for _, text in reassurances)
    entry = entry_of(app, sid)
    assert entry.reassurances >= 4 and entry.first_announced_wait_s and entry.last_announced_wait_s
    assert ahead


def test_reassurance_is_english_for_english_callers(app, sim, place, agent):
    agent("alice", state="away")
    sid = place(press=["9", "1"], hangup_after_s=60)
    sim.advance(60)
    texts = [t for _, t in says(sim.timeline(sid))]
    assert any("You are number 1" in t and "minute" in t for t in texts)


# -- call-backs keep their place (H9) ----------------------------------------------------------

def test_callback_accepted_keeps_place_and_is_placed_when_an_agent_frees(app, sim, place, agent):
    from core.telephony.simulator import Behaviour

    alice = agent("alice", state="away")
    first = place(CALLERS[1], press=["1"], talk_s=30)
    sim.advance(10)
    leaver = place(CALLERS[2], press=["1", "1"])  # presses 1 again at the first reassurance
    sim.set_behaviour(CALLERS[2], Behaviour(answer="human", answer_after_s=3))
    sim.advance(20)
    later = place(CALLERS[3], press=["1"], talk_s=30)
    sim.advance(60)
    # The caller left the line (<Leave>), heard the confirmation and hung up.
    leaver_verbs = verbs_of(sim.timeline(leaver))
    assert "leave" in leaver_verbs
    assert sim.call(leaver)["ended"]
    entry = entry_of(app, leaver)
    assert entry.status == QueueStatus.CALLBACK
    with session_scope(app) as s:
        request = s.scalar(select(CallbackRequest).where(CallbackRequest.phone == CALLERS[2]))
        assert request.status == CallbackStatus.PENDING
        assert request.original_joined_at == entry.place_at  # keeps its place in line
    assert call_row(app, leaver).queue_result == "leave"

    # Order: the first caller, then the call-back (it joined before `later`), then `later`.
    set_state(app, alice, "available")
    sim.run_until_idle()
    with session_scope(app) as s:
        request = s.scalar(select(CallbackRequest).where(CallbackRequest.phone == CALLERS[2]))
        assert request.status == CallbackStatus.DONE and request.call_sid
        callback_sid = request.call_sid
    assert bridged(sim, first) and bridged(sim, callback_sid) and bridged(sim, later)
    order = [o[0] for o in offers(app) if o[2] == OfferStatus.DONE]
    assert order == [first, callback_sid, later]
    intro = [t for _, t in says(sim.timeline(callback_sid))]
    assert any("回电" in t for t in intro)  # H20: says who is calling


def test_one_pending_callback_per_number(app, sim, place, agent):
    agent("alice", state="away")
    place(CALLERS[2], press=["1", "1"])
    sim.advance(60)
    place(CALLERS[2], press=["1", "1"])
    sim.advance(60)
    with session_scope(app) as s:
        count = s.scalar(select(func.count()).select_from(CallbackRequest)
                         .where(CallbackRequest.phone == CALLERS[2],
                                CallbackRequest.status == CallbackStatus.PENDING))
    assert count == 1


def test_no_more_callbacks_in_flight_than_free_agents(app, sim, place, agent):
    from core.telephony.simulator import Behaviour

    alice = agent("alice", state="away")
    for i in range(3):
        sim.set_behaviour(CALLERS[10 + i], Behaviour(answer="no-answer"))
        place(CALLERS[10 + i], press=["1", "1"])
        sim.advance(5)
    sim.advance(60)
    set_state(app, alice, "available")
    sim.advance(5)
    with session_scope(app) as s:
        dialing = s.scalar(select(func.count()).select_from(CallbackRequest)
                           .where(CallbackRequest.status == CallbackStatus.DIALING))
    assert dialing == 1


# -- abandoned callers -------------------------------------------------------------------------

def test_abandoned_caller_is_recorded_with_a_recovery_callback_case(app, sim, place, agent):
    agent("alice", state="away")
    sid = place(press=["1"], hangup_after_s=60)
    sim.advance(80)
    entry = entry_of(app, sid)
    assert entry.status == QueueStatus.ABANDONED and entry.ended_at is not None
    row = call_row(app, sid)
    assert row.queue_result == "hangup" and row.wait_s and row.wait_s > 20
    with session_scope(app) as s:
        request = s.scalar(select(CallbackRequest).where(CallbackRequest.phone == CALLERS[0]))
        assert request is not None and request.reason == "abandoned"
        assert request.original_joined_at == entry.place_at
        case = s.get(Case, request.case_id)
        assert case.kind == CaseKind.RECOVERY and case.contact_number == CALLERS[0]


def test_short_abandon_gets_no_recovery(app, sim, place, agent):
    agent("alice", state="away")
    sid = place(press=["1"], hangup_after_s=27)  # in line at about 21 s
    sim.advance(40)
    assert entry_of(app, sid).status == QueueStatus.ABANDONED
    with session_scope(app) as s:
        assert s.scalar(select(func.count()).select_from(CallbackRequest)) == 0


# -- routing -----------------------------------------------------------------------------------

def test_agent_who_does_not_answer_is_set_away_and_the_next_is_tried(app, sim, place, agent):
    agent("slow", answer="no-answer")
    agent("bob")
    with session_scope(app) as s:  # make "slow" the longest idle
        s.scalar(select(User).where(User.name == "bob")).calls_handled = 1
    sid = place(press=["1"])
    sim.run_until_idle()
    assert bridged(sim, sid)
    with session_scope(app) as s:
        assert s.scalar(select(User.presence).where(User.name == "slow")) == Presence.AWAY
    assert [(o[1], o[2]) for o in offers(app)] == [("slow", OfferStatus.FAILED), ("bob", OfferStatus.DONE)]
    assert "agent_missed" in [k for k, _ in events(app, sid)]


def test_agent_goes_to_wrap_up_after_the_call(app, sim, place, agent):
    alice = agent("alice")
    place(press=["1"], talk_s=10)
    sim.advance(45)
    with session_scope(app) as s:
        user = s.get(User, alice)
        assert user.presence == Presence.WRAP_UP and user.calls_handled == 1


def test_no_agents_logged_in_offers_callback_instead_of_waiting(app, sim, place):
    sid = place(press=["1", "1"])
    sim.run_until_idle()
    kinds = [k for k, _ in events(app, sid)]
    assert "no_agents" in kinds and "enqueued" not in kinds
    with session_scope(app) as s:
        request = s.scalar(select(CallbackRequest).where(CallbackRequest.phone == CALLERS[0]))
        assert request is not None and request.status == CallbackStatus.PENDING


def test_no_agents_logged_in_caller_can_leave_a_message(app, sim, place):
    sid = place(press=["1"], say=["请回电给我"])
    sim.run_until_idle()
    assert "record" in verbs_of(sim.timeline(sid))
    with session_scope(app) as s:
        case = s.scalar(select(Case).where(Case.kind == CaseKind.MESSAGE))
        assert case is not None and case.contact_number == CALLERS[0]


@pytest.mark.parametrize("strategy", ["longest-idle", "round-robin", "fewest-calls"])
def test_two_agents_five_callers_in_strategy_order(make_app, strategy):
    from core.telephony.simulator import Behaviour, CallerScript

    app = make_app({"routing": {"strategy": strategy, "wrap_up_s": 0}})
    sim = app.extensions["simulator"]
    hotline = app.config["HOTLINE"].telephony.caller_id
    from core.db import utcnow
    from core.users import create_user

    ids = {}
    with session_scope(app) as s:
        for name, handled in (("ann", 5), ("ben", 0)):
            user, _t, _p = create_user(s, name, "agent", "password123", endpoint=f"client:{name}")
            user.calls_handled = handled
            ids[name] = user.id
        s.flush()
        s.get(User, ids["ben"]).last_call_ended_at = utcnow(app)  # ann is the longest idle
    for name in ids:
        sim.set_behaviour(f"client:{name}", Behaviour(answer="human", answer_after_s=2))
        set_state(app, ids[name], "away")  # logged in, not yet taking calls
    sids = []
    for i in range(5):
        sids.append(sim.place_inbound_call(CALLERS[i], hotline,
                                           caller=CallerScript(press=["1"], talk_s=20 + 15 * i)))
        sim.advance(1)
    sim.advance(30)  # all five are in line
    with session_scope(app) as s:  # both free at the same moment: the strategy picks
        for user_id in ids.values():
            set_presence(s, s.get(User, user_id), "available")
    for user_id in ids.values():
        announce(app, user_id, "available")
    sim.run_until_idle()
    done = [o for o in offers(app) if o[2] == OfferStatus.DONE]
    assert [o[0] for o in done] == sids  # callers are served in the order they joined
    agents = [o[1] for o in done]
    expected = {
        "longest-idle": ["ann", "ben"],  # ann never had a call; ben just finished one
        "round-robin": ["ann", "ben"],  # by id, then alternating
        "fewest-calls": ["ben", "ann"],  # ben handled none, ann five
    }[strategy]
    assert agents[:2] == expected
    if strategy == "round-robin":
        assert agents == ["ann", "ben", "ann", "ben", "ann"]
    if strategy == "fewest-calls":
        with session_scope(app) as s:
            handled = {u.name: u.calls_handled for u in s.scalars(select(User))}
        assert handled["ben"] >= 3  # keeps getting calls until it has as many as ann


def test_offer_rows_and_agent_leg(app, sim, place, agent):
    agent("alice")
    sid = place(press=["2"])
    sim.run_until_idle()
    with session_scope(app) as s:
        offer = s.scalar(select(Offer))
        assert offer.status == OfferStatus.DONE and offer.agent_call_sid
        assert offer.bridged_at is not None and offer.caller_call_sid == sid
        agent_sid = offer.agent_call_sid
        assert s.scalar(select(QueueEntry.status).where(QueueEntry.id == offer.queue_entry_id)) == "bridged"
    agent_timeline = sim.timeline(agent_sid)
    agent_verbs = verbs_of(agent_timeline)
    assert "dial" in agent_verbs and "bridged" in agent_verbs
    whisper = [t for _, t in says(agent_timeline)]
    assert whisper and "投诉" in whisper[0]


def test_agent_whisper_carries_the_apology_after_a_long_wait(app, sim, place, agent):
    # H2: a caller who waited longer than three rings gets the apology opener.
    alice = agent("alice", state="away")
    place(press=["1"])
    sim.advance(60)
    set_state(app, alice, "available")
    sim.run_until_idle()
    with session_scope(app) as s:
        agent_sid = s.scalar(select(Offer.agent_call_sid))
    whisper = " ".join(t for _, t in says(sim.timeline(agent_sid)))
    assert "报修" in whisper and "非常抱歉,今天咨询的客户比较多" in whisper
