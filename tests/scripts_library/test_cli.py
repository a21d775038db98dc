"""``python -m scripts_library check|suggest|lint`` prints JSON, errors on stderr."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _model_cached(matcher):
    """The shipped library's learned model is trained and cached beside it in this process
    first, so the command in a subprocess reads the cache instead of training within its timeout."""


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scripts_library", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, input=stdin, encoding="utf-8")


def test_check_prints_flags_as_json():
    out = run("check", "--locale", "zh-CN", "我也没办法,线路忙,我都忙死了")
    assert out.returncode == 0, out.stderr
    assert "我也没办法" in out.stdout  # ensure_ascii=False: readable Chinese
    flags = json.loads(out.stdout)
    assert flags[0]["situation"] == "S1" and (flags[0]["start"], flags[0]["end"]) == (0, 15)
    assert set(flags[0]) >= {"start", "end", "situation", "forbidden", "score", "alternatives"}


def test_suggest_prints_a_ranked_list():
    out = run("suggest", "--locale", "zh-CN", "我要找你们经理", "--k", "2")
    result = json.loads(out.stdout)
    assert out.returncode == 0 and len(result) == 2
    assert [r["situation"] for r in result] == ["S7", "S7"]
    assert set(result[0]) >= {"id", "situation", "text", "score"}


def test_traditional_and_english_locales():
    assert json.loads(run("suggest", "--locale", "zh-TW", "你們這個電話怎麼老是打不通").stdout)[0]["situation"] == "S1"
    assert json.loads(run("check", "--locale", "en", "Sorry, I'm new here.").stdout)[0]["situation"] == "S3"


def test_empty_text_is_an_empty_list():
    for args in (("check", "--locale", "zh-CN", "   "), ("suggest", "--locale", "en", ""), ("check",)):
        out = run(*args)
        assert out.returncode == 0 and json.loads(out.stdout) == []


def test_unknown_locale_is_exit_2_with_a_message():
    out = run("check", "--locale", "fr", "bonjour")
    assert out.returncode == 2 and out.stdout == "" and "unknown locale 'fr'" in out.stderr


def test_bad_library_and_bad_context_are_errors(tmp_path):
    missing = run("check", "--library", str(tmp_path / "none"), "你好")
    assert missing.returncode == 2 and "library" in missing.stderr and missing.stdout == ""
    bad = run("check", "--context", "{not json", "我不清楚,过两天再打")
    assert bad.returncode == 2 and "--context" in bad.stderr


def test_library_option_points_at_another_library(tmp_path):
    (tmp_path / "x.yaml").write_text(
        "situation: S9\nlocale: en\nentries:\n"
        "  - {id: a, kind: approved, text: Goodbye and thank you.}\n"
        "  - {id: f, kind: forbidden, text: Get lost., key_phrases: [get lost], alternatives: [a]}\n",
        encoding="utf-8")
    flags = json.loads(run("--library", str(tmp_path), "check", "--locale", "en", "oh just get lost").stdout)
    assert flags[0]["alternatives"] == ["Goodbye and thank you."]
    assert json.loads(run("check", "--library", str(tmp_path), "--locale", "en", "I'm new here").stdout) == []


def test_stdin_and_context_and_prompt():
    out = run("suggest", "--locale", "zh-CN", "--context", '{"title": "王先生"}', "-", stdin="什么时候给我答复")
    assert "王先生" in json.loads(out.stdout)[0]["text"]
    assert run("prompt", "greeting").stdout.strip() == "您好!SCC顺创客服部,请问有什么可以帮到你?"
