"""Every /api route family refuses hostile or empty input with the one JSON error shape and
writes nothing: JSON nested 1,000 levels deep (≈2 KB, once a RecursionError), bodies over
``server.max_body_bytes`` (413) and empty parameters (``to=``, ``"phone": ""``: 400 naming
the field)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from core.models import AuditLog, Case

MAX_BODY = 16 * 1024  # room for the ≈7 KB deep objects below

#: route family → JSON-body operations (method, path); ids that do not exist are fine: the
#: body is refused before the route looks anything up
JSON_ROUTES: dict[str, list[tuple[str, str]]] = {
    "ivr": [("POST", "/api/agents/me/presence"), ("POST", "/api/calls/CA1/control"),
            ("POST", "/api/calls/CA1/recording"), ("POST", "/api/calls/CA1/disposition"),
            ("POST", "/api/calls/CA1/supervise"), ("POST", "/api/calls/CA1/transfer")],
    "cases": [("POST", "/api/cases"), ("PATCH", "/api/cases/C20260101-0001")],
    "library": [("POST", "/api/check"), ("POST", "/api/suggest")],
    "campaigns": [("POST", "/api/campaigns"), ("POST", "/api/dnc"),
                  ("POST", "/api/campaigns/attempts/1/disposition"), ("POST", "/api/campaigns/1/contacts/1/skip")],
}
#: route family → (method, path, JSON body or None, the field the error must name)
EMPTY: dict[str, list[tuple[str, str, Any, str]]] = {
    "ivr": [("POST", "/api/agents/me/presence", {"state": ""}, "state"),
            ("POST", "/api/calls/CA1/control", {"action": ""}, "action"),
            ("POST", "/api/calls/CA1/recording", {"action": ""}, "action"),
            ("POST", "/api/calls/CA1/disposition", {"code": ""}, "code"),
            ("POST", "/api/calls/CA1/supervise", {"mode": ""}, "mode"),
            ("POST", "/api/calls/CA1/transfer", {"action": ""}, "action"),
            ("POST", "/api/calls/CA1/transfer", {"mode": "warm", "to": ""}, "to")],
    "cases": [("POST", "/api/cases", {"kind": "", "description": "x"}, "kind"),
              ("POST", "/api/cases", {"kind": "inquiry", "description": "   "}, "description"),
              ("GET", "/api/cases?phone=", None, "phone"), ("GET", "/api/cases?status=", None, "status"),
              ("GET", "/api/cases?page=", None, "page")],
    "library": [("POST", "/api/check", {"text": "你好", "kinds": []}, "kinds"),
                ("POST", "/api/suggest", {"text": "你好", "kinds": []}, "kinds")],
    "campaigns": [("POST", "/api/campaigns", {"name": ""}, "name"), ("POST", "/api/dnc", {"phone": ""}, "phone"),
                  ("POST", "/api/campaigns/attempts/1/disposition", {"code": ""}, "code"),
                  ("POST", "/api/campaigns/1/contacts/1/skip", {"reason": ""}, "reason")],
    "reports": [("GET", "/api/reports/summary?to=", None, "to"),
                ("GET", "/api/reports/summary?from=&to=2026-01-01", None, "from")],
}


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"server": {"max_body_bytes": MAX_BODY}}


@pytest.fixture
def lead(make_user: Any) -> dict[str, str]:
    _, token = make_user("lin", role="lead")
    return {"Authorization": f"Bearer {token}"}


def _written(app: Any) -> tuple[int, int]:
    with app.extensions["db_sessionmaker"]() as s:
        return (s.scalar(select(func.count()).select_from(AuditLog)) or 0,
                s.scalar(select(func.count()).select_from(Case)) or 0)


def _error(response: Any, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.data[:200])
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and isinstance(body["error"], str)
    return body["error"]


@pytest.mark.parametrize("family", sorted(JSON_ROUTES))
def test_json_nested_1000_levels_deep_is_a_400(app: Any, client: Any, lead: dict[str, str], family: str) -> None:
    before = _written(app)
    for deep in ("[" * 1000 + "]" * 1000, '{"state": ' + '{"a": ' * 1000 + "1" + "}" * 1001):
        for method, path in JSON_ROUTES[family]:
            response = client.open(path, method=method, data=deep, content_type="application/json", headers=lead)
            assert _error(response, 400).startswith("body: JSON nested deeper than"), (method, path)
    assert _written(app) == before


@pytest.mark.parametrize("family", sorted(JSON_ROUTES))
def test_a_body_over_the_limit_is_a_413(app: Any, client: Any, lead: dict[str, str], family: str) -> None:
    before = _written(app)
    big = json.dumps({"text": "x" * MAX_BODY, "name": "x", "phone": "x", "state": "away", "kind": "inquiry"})
    for method, path in JSON_ROUTES[family]:
        response = client.open(path, method=method, data=big, content_type="application/json", headers=lead)
        assert _error(response, 413).startswith("body: larger than"), (method, path)
    assert _written(app) == before


def test_a_contact_list_over_the_limit_is_a_413(app: Any, client: Any, lead: dict[str, str]) -> None:
    created = client.post("/api/campaigns", json={"name": "big"}, headers=lead)
    assert created.status_code == 201
    before = _written(app)
    csv = "phone\n" + "13912345678\n" * (MAX_BODY // 10)
    response = client.post(f"/api/campaigns/{created.get_json()['id']}/contacts", data=csv,
                           content_type="text/csv", headers=lead)
    assert _error(response, 413).startswith("body: larger than")
    assert _written(app) == before


@pytest.mark.parametrize("family", sorted(EMPTY))
def test_empty_parameters_are_a_400_naming_the_field(app: Any, client: Any, lead: dict[str, str],
                                                     family: str) -> None:
    before = _written(app)
    for method, path, body, field in EMPTY[family]:
        response = client.open(path, method=method, json=body, headers=lead)
        assert _error(response, 400).startswith(f"{field}:"), (method, path, response.get_json())
    assert _written(app) == before


def test_every_json_operation_and_query_parameter_is_covered(client: Any, lead: dict[str, str]) -> None:
    """New JSON routes join the tables above; every query parameter of the document refuses ``""``."""
    doc = client.get("/api/openapi.json").get_json()
    listed = {(m, p.split("?")[0]) for routes in JSON_ROUTES.values() for m, p in routes}
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                sample = path.replace("{ref}", "C20260101-0001").replace("{attempt_id}", "1").replace("{call_sid}", "CA1")
                sample = sample.replace("{campaign_id}", "1").replace("{contact_id}", "1")
                assert (method.upper(), sample) in listed, f"add {method.upper()} {path} to JSON_ROUTES"
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                url = path.replace("{campaign_id}", "1") + f"?{parameter['name']}="
                response = client.open(url, method=method, headers=lead)
                assert _error(response, 400).startswith(f"{parameter['name']}:"), url


def test_text_with_a_nul_character_is_a_422_naming_the_field(app: Any, client: Any, lead: dict[str, str]) -> None:
    """A NUL in any text field is refused before it reaches the database (PostgreSQL cannot store
    it): 422 (the request matches the schema; a rule refuses it) naming the field, nothing written."""
    before = _written(app)
    for path, body, field in (("/api/campaigns", {"name": "a\u0000b"}, "name"),
                              ("/api/cases", {"kind": "inquiry", "description": "漏水\u0000"}, "description"),
                              ("/api/check", {"text": "\u0000"}, "text")):
        response = client.post(path, json=body, headers=lead)
        assert _error(response, 422).startswith(f"{field}:"), (path, response.get_json())
        assert "NUL" in response.get_json()["error"]
    assert _written(app) == before
