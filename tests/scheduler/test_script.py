"""Automated calls speak the script in the H20 order and collect keypad/speech answers (H18/H19);
agent-assisted calls join the line with a case preview; webhooks are signed and never 500."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import session_scope
from core.models import Call, Case, QueueEntry
from core.telephony.simulator import Behaviour
from scheduler import script_answers, script_wording
from scheduler.models import Attempt
from tests.twiml import parse, verbs

from .conftest import NUMBERS, attempts, contacts


def said(sim, call_sid):
    return [e["text"] for e in sim.timeline(call_sid) if e["verb"] == "say"]


def test_h20_order_identify_convenient_answer_close(app, sim, make_campaign, run):
    number = NUMBERS[0]
    sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=2, press=["1", "1", "1"]))
    cid = make_campaign([number], agent_code="1024", agent_surname="王",
                        context={"result": "维修师傅已更换水管"},
                        csv_columns={"title": "李先生", "date": "11月20日", "issue": "厨房漏水"})
    run(120, step=1)
    [attempt] = attempts(app, cid)
    lines = said(sim, attempt.call_sid)
    expected = ["您好,请问是李先生吗?",
                "您好!我是SCC顺创的客服专员,工号:1024,我姓王。",
                "请问您现在方便接听电话吗?",
                "您曾经在11月20日致电我们反映了厨房漏水,关于这个问题,我们已经有跟进结果了,维修师傅已更换水管。",
                "请问您对这个问题是否已经清楚了?",
                "如果日后有任何问题,欢迎随时致电服务部,我的工号是1024,再见!"]
    hint = "是请按1,不是请按2。"
    assert lines[1] == hint + script_wording.text(app.config["HOTLINE"], "outbound_optout_hint", "zh-CN")  # once, first
    spoken = [line for line in lines if not line.endswith(("请按2。", "请按9。"))]  # keypad hints
    assert spoken == expected
    [contact] = contacts(app, cid)
    assert contact.status == "completed" and contact.outcome == {"identity_verified": True, "outbound_confirm": True}
    assert sim.timeline(attempt.call_sid)[-1]["verb"] in ("hangup", "completed", "status")


def test_survey_by_keypad_and_speech(app, sim, make_campaign, run):
    keypad, speech = NUMBERS[0], NUMBERS[1]
    sim.set_behaviour(keypad, Behaviour(answer="human", answer_after_s=2, press=["1", "1", "1", "4", "3"]))
    sim.set_behaviour(speech, Behaviour(answer="human", answer_after_s=2,
                                        say=["是的", "方便", "非常满意", "不太满意", "还行吧"]))
    cid = make_campaign([keypad, speech], purpose="survey", agent_code="1024")
    run(240, step=1)
    outcome = {c.phone: c.outcome for c in contacts(app, cid)}
    answers = ("survey_timeliness", "survey_attitude", "survey_quality")
    assert [outcome[keypad][k] for k in answers] == ["很满意", "不满意", "基本满意"]
    assert [outcome[speech][k] for k in answers] == ["很满意", "不满意", "基本满意"]


def test_not_convenient_is_called_again_another_time(app, sim, make_campaign, run):
    number = NUMBERS[0]
    sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=2, press=["1", "2"]))
    cid = make_campaign([number], retry_backoff_s=600)
    run(60, step=1)
    [attempt] = attempts(app, cid)
    assert attempt.result == "reschedule"
    assert said(sim, attempt.call_sid)[-1] == script_wording.DEFAULTS["zh-CN"]["outbound_retry_later"]
    [contact] = contacts(app, cid)
    assert contact.status == "pending" and "not convenient" in contact.reason
    sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=2, press=["1", "1", "1"]))
    run(700, step=5)
    assert [a.result for a in attempts(app, cid)] == ["reschedule", "answered"]


def test_wrong_person_ends_politely_and_is_not_called_again(app, sim, make_campaign, run):
    number = NUMBERS[0]
    sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=2, say=["不是,你打错了"]))
    cid = make_campaign([number], retry_backoff_s=10)
    run(120, step=1)
    [attempt] = attempts(app, cid)
    assert attempt.result == "wrong_person"
    [contact] = contacts(app, cid)
    assert contact.status == "completed" and contact.result == "wrong_person"


def test_not_clear_opens_a_follow_up_case_under_the_original(app, sim, make_campaign, run):
    from core.cases import open_case

    with session_scope(app) as s:
        case = open_case(s, app.config["HOTLINE"], kind="complaint", description="噪音扰民",
                         contact_number=NUMBERS[0])
        ref = case.ref
    sim.set_behaviour(NUMBERS[0], Behaviour(answer="human", answer_after_s=2, press=["1", "1", "2"]))
    cid = make_campaign([NUMBERS[0]], csv_columns={"case_ref": ref})
    run(150, step=1)
    with session_scope(app) as s:
        original = s.scalar(select(Case).where(Case.ref == ref))
        follow = s.scalar(select(Case).where(Case.parent_case_id == original.id))
        assert follow is not None and follow.kind == "follow_up" and follow.source == "campaign"
        assert original.outcome[f"campaign_{cid}"]["answers"]["outbound_confirm"] is False


def test_silence_is_asked_twice_then_retried_later(app, sim, make_campaign, run):
    number = NUMBERS[0]
    sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=2))
    cid = make_campaign([number], retry_backoff_s=3600)
    run(90, step=1)
    [attempt] = attempts(app, cid)
    lines = said(sim, attempt.call_sid)
    assert lines.count("您好,请问是机主吗?") == 2 and script_wording.DEFAULTS["zh-CN"]["no_input"] in lines
    assert attempt.result == "no_response"
    [contact] = contacts(app, cid)
    assert contact.status == "pending" and contact.next_attempt_at is not None


def test_agent_assisted_contact_joins_the_line_with_a_case_preview(app, sim, make_campaign, run, agent):
    number = NUMBERS[0]
    sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=2, hangup_after_s=20))
    agent("alice")  # dialed one call per free agent: someone must be free to take it
    cid = make_campaign([number], mode="agent_assisted", csv_columns={"name": "王先生", "note": "上次投诉噪音"})
    run(15, step=1)
    [attempt] = attempts(app, cid)
    with session_scope(app) as s:
        call = s.scalar(select(Call).where(Call.call_sid == attempt.call_sid))
        assert call.purpose == "campaign" and call.extra["preview"]["note"] == "上次投诉噪音"
        entry = s.scalar(select(QueueEntry).where(QueueEntry.call_id == call.id))
        assert entry is not None and entry.priority > 0
    assert any(e["verb"] == "enqueue" for e in sim.timeline(attempt.call_sid))


def test_webhooks_need_a_signature_and_survive_bad_input(app, client, twilio_post):
    assert client.post("/ivr/outbound/answer?attempt=1", data={"CallSid": "CA1"}).status_code == 403
    for path in ("/ivr/outbound/answer?attempt=999", "/ivr/outbound/answer?attempt=abc",
                 "/ivr/outbound/input?attempt=1&step=zz", "/ivr/outbound/noinput", "/ivr/outbound/status?attempt=-1"):
        response = twilio_post(path, CallStatus="completed", Digits="9" * 50, SpeechResult="x" * 5000)
        assert response.status_code == 200, path
        parse(response.data)


def test_status_callback_for_another_call_sid_is_ignored(app, sim, make_campaign, run, twilio_post):
    sim.set_behaviour(NUMBERS[0], Behaviour(answer="no-answer"))
    cid = make_campaign(NUMBERS[:1], ring_timeout_s=60)
    run(2)
    [attempt] = attempts(app, cid)
    response = twilio_post(f"/ivr/outbound/status?attempt={attempt.id}", CallSid="CAother", CallStatus="completed")
    assert verbs(parse(response.data)) == []
    with session_scope(app) as s:
        assert s.get(Attempt, attempt.id).status != "completed"


@pytest.mark.parametrize(("digits", "speech", "kind", "expected"), [
    ("1", "", "verify", "yes"), ("2", "", "convenient", "no"), ("", "不方便", "convenient", "no"),
    ("", "方便的", "convenient", "yes"), ("", "不满意", "scale", "不满意"), ("", "很不满意", "scale", "很不满意"),
    ("5", "", "scale", "很不满意"), ("", "嗯嗯嗯啊", "scale", None), ("9", "", "verify", None),
])
def test_interpret_answers(digits, speech, kind, expected):
    assert script_answers.interpret(kind, digits, speech) == expected
