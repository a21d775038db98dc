"""The lead edits the script library in the console: add, edit, retire, restore — with history,
lint on save, the audit log, and files that `python -m scripts_library lint` still accepts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from core.models import AuditLog
from reports.library_yaml import problem_key
from reports.models import LibraryEdit
from scripts_library import service
from scripts_library.lint import lint
from scripts_library.loader import DEFAULT_DIR

S1_ZH = "zh-CN/s1_busy_line.yaml"


def new_problems(library: Path) -> list[str]:
    """Lint problems of the edited library that the shipped one does not have (none expected)."""
    shipped = {problem_key(p) for p in lint(DEFAULT_DIR)}
    return [str(p) for p in lint(library) if problem_key(p) not in shipped]


@pytest.fixture
def app_overrides(tmp_path):
    return {"library": {"dir": str(tmp_path / "library")}}


@pytest.fixture
def library(app) -> Path:
    return Path(app.config["HOTLINE"].library.dir)


def served(app, library: Path):
    """The matcher the app serves for ``library`` (what the editor's save reloaded)."""
    with app.app_context():
        return service.get_matcher(library)


def checked(app, text: str, library: Path):
    with app.app_context():
        return service.check(text, "zh-CN", library_dir=library)


def _form(token, entry_id, zh, en, *, new=False, kind="approved", situation="S1", **extra):
    return {"csrf_token": token, "new": "1" if new else "0", "entry_id": entry_id, "kind": kind,
            "situation": situation, "rules": extra.pop("rules", "S1, H2"), "text-zh-CN": zh, "text-en": en, **extra}


def test_edit_keeps_the_rest_of_the_file_and_lints_clean(app, lead_client, library, db):
    client, token = lead_client
    before = (library / S1_ZH).read_text(encoding="utf-8")
    response = client.post("/console/library/save", data=_form(
        token, "s1.a1", "非常抱歉让您久等了,今天来电的客户比较多,请问有什么可以帮到您?",
        "We are very sorry to have kept you waiting; how can I help you?", **{"variants-zh-CN": "抱歉让您久等了\n"}))
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    after = (library / S1_ZH).read_text(encoding="utf-8")
    assert "非常抱歉让您久等了,今天来电的客户比较多,请问有什么可以帮到您?" in after
    # Comments, the triggers and the other entries are untouched.
    assert after.splitlines()[0] == before.splitlines()[0] and "triggers:  # 客户会这样说" in after
    assert after.count("- id: s1.f") == before.count("- id: s1.f")
    assert new_problems(library) == []
    # The matcher serves the new text at once.
    assert served(app, library).library.get("zh-CN", "s1.a1").variants == ("抱歉让您久等了",)
    edit = db.scalar(select(LibraryEdit))
    assert (edit.action, edit.entry_id) == ("edit", "s1.a1")
    assert edit.before["zh-CN"]["text"].startswith("非常抱歉,今天咨询的客户比较多")
    assert edit.after["en"]["text"].startswith("We are very sorry")
    assert db.scalar(select(AuditLog.action).where(AuditLog.target == "s1.a1")) == "library_edit"
    page = client.get("/console/library/entry/s1.a1").get_data(as_text=True)
    assert "<del>" in page and "edit" in page  # the history shows what changed


def test_add_retire_restore(app, lead_client, library, db):
    client, token = lead_client
    added = client.post("/console/library/save", data=_form(
        token, "s1.a9", "您好,让您久等了,非常抱歉,请问有什么可以帮您?", "Hello, sorry for the wait. How can I help?",
        new=True))
    assert added.status_code == 302, added.get_data(as_text=True)[-2000:]
    assert "s1.a9" in (library / S1_ZH).read_text(encoding="utf-8")
    assert "s1.a9" in (library / "en/s1_busy_line.yaml").read_text(encoding="utf-8")
    assert new_problems(library) == []
    assert client.post("/console/library/save", data=_form(token, "s1.a9", "重复", "dup", new=True)).status_code == 400
    retired = client.post("/console/library/entry/s1.a9/retire", data={"csrf_token": token, "note": "不再使用"})
    assert retired.status_code == 302
    assert "s1.a9" not in (library / S1_ZH).read_text(encoding="utf-8")
    assert served(app, library).library.get("zh-CN", "s1.a9") is None
    retire = db.scalar(select(LibraryEdit).where(LibraryEdit.action == "retire"))
    assert retire.note == "不再使用" and retire.before["en"]["text"].startswith("Hello")
    assert client.post(f"/console/library/restore/{retire.id}", data={"csrf_token": token}).status_code == 302
    assert served(app, library).library.get("en", "s1.a9").text.startswith("Hello")
    assert new_problems(library) == []
    actions = [a.action for a in db.scalars(select(AuditLog).where(AuditLog.target == "s1.a9").order_by(AuditLog.id))]
    assert actions == ["library_add", "library_retire", "library_restore"]
    # The library's own command line still accepts the edited directory.
    done = subprocess.run([sys.executable, "-m", "scripts_library", "lint", "--library", str(library)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_save_that_breaks_lint_is_refused_and_nothing_changes(lead_client, library, db):
    client, token = lead_client
    before = (library / S1_ZH).read_text(encoding="utf-8")
    # s1.f1 and s1.f2 name s1.a1 as their alternative: retiring it would leave them dangling.
    refused = client.post("/console/library/entry/s1.a1/retire", data={"csrf_token": token})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "dangling alternative" in page and "s1.f1" in page
    # A bad placeholder is caught too.
    bad = client.post("/console/library/save", data=_form(token, "s1.a1", "您好{nickname},请问有什么可以帮您?",
                                                          "Hello {nickname}"))
    assert bad.status_code == 400 and "bad placeholder" in bad.get_data(as_text=True)
    odd = client.post("/console/library/save", data=_form(token, "x.1", "文本", "text", new=True, situation="../"))
    assert odd.status_code == 400 and "situation: S1–S9" in odd.get_data(as_text=True)
    missing = client.post("/console/library/save", data=_form(token, "s1.a1", "只有中文", ""))
    assert missing.status_code == 400 and "text (en): required" in missing.get_data(as_text=True)
    assert (library / S1_ZH).read_text(encoding="utf-8") == before
    assert db.scalar(select(LibraryEdit)) is None


def test_forbidden_entry_edit_keeps_key_phrases(app, lead_client, library):
    client, token = lead_client
    response = client.post("/console/library/save", data=_form(
        token, "s1.f2", "我也不想的,我都快忙死了。", "I don't want this either, I'm worked to death.",
        kind="forbidden", rules="S1", alternatives="s1.a1",
        **{"key_phrases-zh-CN": "我也不想的\n快忙死了", "cues-zh-CN": "我也不想\n忙死"}))
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    entry = served(app, library).library.get("zh-CN", "s1.f2")
    assert entry.key_phrases == ("我也不想的", "快忙死了") and entry.alternatives == ("s1.a1",)
    assert checked(app, "我也不想的,真的", library)


def test_pages(lead_client, library):
    client, _ = lead_client
    listing = client.get("/console/library").get_data(as_text=True)
    assert 'data-entry="s1.a1"' in listing and 'data-entry="reassurance"' in listing
    assert "只读" not in listing
    assert client.get("/console/library/entry/nope").status_code == 404
    assert "(新增)" in client.get("/console/library/new").get_data(as_text=True)
