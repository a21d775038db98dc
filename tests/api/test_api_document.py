"""The API document is generated from the routes' models: it validates as OpenAPI 3.1, lists
every ``/api`` route with request and response schemas, and no route module writes schema
dicts by hand."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[2]
#: what a hand-written OpenAPI/JSON-schema fragment looks like in Python source
HAND_WRITTEN = re.compile(r"openapi_paths\(|[\"'](type|properties|requestBody|parameters|\$ref)[\"']\s*:")
METHODS = {"get", "post", "put", "patch", "delete"}


def _document(client: Any) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _route_modules() -> list[Path]:
    """Every module that declares /api routes (a blueprint from ``core.api``)."""
    found = []
    for path in ROOT.rglob("*.py"):
        if any(part in {"tests", "migrations", ".venv", "bench"} for part in path.relative_to(ROOT).parts):
            continue
        text = path.read_text(encoding="utf-8")
        if "api_blueprint(" in text or "APIBlueprint(" in text or ("from core.api import" in text
                                                                   and "responses(" in text):
            found.append(path)
    return found


def test_the_document_validates_as_openapi_3_1(client: Any) -> None:
    doc = _document(client)
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # raises on any structural error


def test_every_api_route_is_documented_with_request_and_response_schemas(app: Any, client: Any) -> None:
    doc = _document(client)
    documented = {(method, path) for path, item in doc["paths"].items() for method in item}
    missing, bare = [], []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint.endswith(".static"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) & {m.upper() for m in METHODS}):
            if (method.lower(), path) not in documented:
                missing.append(f"{method} {path}")
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            ok = [code for code in operation["responses"] if code.startswith("2")]
            if not ok or not all(operation["responses"][code].get("content") for code in ok):
                bare.append(f"{method} {path}: no response schema")
            names = set(re.findall(r"{(\w+)}", path))
            params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            if names != params:
                bare.append(f"{method} {path}: path parameters {sorted(params)}")
            if method in {"post", "patch"} and "requestBody" not in operation and not path.endswith(
                    ("/start", "/pause", "/resume", "/cancel", "/dial")):
                bare.append(f"{method} {path}: no request body schema")
            if operation.get("security") and "401" not in operation["responses"]:
                bare.append(f"{method} {path}: 401 not documented")
    assert not missing, missing
    assert not bare, bare


def test_errors_share_one_documented_shape(client: Any) -> None:
    doc = _document(client)
    assert doc["components"]["schemas"]["Error"]["required"] == ["error"]
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            for code, response in operation["responses"].items():
                if code.startswith("4"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, code)


def test_no_route_module_writes_schemas_by_hand() -> None:
    modules = _route_modules()
    assert len(modules) >= 7, [str(m) for m in modules]  # core, ivr, cases, library, campaigns ×2, reports
    offenders = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}" for path in modules
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if HAND_WRITTEN.search(line)]
    assert not offenders, offenders


def test_the_check_catches_a_hand_written_fragment() -> None:
    assert HAND_WRITTEN.search('openapi_paths({"/api/x": {}})')
    assert HAND_WRITTEN.search('_CASE = {"type": "object", "properties": {}}')
    assert not HAND_WRITTEN.search("class CaseReply(Reply):")
