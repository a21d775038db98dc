"""Request bodies are bounded before anything parses them (bad input never gives a 500).

- Size: ``server.max_body_bytes`` is Flask's ``MAX_CONTENT_LENGTH``; a body announced bigger
  is refused in ``before_request`` (before sign-in checks, the sign-in rate limiter or a view
  read it) and every 413 — also one raised while reading a chunked body — is JSON.
- Depth: JSON deeper than ``server.max_json_depth`` gets 400 ``{"error": "body: …"}``. The
  app's JSON provider counts brackets (outside strings) before ``json.loads`` runs, so
  ``get_json`` anywhere fails cleanly instead of hitting Python's recursion limit.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


class TooDeep(ValueError):
    """JSON nested deeper than allowed; a ValueError so ``get_json`` treats it as bad JSON."""


def json_depth(text: str | bytes, limit: int) -> int:
    """The nesting depth of ``text``, counting up to ``limit + 1`` (strings are skipped)."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8", "replace")
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        mark = match.group()
        if mark in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        elif mark in "]}":
            depth -= 1
    return deepest


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing documents nested deeper than ``server.max_json_depth``."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        limit = _depth_limit(self._app)
        if json_depth(s, limit) > limit:
            raise TooDeep(f"body: JSON nested deeper than {limit} levels")
        return super().loads(s, **kwargs)


def _depth_limit(app: Flask) -> int:
    settings = app.config.get("HOTLINE")
    return settings.server.max_json_depth if settings is not None else 32


def too_large(_exc: RequestEntityTooLarge | None = None) -> tuple[Response, int]:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return jsonify(error=f"body: larger than the {limit} bytes allowed (server.max_body_bytes)"), 413


def _refuse_early() -> tuple[Response, int] | None:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        return too_large()
    if request.is_json and request.method in ("POST", "PUT", "PATCH", "DELETE"):
        depth_limit = _depth_limit(current_app)
        if json_depth(request.get_data(cache=True), depth_limit) > depth_limit:
            return jsonify(error=f"body: JSON nested deeper than {depth_limit} levels"), 400
    return None


def init_app(app: Flask) -> None:
    app.json = BoundedJSONProvider(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_early)  # before any other check
    app.register_error_handler(RequestEntityTooLarge, too_large)
