"""The desk end to end on the simulator: presence, the ringing leg answered from the
console, the live call card, the transcript with flags and the lead's alert."""

from __future__ import annotations

from sqlalchemy import select

from agent_console.models import Utterance
from core.alerts import Alert
from core.models import Presence, User
from tests.console.conftest import FORBIDDEN, connect, ring


def test_available_agent_is_rung_in_the_console_and_sees_the_card(app, sim, desk, caller, db):
    alice = desk("alice")
    assert alice.post("/console/api/presence", {"state": "available"}).status_code == 200
    sid = caller("+8613812345678", press=["1"])
    state = ring(sim, alice)
    assert state["call"]["ringing"] and state["call"]["caller"]["phone"] == "138****5678"
    state = connect(sim, alice)
    card = state["call"]
    assert card["call_sid"] == sid and card["menu_option"] == "repair" and not card["ended"]
    assert card["menu_label"]["zh-CN"] and card["wait_s"] is not None
    assert state["presence"]["state"] == Presence.BUSY
    assert "13812345678" not in str(state)  # H25: masked for agents


def test_agent_speech_is_transcribed_checked_and_alerts_the_lead(app, sim, desk, caller, db):
    alice = desk("alice")
    lead = desk("lin", role="lead")
    alice.post("/console/api/presence", {"state": "available"})
    caller(press=["1"], utterances=[(1, "你好,我家厨房水管漏水了")])
    state = connect(sim, alice)
    assert alice.post("/console/api/speak", {"text": FORBIDDEN}).status_code == 200
    sim.advance(3)
    rows = db.scalars(select(Utterance).order_by(Utterance.id)).all()
    spoken = {(u.speaker, u.text) for u in rows if u.final}
    assert ("caller", "你好,我家厨房水管漏水了") in spoken and ("agent", FORBIDDEN) in spoken
    agent_row = next(u for u in rows if u.speaker == "agent" and u.final)
    assert agent_row.flags and agent_row.flags[0]["situation"] == "S1" and agent_row.flags[0]["alternatives"]
    assert agent_row.conversation_call_id == state["call"]["call_id"]
    transcript = alice.get(f"/console/api/calls/{state['call']['call_id']}/transcript").get_json()
    assert [u["speaker"] for u in transcript["utterances"]].count("agent") == 1
    alerts = lead.get("/console/api/lead/state").get_json()["alerts"]
    forbidden = [a for a in alerts if a["kind"] == "forbidden_phrase"]
    assert forbidden and forbidden[0]["agent"] == "alice" and forbidden[0]["text"] == FORBIDDEN
    assert db.scalar(select(Alert).where(Alert.kind == "forbidden_phrase")).agent_id == alice.user_id


def test_hang_up_goes_into_wrap_up_then_routing_frees_the_agent(app, sim, desk, caller, db):
    alice = desk("alice")
    alice.post("/console/api/presence", {"state": "available"})
    caller()
    connect(sim, alice)
    response = alice.post("/console/api/hangup")
    assert response.status_code == 200
    assert response.get_json()["presence"]["state"] == Presence.WRAP_UP
    assert response.get_json()["presence"]["wrap_up_ends_at"]
    sim.advance(5)
    state = alice.state()
    assert state["call"]["ended"]  # the card stays so a case can still be linked
    assert alice.post("/console/api/hangup").status_code == 409
    saved = alice.post("/console/api/cases", {"kind": "inquiry", "description": "问物业费", "answered": True,
                                              "call_id": state["call"]["call_id"]})
    assert saved.status_code == 201 and saved.get_json()["call_id"] == state["call"]["call_id"]


def test_desk_refuses_bad_presence_and_answers_nothing_ringing(desk):
    alice = desk("alice")
    assert alice.post("/console/api/presence", {"state": "sleeping"}).status_code == 400
    assert alice.post("/console/api/answer", {}).status_code == 409
    assert alice.post("/console/api/speak", {"text": "hi"}).status_code == 409
    assert alice.post("/console/api/manager").status_code == 409
    assert alice.state()["call"] is None


def test_sign_in_registers_the_agent_phone_with_the_simulator(app, sim, desk, db):
    desk("alice")
    assert sim.behaviours["client:alice"].answer == "manual"
    assert db.scalar(select(User).where(User.name == "alice")).presence == Presence.AWAY


def test_a_caller_who_waited_past_three_rings_gets_the_apology_opener(app, sim, desk, caller):
    alice = desk("alice")
    caller(press=["1"])
    sim.advance(30 + app.config["HOTLINE"].answer.threshold_s + 5)  # in line, nobody available (H2)
    alice.post("/console/api/presence", {"state": "available"})
    card = connect(sim, alice)["call"]
    assert card["over_threshold"] and card["wait_s"] > app.config["HOTLINE"].answer.threshold_s
    assert card["apology"].startswith("非常抱歉,今天咨询的客户比较多")


def test_the_card_shows_previous_calls_and_open_cases(app, sim, desk, caller, db):
    from core.cases import open_case
    from core.db import session_scope
    from core.models import Caller

    with session_scope(app) as s:
        known = Caller(phone="+8613812345678", surname="王", title="先生", district="南山区")
        s.add(known)
        s.flush()
        open_case(s, app.config["HOTLINE"], kind="repair", description="阳台漏水", caller_id=known.id)
    alice = desk("alice")
    alice.post("/console/api/presence", {"state": "available"})
    first = caller("+8613812345678")
    connect(sim, alice)
    alice.post("/console/api/hangup")
    sim.advance(app.config["HOTLINE"].routing.wrap_up_s + 5)
    alice.post("/console/api/presence", {"state": "available"})
    second = caller("+8613812345678")
    card = connect(sim, alice)["call"]
    assert card["call_sid"] == second and card["title_text"] == "王先生" and card["caller"]["district"] == "南山区"
    assert [c["id"] for c in card["caller"]["previous_calls"]] and card["caller"]["open_cases"][0]["description"] == "阳台漏水"
    assert first != second


def test_a_lead_reveals_the_callers_number_on_the_card_and_it_is_audited(app, sim, desk, caller, db):
    from core.models import AuditLog

    lin = desk("lin", role="lead")
    lin.post("/console/api/presence", {"state": "available"})
    caller("+8613812345678")
    card = connect(sim, lin)["call"]
    assert card["caller"]["phone"] == "138****5678"
    revealed = lin.post("/console/api/reveal", {"caller_id": card["caller"]["id"]})
    assert revealed.get_json() == {"number": "+8613812345678"}
    audit = db.scalar(select(AuditLog).where(AuditLog.action == "reveal_number"))
    assert audit.user_id == lin.user_id and audit.target == f"caller:{card['caller']['id']}"
    assert lin.post("/console/api/reveal", {}).status_code == 400


def test_caller_details_are_corrected_only_on_ones_own_call(app, desk, db):
    from core.db import session_scope
    from core.models import Call, Caller

    alice, bob = desk("alice"), desk("bob")
    with session_scope(app) as s:
        s.add(Call(call_sid="CAlive", purpose="caller", agent_id=alice.user_id, status="in-progress",
                   caller=Caller(phone="+8613812345678")))
    caller_id = alice.state()["call"]["caller"]["id"]
    assert bob.post(f"/console/api/callers/{caller_id}", {"surname": "王"}).status_code == 403
    assert alice.post(f"/console/api/callers/{caller_id}", {"surname": 5}).get_json()["field"] == "surname"
    assert alice.post(f"/console/api/callers/{caller_id}", {"title": "x" * 21}).status_code == 400
    assert alice.post("/console/api/callers/999", {"surname": "王"}).status_code == 404
    ok = alice.post(f"/console/api/callers/{caller_id}", {"surname": " 王 ", "title": "先生", "district": "南山区"})
    assert ok.get_json() == {"id": caller_id, "surname": "王", "title": "先生", "district": "南山区"}
    assert alice.state()["call"]["title_text"] == "王先生"
