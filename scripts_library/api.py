"""``POST /api/check`` and ``POST /api/suggest``: the CLI's JSON over HTTP.

Body ``{"text": str, "locale"?: str, "k"?: int, "kinds"?: [str], "context"?: {placeholder: value}}``; any
bearer token (agent, lead or admin). Bad input answers 400 ``{"error": ...}``, never 500.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify, request

from core import db
from core.api import api_auth, openapi_paths
from core.config import ConfigError

from . import service
from .loader import LibraryError
from .locales import UnknownLocale, canonical_locale

db.register_models("scripts_library.models")

bp = Blueprint("library_api", __name__, url_prefix="/api")

MAX_K = 50


class _BadRequest(Exception):
    pass


def _body() -> tuple[str, str, dict[str, Any] | None, dict[str, Any]]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise _BadRequest("the body must be a JSON object with \"text\"")
    text = data.get("text")
    if text is None:
        raise _BadRequest("text: required")
    if not isinstance(text, str):
        raise _BadRequest("text: must be a string")
    limit = service.current_settings().max_text_chars
    if len(text) > limit:
        raise _BadRequest(f"text: {len(text)} characters, the limit is {limit}")
    locale_raw = data.get("locale")
    if locale_raw is not None and not isinstance(locale_raw, str):
        raise _BadRequest("locale: must be a string such as zh-CN or en")
    try:
        locale = canonical_locale(locale_raw)
    except UnknownLocale as exc:
        raise _BadRequest(f"locale: {exc}") from exc
    context = data.get("context")
    if context is not None and (not isinstance(context, dict) or
                                not all(isinstance(v, str | int | float) and not isinstance(v, bool)
                                        for v in context.values())):
        raise _BadRequest("context: must be an object of placeholder → string or number")
    return text, locale, context, data


def _answer(kind: str):
    try:
        text, locale, context, data = _body()
        if kind == "check":
            return jsonify(service.check(text, locale, context))
        k = data.get("k", service.current_settings().default_k)
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= MAX_K:
            raise _BadRequest(f"k: must be an integer from 0 to {MAX_K}")
        kinds = data.get("kinds", ["approved"])
        if (not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds)
                or not set(kinds) <= {"approved", "prompt"}):
            raise _BadRequest('kinds: a list of "approved" and/or "prompt"')
        return jsonify(service.suggest(text, locale, k, context, tuple(kinds)))
    except _BadRequest as exc:
        return jsonify(error=str(exc)), 400


@bp.post("/check")
@api_auth()
def check_view():
    """Forbidden phrasing in the text (same JSON as ``python -m scripts_library check``)."""
    return _answer("check")


@bp.post("/suggest")
@api_auth()
def suggest_view():
    """Approved replies ranked for the text (same JSON as ``python -m scripts_library suggest``)."""
    return _answer("suggest")


_REQUEST = {
    "type": "object", "required": ["text"],
    "properties": {
        "text": {"type": "string", "description": "what was said or typed; empty gives []"},
        "locale": {"type": "string", "default": "zh-CN", "description": "zh-CN, zh-TW, zh-HK or en"},
        "k": {"type": "integer", "minimum": 0, "maximum": MAX_K, "default": 3, "description": "suggest only"},
        "kinds": {"type": "array", "items": {"enum": ["approved", "prompt"]}, "default": ["approved"],
                  "description": "suggest only: which kinds of entries to rank"},
        "context": {"type": "object", "additionalProperties": {"type": ["string", "number"]},
                    "description": "placeholder values: title, hours, agent_id, company…"},
    },
}
_SCHEMAS = {
    "LibraryRequest": _REQUEST,
    "Flag": {"type": "object", "required": ["start", "end", "situation", "forbidden", "score", "alternatives"],
             "properties": {"start": {"type": "integer"}, "end": {"type": "integer"},
                            "situation": {"type": "string"}, "forbidden": {"type": "string"},
                            "score": {"type": "number"}, "alternatives": {"type": "array", "items": {"type": "string"}},
                            "entry_id": {"type": "string"}, "matched": {"type": "string"}}},
    "Suggestion": {"type": "object", "required": ["id", "situation", "text", "score"],
                   "properties": {"id": {"type": "string"}, "situation": {"type": "string"},
                                  "text": {"type": "string"}, "score": {"type": "number"}}},
}


def _operation(summary: str, item: str) -> dict[str, Any]:
    error = {"description": "bad input or missing token",
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {"post": {
        "summary": summary, "tags": ["library"],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/LibraryRequest"}}}},
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {
                "type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}}}},
            "400": error, "401": error,
        }}}


def init_app(app: Flask) -> None:
    """Register the blueprint, apply the ``library:`` settings and load the library once."""
    settings = app.config.get("HOTLINE")
    library = getattr(settings, "library", None)
    company = getattr(settings, "company", None)
    defaults = {}
    if company is not None:
        defaults = {"zh-CN": {"company": company.name, "department": company.department},
                    "en": {"company": company.name_en, "department": company.department_en}}
    service.configure(library, defaults)
    try:
        if library is not None and library.dir:
            service.ensure_library(library.dir)
        service.get_matcher()
    except LibraryError as exc:
        raise ConfigError(f"invalid setting library.dir: the script library does not load: {exc}") from exc
    app.register_blueprint(bp)
    openapi_paths(app, {"/api/check": _operation("Flag forbidden phrasing (HANDBOOK S1–S9)", "Flag"),
                   "/api/suggest": _operation("Rank approved replies for what was just said", "Suggestion")},
                  _SCHEMAS)
    app.extensions["scripts_library"] = service
