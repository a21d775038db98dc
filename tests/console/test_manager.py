"""H11: one click is a cold transfer to an available lead on the call's conference
(«请您稍等并不要挂断电话,现在为您转接管理人员»), or opens a manager call-back case; never a
dead end, always audited."""

from __future__ import annotations

from sqlalchemy import select

from core.db import session_scope
from core.models import AuditLog, CallbackRequest, Case, CaseKind, Presence, User
from ivr.bridge_control import hold_twiml
from tests.console.conftest import connect
from tests.twiml import parse, texts

# the library's manager_hold line, the words the caller heard before it moved there (H11)
HOLD = {"zh-CN": "请您稍等并不要挂断电话。", "en": "Please hold and do not hang up."}


def test_the_caller_on_hold_for_the_lead_hears_the_transfer_line(app):
    """A cold transfer to the lead: the hold URL says «…现在为您转接管理人员» (the library's
    manager_transfer line), then hold audio; an unknown line falls back to the hold line."""
    settings = app.config["HOTLINE"]
    root = parse(str(hold_twiml(settings, "zh-CN", None, None, line="manager_transfer")))
    assert texts(root)[0] == "请您稍等并不要挂断电话,现在为您转接管理人员。"
    assert texts(parse(str(hold_twiml(settings, "en", None, None, line="menu")))) == [HOLD["en"]]


def test_no_lead_available_opens_a_manager_callback(app, sim, desk, caller, db):
    alice = desk("alice")
    alice.post("/console/api/presence", {"state": "available"})
    caller("+8613812345678")
    connect(sim, alice)
    response = alice.post("/console/api/manager")
    assert response.status_code == 200
    out = response.get_json()
    assert out["outcome"] == "callback" and out["case_ref"] and out["say"]
    case = db.scalar(select(Case).where(Case.kind == CaseKind.MANAGER_CALLBACK))
    assert case.ref == out["case_ref"] and case.contact_number == "+8613812345678" and case.call_id
    request = db.scalar(select(CallbackRequest).where(CallbackRequest.reason == "manager"))
    assert request.phone == "+8613812345678" and request.case_id == case.id
    assert db.scalar(select(AuditLog).where(AuditLog.action == "manager_callback")).user_id == alice.user_id


def test_available_lead_gets_the_call_by_a_cold_transfer(app, sim, desk, caller, db):
    alice = desk("alice")
    lin = desk("lin", role="lead")
    alice.post("/console/api/presence", {"state": "available"})
    sid = caller("+8613812345678")
    connect(sim, alice)
    lin.post("/console/api/presence", {"state": "available"})
    out = alice.post("/console/api/manager").get_json()
    assert out["outcome"] == "transfer" and out["lead"] == "lin"
    assert db.scalar(select(AuditLog).where(AuditLog.action == "manager_transfer")).target == sid

    def lead_rings() -> bool:
        return bool(lin.state().get("ringing_leg"))

    assert sim.run_until(lead_rings, max_seconds=30)
    said = [e.get("text") or "" for e in sim.timeline(sid) if e["verb"] == "say"]
    assert any("请您稍等并不要挂断电话" in text for text in said)  # the caller is told to hold (H11)
    ring = lin.state()
    assert ring["call"]["call_sid"] == sid and ring["call"]["caller"]["phone"] == "138****5678"
    assert lin.post("/console/api/answer", {"leg_sid": ring["ringing_leg"]}).status_code == 200
    assert sim.run_until(lambda: bool(lin.state()["call"]["answered_at"]), max_seconds=30)
    sim.advance(2)
    assert sim.hears(sid) == {ring["ringing_leg"]}  # off hold, talking with the lead (the agent left)
    with session_scope(app) as s:
        assert s.get(User, alice.user_id).presence == Presence.WRAP_UP  # the agent's leg is free
        assert s.get(User, lin.user_id).presence == Presence.BUSY
    assert lin.post("/console/api/hangup").status_code == 200
    sim.advance(5)
    with session_scope(app) as s:
        assert s.get(User, lin.user_id).presence == Presence.WRAP_UP
    assert db.scalar(select(Case).where(Case.kind == CaseKind.MANAGER_CALLBACK)) is None


def test_lead_who_does_not_answer_means_a_callback_case(app, sim, desk, caller, db):
    alice = desk("alice")
    lin = desk("lin", role="lead")
    alice.post("/console/api/presence", {"state": "available"})
    sid = caller("+8613812345678")
    connect(sim, alice)
    lin.post("/console/api/presence", {"state": "available"})
    assert alice.post("/console/api/manager").get_json()["outcome"] == "transfer"
    sim.advance(app.config["HOTLINE"].routing.agent_answer_timeout_s + 10)
    case = db.scalar(select(Case).where(Case.kind == CaseKind.MANAGER_CALLBACK))
    assert case is not None and "did not answer" in case.description
    with session_scope(app) as s:
        assert s.get(User, lin.user_id).presence == Presence.AWAY
    said = [e.get("text") or "" for e in sim.timeline(sid) if e["verb"] == "say"]
    assert any("管理人员" in t and "回电" in t for t in said)


def test_transfer_webhooks_never_fail_on_bad_input(twilio_post):
    for path in ("/ivr/transfer/unavailable", "/ivr/transfer/queue?skill=x", "/ivr/transfer/queue",
                 "/ivr/transfer/status?target=99999&n=1&call=CAx", "/ivr/transfer/status?target=abc"):
        response = twilio_post(path, CallSid="CAnone")
        assert response.status_code == 200 and b"<Response" in response.data
