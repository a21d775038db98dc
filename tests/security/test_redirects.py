"""``next=`` accepts only a plain same-site path, on sign-in and on the language switch."""

from __future__ import annotations

import pytest

from core.redirects import safe_next
from tests.console.helpers import csrf_token

HOSTILE = [
    "//evil.example/", "/%09/evil.example/", "/\t/evil.example/", "/\\evil.example/", "/%5Cevil.example",
    "/%2F/evil.example/", "/%252F/evil.example", "https://evil.example/", "javascript:alert(1)",
    "/console/\r\nSet-Cookie: x=1", "/console/%0d%0aSet-Cookie:x=1", "evil.example", "", "/%", "/\x00",
    "///evil.example", "/ /evil.example", "/%20/evil.example",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_the_helper_refuses_anything_but_a_plain_path(value: str) -> None:
    assert safe_next(value) is None


@pytest.mark.parametrize("value", ["/console/", "/console/cases?page=2", "/reports/?from=2026-11-01"])
def test_the_helper_keeps_plain_paths(value: str) -> None:
    assert safe_next(value) == value


@pytest.mark.parametrize("value", HOSTILE)
def test_language_switch_never_leaves_the_site(client, value: str) -> None:
    response = client.get("/console/lang/en", query_string={"next": value})
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"


@pytest.mark.parametrize("value", ["/%09/evil.example/", "/console/\r\nX: y", "//evil.example", "/%0a/x"])
def test_sign_in_never_leaves_the_site(client, make_user, value: str) -> None:
    make_user("alice")
    token = csrf_token(client)
    response = client.post("/console/login", query_string={"next": value},
                           data={"name": "alice", "password": "password123", "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"


def test_sign_in_follows_a_plain_next(client, make_user) -> None:
    make_user("lin", role="lead")
    token = csrf_token(client)
    response = client.post("/console/login?next=/console/cases%3Fpage%3D2",
                           data={"name": "lin", "password": "password123", "csrf_token": token})
    assert response.headers["Location"] == "/console/cases?page=2"
