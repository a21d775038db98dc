"""The JSON API base: ``/api`` blueprints, bearer tokens, JSON errors, the OpenAPI document.

Parts register their own blueprints under ``/api`` and describe their paths with
``openapi_paths(app, {...})`` from their ``init_app``; ``GET /api/openapi.json`` serves the
app's merged document (kept on the app: two apps in one process never share it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from core import disclosure
from core.db import session
from core.models import User
from core.users import user_for_token

bp = Blueprint("api", __name__, url_prefix="/api")

OPENAPI_KEY = "openapi"
ERROR_SCHEMA = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}


class ApiError(Exception):
    """Raise from an API view or service to answer ``{"error": message}`` with ``status``."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def _registry(app: Flask) -> dict[str, dict[str, Any]]:
    return app.extensions.setdefault(OPENAPI_KEY, {"paths": {}, "schemas": {"Error": ERROR_SCHEMA}})


def openapi_paths(app: Flask, paths: dict[str, dict[str, Any]], schemas: dict[str, Any] | None = None) -> None:
    """Add path items (OpenAPI 3.1) to ``app``'s document; later parts may add methods to a path."""
    registry = _registry(app)
    for path, item in paths.items():
        registry["paths"].setdefault(path, {}).update(item)
    registry["schemas"].update(schemas or {})


def current_user() -> User:
    return g.api_user


def api_auth(roles: Iterable[str] | None = None) -> Callable:
    """Require ``Authorization: Bearer <token>``; optionally one of ``roles``."""
    allowed = set(roles or ())

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            user = user_for_token(session(), token.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                return jsonify(error="missing or invalid bearer token"), 401
            if allowed and user.role not in allowed:
                return jsonify(error=f"this needs the role {' or '.join(sorted(allowed))}"), 403
            g.api_user = user
            return view(*args, **kwargs)

        return wrapper

    return decorator


def json_body(required: Iterable[str] = ()) -> dict[str, Any]:
    """The request's JSON object, or ApiError(400) naming what is wrong."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError("the body must be a JSON object")
    for field in required:
        if field not in data:
            raise ApiError(f"{field}: required")
    return data


def openapi_document(app: Flask) -> dict[str, Any]:
    registry = _registry(app)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hotline API", "version": "1.0.0",
                 "description": "Queue, calls, cases, the script library, campaigns and reports."},
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": registry["schemas"],
        },
        "security": [{"bearer": []}],
        "paths": {path: _with_error_responses(item) for path, item in sorted(registry["paths"].items())},
    }


_ERROR_RESPONSE = {"description": "Bad input, missing or invalid token, not allowed or not found",
                   "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _with_error_responses(item: dict[str, Any]) -> dict[str, Any]:
    """Every operation may answer the Contract's JSON error with a 4xx (api_auth: 401/403)."""
    out = dict(item)
    for method in _METHODS:
        operation = out.get(method)
        if isinstance(operation, dict):
            responses = dict(operation.get("responses") or {})
            responses.setdefault("4XX", _ERROR_RESPONSE)
            out[method] = {**operation, "responses": responses}
    return out


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(openapi_document(current_app))


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def _handle_api_error(exc: ApiError):
    return jsonify(error=exc.message), exc.status


def _handle_http_error(exc: HTTPException):
    if not _wants_json():
        return exc
    response = jsonify(error=exc.description or exc.name)
    for name, value in exc.get_headers():  # keep e.g. Allow on 405 (RFC 9110)
        if name.lower() != "content-type":
            response.headers[name] = value
    return response, exc.code or 500


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    disclosure.init_app(app)  # one audit entry per response that showed full phone numbers (H25)
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(HTTPException, _handle_http_error)
    openapi_paths(app, {"/api/openapi.json": {"get": {
        "summary": "This document", "security": [],
        "responses": {"200": {"description": "OpenAPI 3.1 document",
                              "content": {"application/json": {"schema": {"type": "object"}}}}}}}})
