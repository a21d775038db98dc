"""POST /api/check and /api/suggest answer the CLI's JSON; bad input is a 400."""

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


@pytest.fixture
def auth(make_user):
    _, token = make_user("agent1", role="agent")
    return {"Authorization": f"Bearer {token}"}


def cli(*args: str):
    out = subprocess.run([sys.executable, "-m", "scripts_library", *args], capture_output=True, text=True,
                         cwd=ROOT, timeout=60, encoding="utf-8")
    return json.loads(out.stdout)


def test_check_answers_like_the_cli(client, auth):
    text = "我也没办法,线路忙,我都忙死了"
    res = client.post("/api/check", json={"text": text, "locale": "zh-CN"}, headers=auth)
    assert res.status_code == 200
    assert res.get_json() == cli("check", "--locale", "zh-CN", text)
    assert res.get_json()[0]["situation"] == "S1"


def test_suggest_answers_like_the_cli(client, auth):
    res = client.post("/api/suggest", json={"text": "我要找你们经理", "locale": "zh-CN"}, headers=auth)
    assert res.status_code == 200
    assert res.get_json() == cli("suggest", "--locale", "zh-CN", "我要找你们经理")
    assert res.get_json()[0]["situation"] == "S7"
    two = client.post("/api/suggest", json={"text": "Why can I never get through?", "locale": "en", "k": 1},
                      headers=auth).get_json()
    assert len(two) == 1 and two[0]["situation"] == "S1"


def test_context_and_empty_text(client, auth):
    res = client.post("/api/suggest", json={"text": "什么时候给我答复", "context": {"title": "王先生", "hours": 48}},
                      headers=auth)
    assert "王先生" in res.get_json()[0]["text"] and "48小时" in res.get_json()[0]["text"]
    assert client.post("/api/check", json={"text": "  "}, headers=auth).get_json() == []


def test_prompts_only_when_asked(client, auth):
    body = {"text": "谢谢,再见", "k": 10}
    assert {s["kind"] for s in client.post("/api/suggest", json=body, headers=auth).get_json()} <= {"approved"}
    mixed = client.post("/api/suggest", json={**body, "kinds": ["approved", "prompt"]}, headers=auth).get_json()
    assert "prompt" in {s["kind"] for s in mixed}


def test_any_role_needs_a_token(client, make_user):
    assert client.post("/api/check", json={"text": "我是新手"}).status_code == 401
    _, lead = make_user("lead1", role="lead")
    res = client.post("/api/check", json={"text": "我是新手"}, headers={"Authorization": f"Bearer {lead}"})
    assert res.status_code == 200 and res.get_json()[0]["situation"] == "S3"


@pytest.mark.parametrize(("body", "message"), [
    ("not json", "JSON object"),
    ({"locale": "zh-CN"}, "text: required"),
    ({"text": 12}, "text: must be text"),
    ({"text": "你好", "locale": "fr"}, "unknown locale"),
    ({"text": "x" * 5001}, "limit is 5000"),
    ({"text": "你好", "context": ["a"]}, "context"),
    ({"text": "你好", "k": "three"}, "k:"),
    ({"text": "你好", "kinds": ["forbidden"]}, "kinds[0]: must be one of approved, prompt"),
    ({"text": "", "kinds": [{}]}, "kinds[0]:"),
])
def test_bad_input_is_400_json(client, auth, body, message):
    kwargs = {"data": body, "content_type": "application/json"} if isinstance(body, str) else {"json": body}
    for path in ("/api/check", "/api/suggest"):
        if ({"k", "kinds"} & set(body if isinstance(body, dict) else {})) and path == "/api/check":
            continue
        res = client.post(path, headers=auth, **kwargs)
        assert res.status_code == 400 and message in res.get_json()["error"]


def test_openapi_describes_both_paths(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "post" in paths["/api/check"] and "post" in paths["/api/suggest"]


def test_library_settings_from_the_app_config(make_app, tmp_path):
    """library.dir is created from the shipped library on first start; thresholds apply."""
    target = tmp_path / "library"
    app = make_app({"library": {"dir": str(target), "suggest_min_score": 99.9}})
    assert (target / "zh-CN" / "s7_manager.yaml").is_file()
    from scripts_library import service

    with app.app_context():
        assert service.current_settings().suggest_min_score == 99.9
        assert service.get_matcher().library.files  # loaded from the copy
        assert service.suggest("我要找你们经理", "zh-CN")[0]["situation"] == "S7"  # exact trigger: 100
        assert service.suggest("能不能帮我看一下账单", "zh-CN") == []
    assert service.current_settings().suggest_min_score != 99.9  # outside the app: the defaults
