"""Bad input never gives a 500: deep JSON, oversized bodies, CR/LF in ``next=``, odd pager args."""

from __future__ import annotations

import re

import pytest

from core.db import session_scope
from tests.console.helpers import csrf_token, login

DEEP = "[" * 1000 + "]" * 1000
BIG = 6 * 1024 * 1024


def _fill(rule) -> str:
    """A concrete URL for a rule: 1 for numbers, "x" for text."""
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", lambda m: "1" if m.group(1) in ("int", "float") else "x",
                  rule.rule)


def _json_post_rules(app) -> list:
    return sorted((r for r in app.url_map.iter_rules() if "POST" in r.methods and not r.rule.startswith("/ivr/")),
                  key=lambda r: r.rule)


def test_json_nested_a_thousand_levels_is_a_400_on_every_post_route(app, make_user) -> None:
    _lead, token = make_user("lin", role="lead")
    web = app.test_client()
    csrf = login(web, "lin")
    crashed = []
    for rule in _json_post_rules(app):
        url = _fill(rule)
        for headers in ({"Authorization": f"Bearer {token}"}, {"X-CSRFToken": csrf, "X-Requested-With": "fetch"}):
            response = web.post(url, data=DEEP, content_type="application/json", headers=headers)
            if response.status_code >= 500:
                crashed.append((url, response.status_code))
    assert not crashed


def test_deep_json_gets_a_json_400_naming_the_body(app, make_user) -> None:
    _agent, token = make_user("alice")
    response = app.test_client().post("/api/cases", data=DEEP, content_type="application/json",
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("body: ")


def test_reasonable_nesting_still_parses(app, make_user) -> None:
    _agent, token = make_user("alice")
    response = app.test_client().post("/api/check", json={"text": "您好", "context": {"a": {"b": [[1]]}}},
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500 and response.status_code != 413


def test_an_oversized_sign_in_post_is_a_413_with_a_json_error(client) -> None:
    token = csrf_token(client)
    response = client.post("/console/login", data={"name": "x" * BIG, "password": "p", "csrf_token": token})
    assert response.status_code == 413
    assert "error" in response.get_json()


@pytest.mark.parametrize("path", ["/api/cases", "/console/api/presence", "/simulator/control/calls.json",
                                  "/api/campaigns/1/contacts"])
def test_an_oversized_body_is_a_413_everywhere(client, path) -> None:
    response = client.post(path, data=b"a" * BIG, content_type="application/json")
    assert response.status_code == 413
    assert "error" in response.get_json()


def test_the_body_limit_is_a_setting(make_app) -> None:
    app = make_app({"server": {"max_body_bytes": 1024}})
    assert app.config["MAX_CONTENT_LENGTH"] == 1024
    assert app.test_client().post("/api/cases", data=b"{}" + b" " * 2000,
                                  content_type="application/json").status_code == 413


def _many_cases(app, n: int) -> None:
    from core.cases import open_case

    settings = app.config["HOTLINE"]
    with session_scope(app) as s:
        for i in range(n):
            open_case(s, settings, kind="routine", description=f"case {i}", source="call")


@pytest.mark.parametrize("query", ["page=2&endpoint=x", "page=2&_method=POST", "page=1&view_args=1",
                                   "page=2&status=open&kind=nope&_external=1", "page=2&_anchor=x&_scheme=js"])
def test_the_cases_pager_builds_links_from_known_filters_only(app, make_user, query) -> None:
    make_user("alice")
    _many_cases(app, 30)
    web = app.test_client()
    login(web, "alice")
    response = web.get(f"/console/cases?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    links = re.findall(r'href="(/console/cases\?[^"]*)"', html)
    assert links and all(not re.search(r"endpoint|_method|_external|_anchor|_scheme|view_args", link)
                         for link in links)
