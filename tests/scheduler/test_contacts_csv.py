"""Contacts from CSV: bad rows reported by row and field, good rows imported, duplicates and DNC
numbers skipped and counted, broken files import nothing (API and CLI)."""

from __future__ import annotations

import io
import json

import pytest

from core.db import session_scope
from scheduler import campaigns as svc
from scheduler import contacts as contacts_svc
from scheduler.models import Contact, ContactStatus, DncNumber

from .conftest import contacts

MIXED = (
    "phone,name,timezone,issue\n"          # row 1: header
    "13912345678,王先生,Asia/Shanghai,漏水\n"   # 2 good (national format, default region CN)
    "+86 139 1234 5679,李小姐,,停电\n"        # 3 good (spaces)
    "12345,张三,,\n"                        # 4 bad phone
    "13912345678,重复,,\n"                   # 5 duplicate of row 2
    "13912345680,赵,Mars/Olympus,\n"         # 6 bad timezone
    "13912345681,DNC 客户,,\n"               # 7 on the DNC list
    ",无号码,,\n"                            # 8 empty phone
    "+8613912345682,English Name,Europe/London,leak\n"  # 9 good
)


@pytest.fixture
def campaign_id(app):
    with session_scope(app) as s:
        return svc.create_campaign(s, app.config["HOTLINE"], {"name": "csv test"}).id


def add_dnc(app, phone):
    with session_scope(app) as s:
        contacts_svc.add_dnc(s, app.config["HOTLINE"], phone, "asked not to be called")


def test_upload_imports_good_rows_and_reports_bad_ones(app, client, lead, campaign_id):
    add_dnc(app, "13912345681")
    response = client.post(f"/api/campaigns/{campaign_id}/contacts", headers=lead,
                           data={"file": (io.BytesIO(MIXED.encode()), "contacts.csv")})
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["imported"] == 3 and report["skipped_duplicates"] == 1 and report["skipped_dnc"] == 1
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(4, "phone"), (6, "timezone"), (8, "phone")]
    assert all(e["reason"] for e in report["errors"])
    stored = contacts(app, campaign_id)
    assert [c.phone for c in stored] == ["+8613912345678", "+8613912345679", "+8613912345681", "+8613912345682"]
    assert stored[0].name == "王先生" and stored[0].timezone == "Asia/Shanghai" and stored[0].row_number == 2
    assert stored[0].context == {"issue": "漏水"}
    dnc = stored[2]
    assert dnc.status == ContactStatus.DNC and "do-not-call" in dnc.reason
    detail = client.get(f"/api/campaigns/{campaign_id}", headers=lead).get_json()
    assert detail["blocked"]["dnc"] == 1 and detail["contacts"] == 4 and detail["remaining"] == 3


def test_text_csv_body_in_gb18030_with_chinese_headers(app, client, lead, campaign_id):
    body = "电话,姓名,备注\n13912345678,王先生,老客户\n".encode("gb18030")
    response = client.post(f"/api/campaigns/{campaign_id}/contacts", headers={**lead, "Content-Type": "text/csv"},
                           data=body)
    assert response.get_json()["imported"] == 1
    [contact] = contacts(app, campaign_id)
    assert contact.name == "王先生" and contact.note == "老客户"


def test_utf8_bom_and_semicolons(app, client, lead, campaign_id):
    body = "\ufeffphone;name\n+8613912345678;A\n".encode()
    response = client.post(f"/api/campaigns/{campaign_id}/contacts", headers={**lead, "Content-Type": "text/csv"},
                           data=body)
    assert response.get_json()["imported"] == 1


@pytest.mark.parametrize(("body", "message"), [
    (b"name,note\nA,B\n", "no phone column"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV text file"),
    (b"", "empty"),
    (b"phone\n" + b"13912345678\n" + b"\xff\xfe\xfa\xfb\xfc\xfd\n", "not UTF-8 or GB18030"),
])
def test_broken_file_is_422_and_imports_nothing(app, client, lead, campaign_id, body, message):
    response = client.post(f"/api/campaigns/{campaign_id}/contacts", headers={**lead, "Content-Type": "text/csv"},
                           data=body)
    assert response.status_code == 422 and message in response.get_json()["error"], response.get_json()
    assert contacts(app, campaign_id) == []


def test_fatal_error_after_good_rows_imports_nothing(app, campaign_id, monkeypatch):
    """One transaction: a failure part-way leaves no contact behind."""
    settings = app.config["HOTLINE"].model_copy(update={"campaigns": app.config["HOTLINE"].campaigns.model_copy(
        update={"max_csv_rows": 2})})
    with pytest.raises(contacts_svc.ImportProblem, match="at most 2"):
        with session_scope(app) as s:
            contacts_svc.import_csv(s, settings, s.get(svc.Campaign, campaign_id),
                                    "phone\n13912345678\n13912345679\n13912345680\n")
    assert contacts(app, campaign_id) == []


def test_upload_needs_a_lead_and_a_known_campaign(app, client, make_user, lead, campaign_id):
    _agent, token = make_user("agent1", role="agent")

    def body():
        return {"file": (io.BytesIO(b"phone\n13912345678\n"), "c.csv")}

    assert client.post(f"/api/campaigns/{campaign_id}/contacts", data=body(),
                       headers={"Authorization": f"Bearer {token}"}).status_code == 403
    assert client.post(f"/api/campaigns/{campaign_id}/contacts", data=body()).status_code == 401
    missing = client.post("/api/campaigns/999/contacts", headers=lead,
                          data={"file": (io.BytesIO(b"phone\n13912345678\n"), "c.csv")})
    assert missing.status_code == 404 and "error" in missing.get_json()
    wrong_type = client.post(f"/api/campaigns/{campaign_id}/contacts", headers=lead, json={"phone": "1"})
    assert wrong_type.status_code == 415
    nothing = client.post(f"/api/campaigns/{campaign_id}/contacts", headers=lead)
    assert nothing.status_code == 422 and nothing.get_json()["error"] == "file: empty"


def test_cli_import_reports_rows_and_fails_cleanly(app, runner, campaign_id, tmp_path):
    good = tmp_path / "c.csv"
    good.write_text(MIXED, encoding="utf-8")
    result = runner.invoke(args=["campaigns", "import", str(campaign_id), str(good)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["imported"] == 4 and [e["row"] for e in report["errors"]] == [4, 6, 8]
    bad = tmp_path / "bad.csv"
    bad.write_text("name\nx\n", encoding="utf-8")
    result = runner.invoke(args=["campaigns", "import", str(campaign_id), str(bad)])
    assert result.exit_code != 0 and "no phone column" in result.output and "nothing was imported" in result.output
    missing = runner.invoke(args=["campaigns", "import", str(campaign_id), str(tmp_path / "nope.csv")])
    assert missing.exit_code != 0 and "file:" in missing.output


def test_dnc_cli_and_api(app, runner, client, lead, tmp_path):
    assert json.loads(runner.invoke(args=["dnc", "add", "13912345678", "--reason", "asked"]).output)["created"]
    assert not json.loads(runner.invoke(args=["dnc", "add", "+8613912345678"]).output)["created"]
    assert runner.invoke(args=["dnc", "add", "123"]).exit_code != 0
    path = tmp_path / "dnc.csv"
    path.write_text("phone,reason\n13912345679,complained\nbad,\n", encoding="utf-8")
    report = json.loads(runner.invoke(args=["dnc", "import", str(path)]).output)
    assert report["imported"] == 1 and report["errors"][0]["row"] == 3
    listed = [json.loads(line)["phone"] for line in runner.invoke(args=["dnc", "list"]).output.splitlines()]
    assert set(listed) == {"+8613912345678", "+8613912345679"}
    added = client.post("/api/dnc", headers=lead, json={"phone": "13912345680"})
    assert added.status_code == 201
    assert client.post("/api/dnc", headers=lead, json={"phone": "nope"}).status_code == 422
    with session_scope(app) as s:
        assert s.query(DncNumber).count() == 3


def test_dnc_added_after_import_blocks_dialing_and_is_explained(app, lead, client, campaign_id):
    with session_scope(app) as s:
        contacts_svc.import_csv(s, app.config["HOTLINE"], s.get(svc.Campaign, campaign_id),
                                "phone\n13912345678\n13912345679\n")
    add_dnc(app, "13912345679")
    detail = client.get(f"/api/campaigns/{campaign_id}", headers=lead).get_json()
    assert detail["blocked"]["dnc"] == 1
    listed = client.get(f"/api/campaigns/{campaign_id}/contacts", headers=lead).get_json()["contacts"]
    assert "do-not-call" in listed[1]["why"] and "draft" in listed[0]["why"]
    with session_scope(app) as s:
        assert s.query(Contact).filter_by(status="pending").count() == 2
