"""POST /ivr/transcription: real-time transcription events (Twilio's documentation) → utterances, checks of
the agent's final utterances, lead alerts; bad input → 200 <Response/>, nothing stored."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from agent_console.models import Utterance
from core.alerts import Alert
from core.db import session_scope
from core.models import Call, Caller
from tests.console.conftest import FORBIDDEN


@pytest.fixture
def legs(app, make_user):
    """An agent's leg and the caller's call it serves (rows as the caller's path writes them)."""
    user, _ = make_user("alice", agent_code="1007")
    with session_scope(app) as s:
        caller = Caller(phone="+8613812345678", surname="王", title="先生")
        call = Call(call_sid="CAcaller", purpose="caller", caller=caller, agent_id=user.id, status="in-progress",
                    locale="zh-CN")
        leg = Call(call_sid="CAagentleg", purpose="agent_leg", agent_id=user.id, parent_call_sid="CAcaller",
                   status="in-progress")
        s.add_all([call, leg])
    return {"agent_id": user.id}


def content(text: str, track: str = "inbound_track", seq: int = 1, final: str = "true",
            sid: str = "CAagentleg") -> dict[str, str]:
    return {"CallSid": sid, "TranscriptionEvent": "transcription-content", "TranscriptionSid": "GT1",
            "Track": track, "SequenceId": str(seq), "Final": final, "LanguageCode": "cmn-Hans-CN",
            "TranscriptionData": json.dumps({"transcript": text, "confidence": 0.93}, ensure_ascii=False)}


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def is_empty_response(response) -> bool:
    return response.status_code == 200 and response.get_data(as_text=True).strip().endswith(("<Response />",
                                                                                            "<Response/>"))


def test_agent_track_is_checked_and_alerts(twilio_post, legs, db):
    assert is_empty_response(twilio_post("/ivr/transcription", **content(FORBIDDEN)))
    row = db.scalar(select(Utterance))
    assert (row.speaker, row.track, row.final, row.sequence) == ("agent", "inbound_track", True, 1)
    assert row.conversation_call_id == db.scalar(select(Call.id).where(Call.call_sid == "CAcaller"))
    flag = row.flags[0]
    assert flag["situation"] == "S1" and FORBIDDEN[flag["start"]:flag["end"]] == flag["matched"]
    alert = db.scalar(select(Alert))
    assert alert.kind == "forbidden_phrase" and alert.agent_id == legs["agent_id"] and alert.text == FORBIDDEN


def test_caller_track_and_partials_are_stored_not_checked(twilio_post, legs, db):
    twilio_post("/ivr/transcription", **content(FORBIDDEN, track="outbound_track", seq=2))
    twilio_post("/ivr/transcription", **content(FORBIDDEN, seq=3, final="false"))
    rows = db.scalars(select(Utterance).order_by(Utterance.sequence)).all()
    assert [(u.speaker, u.final, u.flags) for u in rows] == [("caller", True, []), ("agent", False, [])]
    assert count(db, Alert) == 0


def test_on_the_callers_own_call_inbound_is_the_caller(twilio_post, legs, db):
    twilio_post("/ivr/transcription", **content("我家水管漏水了", sid="CAcaller"))
    assert db.scalar(select(Utterance)).speaker == "caller"


def test_retries_are_stored_once(twilio_post, legs, db):
    for _ in range(3):
        twilio_post("/ivr/transcription", **content(FORBIDDEN))
    assert count(db, Utterance) == 1 and count(db, Alert) == 1


@pytest.mark.parametrize("change", [
    {"Track": "sideways"}, {"Track": ""}, {"SequenceId": "x"}, {"SequenceId": ""}, {"Final": "maybe"},
    {"TranscriptionData": "not json"}, {"TranscriptionData": json.dumps({"confidence": 1})},
    {"TranscriptionData": json.dumps(["a"])}, {"TranscriptionData": json.dumps({"transcript": "  "})},
    {"CallSid": ""}, {"CallSid": "CAunknown"}, {"TranscriptionEvent": "transcription-started"},
    {"TranscriptionEvent": "transcription-stopped"}, {"TranscriptionEvent": "transcription-error"},
])
def test_bad_or_other_events_are_200_and_store_nothing(twilio_post, legs, db, change):
    response = twilio_post("/ivr/transcription", **{**content(FORBIDDEN), **change})
    assert is_empty_response(response)
    assert count(db, Utterance) == 0 and count(db, Alert) == 0


def test_missing_fields_are_200(twilio_post, legs, db, app, client):
    from tests.conftest import PUBLIC_URL, sign

    form = {"CallSid": "CAagentleg", "TranscriptionEvent": "transcription-content"}
    response = client.post("/ivr/transcription", data=form, base_url=PUBLIC_URL,
                           headers={"X-Twilio-Signature": sign(app, PUBLIC_URL + "/ivr/transcription", form)})
    assert is_empty_response(response) and count(db, Utterance) == 0


def test_unsigned_requests_are_refused(client, legs, db):
    response = client.post("/ivr/transcription", data=content(FORBIDDEN), base_url="https://hotline.test")
    assert response.status_code == 403 and count(db, Utterance) == 0


def test_placeholders_use_the_caller_and_the_agent(app, legs):
    """The alternative offered for S6 names the agent's ID (工号) from the console's context."""
    from agent_console import guidance
    from core.models import User

    with session_scope(app) as s:
        user = s.get(User, legs["agent_id"])
        call = s.scalar(select(Call).where(Call.call_sid == "CAcaller"))
        context = guidance.context_for(app.config["HOTLINE"], user, call, "zh-CN")
    assert context["title"] == "王先生" and context["agent_id"] == "1007"
    assert context["hours"] == app.config["HOTLINE"].cases.complaint_reply_hours
