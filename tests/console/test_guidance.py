"""The reply box's guidance — flags at exact characters with alternatives,
suggestions with the caller's title, the agent's ID and the reply deadline filled in."""

from __future__ import annotations

from core.db import session_scope
from core.models import Call, Caller
from tests.console.conftest import FORBIDDEN


def on_a_call(app, desk_):
    with session_scope(app) as s:
        s.add(Call(call_sid="CAlive", purpose="caller", agent_id=desk_.user_id, status="in-progress",
                   locale="zh-CN", caller=Caller(phone="+8613812345678", surname="李", title="小姐")))


def test_forbidden_phrase_is_flagged_at_its_characters_with_the_alternative(desk):
    alice = desk("alice")
    text = "好的," + FORBIDDEN
    data = alice.post("/console/api/guide", {"text": text}).get_json()
    flag = data["flags"][0]
    assert flag["situation"] == "S1" and flag["alternatives"]
    assert text[flag["js_start"]:flag["js_end"]] == flag["matched"] and flag["js_start"] >= 3


def test_js_offsets_count_utf16_units(desk):
    alice = desk("alice")
    text = "😀😀" + FORBIDDEN
    flag = alice.post("/console/api/guide", {"text": text}).get_json()["flags"][0]
    assert flag["js_start"] == flag["start"] + 2  # each emoji is two UTF-16 units


def test_suggestions_fill_the_callers_title_and_agent_id(app, desk):
    alice = desk("alice", agent_code="1007")
    on_a_call(app, alice)
    data = alice.post("/console/api/guide", {"text": "喂,我不清楚,您过两天再来电话吧"}).get_json()
    texts = [s["text"] for s in data["suggestions"]] + [a for f in data["flags"] for a in f["alternatives"]]
    assert any("李小姐" in t for t in texts), texts
    hours = str(app.config["HOTLINE"].cases.complaint_reply_hours)
    assert any(f"{hours}小时" in t for t in texts)
    assert all("{" not in t for t in texts)


def test_english_guidance(desk):
    alice = desk("alice")
    data = alice.post("/console/api/guide", {"text": "I can't help it, the lines were busy", "locale": "en"}).get_json()
    assert data["suggestions"] and {s["locale"] for s in data["suggestions"]} == {"en"}


def test_guide_validates_input(desk):
    alice = desk("alice")
    assert alice.post("/console/api/guide", {"text": 5}).status_code == 400
    assert alice.post("/console/api/guide", {"text": ""}).get_json() == {"flags": [], "suggestions": []}
    long = alice.post("/console/api/guide", {"text": "好" * 20000})
    assert long.status_code == 200


def test_guide_needs_sign_in_and_csrf(client, desk):
    assert client.post("/console/api/guide", json={"text": "x"}, headers={"X-Requested-With": "fetch"}).status_code \
        in (400, 401)
    alice = desk("alice")
    no_csrf = alice.client.post("/console/api/guide", json={"text": "x"}, headers={"X-Requested-With": "fetch"})
    assert no_csrf.status_code == 400 and "csrf" in no_csrf.get_json()["error"]
