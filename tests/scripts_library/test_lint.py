"""lint: the shipped library is clean; each kind of mistake is reported with file and line."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts_library.lint import lint
from scripts_library.loader import DEFAULT_DIR

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
situation: S3
locale: {locale}
triggers: [{trigger}]
entries:
  - id: s3.a1
    kind: approved
    text: {approved}
  - id: s3.f1
    kind: forbidden
    text: {forbidden}
    key_phrases: [{key}]
    alternatives: [s3.a1]
"""


def _write(directory: Path, name: str, body: str) -> None:
    (directory / name).write_text(body, encoding="utf-8")


@pytest.fixture
def small(tmp_path: Path) -> Path:
    _write(tmp_path, "zh.yaml", GOOD.format(locale="zh-CN", trigger="你太慢了", approved="很抱歉,我尽快帮您处理。",
                                            forbidden="我是新手啦", key="我是新手"))
    _write(tmp_path, "en.yaml", GOOD.format(locale="en", trigger="you're so slow", approved="Sorry, I'll be quick.",
                                            forbidden="I'm new here!", key="I'm new here"))
    return tmp_path


def test_shipped_library_is_clean():
    assert lint() == []


def test_small_library_is_clean(small):
    assert lint(small) == []


@pytest.mark.parametrize(("old", "new", "message", "line"), [
    ("situation: S3", "situation: S42", "unknown situation 'S42'", 5),
    ("alternatives: [s3.a1]", "alternatives: [s3.a9]", "dangling alternative 's3.a9'", 8),
    ("text: 很抱歉,我尽快帮您处理。", "text: 很抱歉,{name},我尽快帮您处理。", "bad placeholder {name}", 5),
    ("text: 很抱歉,我尽快帮您处理。", "text: 很抱歉,我是新手,我尽快帮您处理。", "approved text would be flagged", 5),
    ("kind: approved", "kind: approve", "unknown kind 'approve'", 5),
    ("text: 很抱歉,我尽快帮您处理。", "text: 很抱歉,我儘快幫您處理。", "traditional characters", 5),
    ("    alternatives: [s3.a1]", "    alternatives: [s3.a1]\n    colour: red", "unknown entry key 'colour'", 13),
    ("key_phrases: [我是新手]", "key_phrases: [新啦]", "too short once normalised", 8),
])
def test_each_mistake_names_file_and_line(small, old, new, message, line):
    path = small / "zh.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    problems = lint(small)
    assert any(message in p.message and p.where.file == "zh.yaml" and p.where.line == line for p in problems), \
        [str(p) for p in problems]


def test_missing_locale_twin(small):
    path = small / "en.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("id: s3.a1", "id: s3.a2")
                    .replace("[s3.a1]", "[s3.a2]"), encoding="utf-8")
    messages = [str(p) for p in lint(small)]
    assert any(m.startswith("zh.yaml:5:") and "s3.a1: missing locale twin in en" in m for m in messages), messages


def test_yaml_syntax_error_has_a_line(small):
    _write(small, "broken.yaml", "locale: en\nentries:\n  - id: [unclosed\n")
    problems = lint(small)
    assert any(p.where.file == "broken.yaml" and p.where.line >= 3 and "YAML error" in p.message for p in problems)


def test_cli_lint_exit_codes(small):
    ok = subprocess.run([sys.executable, "-m", "scripts_library", "lint", "--library", str(small)],
                        capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert ok.returncode == 0 and "OK" in ok.stdout
    path = small / "zh.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("[s3.a1]", "[nope]"), encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "scripts_library", "lint", "--library", str(small)],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert bad.returncode == 1 and "zh.yaml:" in bad.stderr and "dangling alternative 'nope'" in bad.stderr


def test_copy_of_shipped_library_lints_clean(tmp_path):
    shutil.copytree(DEFAULT_DIR, tmp_path / "lib")
    assert lint(tmp_path / "lib") == []
