"""The library's review loop: a flag marked wrong and a missed sentence become candidates, the
library page lists them, accepting one adds it to the tuning examples and retrains the model
(lint-checked like every library edit), dismissing one changes nothing in the library."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from core.models import AuditLog
from scripts_library import service
from scripts_library.models import LibraryCandidate
from tests.reports import test_library_editor
from tests.reports.conftest import login

MISSED_EN = "My shift ends in five minutes, so whatever."
FLAGGED_ZH = "我是新来的客服小张,很高兴为您服务"


# The editor tests' app with a library directory of its own, and that directory.
app_overrides = test_library_editor.app_overrides
library = test_library_editor.library


def propose(client, token, **body):
    return client.post("/console/library/candidates", json=body, headers={"X-CSRFToken": token})


def examples(library: Path) -> list[dict]:
    return yaml.safe_load((library / "examples.yaml").read_text(encoding="utf-8"))["examples"]


@pytest.mark.timeout(300)  # waits for one retraining in the background: 10–20 s of CPU, more on a busy machine
def test_a_missed_sentence_is_accepted_into_the_tuning_examples_and_retrains(app, lead_client, library, db):
    client, token = lead_client
    with app.app_context():  # the library as this app has it (each app keeps its own)
        assert service.check(MISSED_EN, "en", library_dir=library) == []
        before = service.get_matcher(library).learned
        response = propose(client, token, kind="missed", text=MISSED_EN, locale="en", label="S1")
        assert response.status_code == 201, response.get_json()
        cid = response.get_json()["id"]
        assert propose(client, token, kind="missed", text=MISSED_EN, locale="en", label="S1").get_json()["id"] == cid
        page = client.get("/console/library").get_data(as_text=True)
        assert f'data-candidate="{cid}"' in page and MISSED_EN in page

        assert client.post(f"/console/library/candidates/{cid}/accept", data={"csrf_token": token}).status_code == 302
        assert {"locale": "en", "flag": "S1", "confirmed": True, "text": MISSED_EN} in examples(library)
        # the save returned at once: the new example applies now, the previous model serves while
        # the learned layer retrains in the background, and the library page says so
        matcher = service.get_matcher(library)
        assert [f["situation"] for f in matcher.check(MISSED_EN, "en")] == ["S1"]
        assert matcher.learned is before
        page = client.get("/console/library").get_data(as_text=True)
        assert 'data-learning="retraining"' in page and "重新训练中,开始于" in page
        assert service.wait_for_learning(library, timeout=280)
        retrained = service.get_matcher(library)
        assert retrained.learned is not before  # retrained on the new example
        assert [f["situation"] for f in retrained.check(MISSED_EN, "en")] == ["S1"]
        assert 'data-learning="ready"' in client.get("/console/library").get_data(as_text=True)
        db.expire_all()
        assert db.get(LibraryCandidate, cid).status == "accepted"
        assert db.scalar(select(AuditLog).where(AuditLog.action == "library_candidate_accepted")) is not None
        assert f'data-candidate="{cid}"' not in client.get("/console/library").get_data(as_text=True)


def test_an_agent_marks_a_flag_wrong_and_a_dismissed_candidate_changes_nothing(client, make_user, lead, library, db):
    make_user("alice")
    token = login(client, "alice")
    assert service.check(FLAGGED_ZH, "zh-CN", library_dir=library)
    response = propose(client, token, kind="wrong_flag", text=FLAGGED_ZH, locale="zh-CN")
    assert response.status_code == 201 and response.get_json()["label"] == "none"
    # only a lead says what should have been flagged; agents cannot decide
    assert propose(client, token, kind="missed", text=MISSED_EN, locale="en", label="S1").status_code == 403
    cid = response.get_json()["id"]
    assert client.post(f"/console/library/candidates/{cid}/dismiss", data={"csrf_token": token}).status_code == 403
    before = (library / "examples.yaml").read_text(encoding="utf-8")
    client.post("/console/logout", data={"csrf_token": token})
    lead_token = login(client, "lin")
    assert client.post(f"/console/library/candidates/{cid}/dismiss",
                       data={"csrf_token": lead_token}).status_code == 302
    assert (library / "examples.yaml").read_text(encoding="utf-8") == before
    db.expire_all()
    assert db.get(LibraryCandidate, cid).status == "dismissed"
    assert client.post(f"/console/library/candidates/{cid}/accept", data={"csrf_token": lead_token}).status_code == 400


@pytest.mark.parametrize(("body", "error"), [
    ({"kind": "other", "text": "x", "locale": "en"}, "kind:"),
    ({"kind": "missed", "text": "", "locale": "en", "label": "S1"}, "text:"),
    ({"kind": "missed", "text": "hello", "locale": "fr", "label": "S1"}, "locale:"),
    ({"kind": "missed", "text": "hello", "locale": "en", "label": "S12"}, "label:"),
    ({"kind": "wrong_flag", "text": "Good morning, how can I help?", "locale": "en"}, "text:"),
    ({"kind": "missed", "text": "hello", "locale": "en", "label": "S1", "utterance_id": "x"}, "utterance_id:"),
])
def test_bad_candidates_are_400_with_the_field_and_store_nothing(lead_client, db, body, error):
    client, token = lead_client
    response = propose(client, token, **body)
    assert response.status_code == 400 and response.get_json()["error"].startswith(error)
    assert db.scalar(select(LibraryCandidate)) is None


def test_a_transcript_line_is_marked_by_its_id(lead_client, app, db):
    from agent_console.models import Utterance
    from core.models import Call

    client, token = lead_client
    call = Call(call_sid="CAx", purpose="caller", status="completed")
    db.add(call)
    db.flush()
    said = Utterance(call_id=call.id, track="inbound_track", speaker="agent", text=MISSED_EN, final=True, sequence=1,
                     language="en-US", flags=[])
    db.add(said)
    db.commit()
    response = propose(client, token, kind="missed", utterance_id=said.id, label="S1")
    assert response.status_code == 201, response.get_json()
    cand = db.get(LibraryCandidate, response.get_json()["id"])
    assert (cand.text, cand.locale, cand.utterance_id) == (MISSED_EN, "en", said.id)
    assert propose(client, token, kind="missed", utterance_id=999999, label="S1").status_code == 400
