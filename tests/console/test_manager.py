"""H11: one click transfers to an available lead («请您稍等并不要挂断电话»),
or opens a manager call-back case; never a dead end, always audited."""

from __future__ import annotations

from sqlalchemy import select

from agent_console.transfer import transfer_twiml
from core.db import session_scope
from core.models import AuditLog, CallbackRequest, Case, CaseKind, Presence, User
from tests.console.conftest import connect
from tests.twiml import first, parse, texts, verbs

# the library's manager_hold line, the words the caller heard before it moved there (H11)
HOLD = {"zh-CN": "请您稍等并不要挂断电话。", "en": "Please hold and do not hang up."}


def test_transfer_twiml_holds_transcribes_and_dials_the_lead(app):
    settings = app.config["HOTLINE"]
    root = parse(str(transfer_twiml(settings, "zh-CN", "client:lin", action="https://h/done", status="https://h/st",
                                    transcription="https://h/ivr/transcription", timeout_s=15)))
    assert verbs(root) == ["Say", "Start", "Dial"] and texts(root) == [HOLD["zh-CN"]]
    assert "请您稍等并不要挂断电话" in HOLD["zh-CN"]
    assert first(root, "Transcription").get("statusCallbackUrl") == "https://h/ivr/transcription"
    dial = first(root, "Dial")
    assert dial.get("action") == "https://h/done" and dial.get("timeout") == "15"
    client = first(root, "Client")
    assert client.text == "lin" and client.get("statusCallback") == "https://h/st"
    number = parse(str(transfer_twiml(settings, "en", "+8613900000000", action="a", status="s", transcription="t",
                                      timeout_s=15)))
    assert first(number, "Number").text == "+8613900000000" and texts(number) == [HOLD["en"]]


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


def test_available_lead_gets_a_warm_transfer(app, sim, desk, caller, db):
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
    said = [e.get("text") for e in sim.timeline(sid) if e["verb"] == "say"]
    assert HOLD["zh-CN"] in said  # the caller is told to hold (H11)
    ring = lin.state()
    assert ring["call"]["call_sid"] == sid and ring["call"]["caller"]["phone"] == "138****5678"
    assert lin.post("/console/api/answer", {"leg_sid": ring["ringing_leg"]}).status_code == 200
    assert sim.run_until(lambda: bool(lin.state()["call"]["answered_at"]), max_seconds=30)
    sim.advance(2)
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
    for path in ("/ivr/transfer/manager", "/ivr/transfer/manager?lead=x",
                 "/ivr/transfer/manager/done?lead=99999", "/ivr/transfer/manager/status?lead=abc"):
        response = twilio_post(path, CallSid="CAnone")
        assert response.status_code == 200 and b"<Response" in response.data
