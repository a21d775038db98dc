"""The API's one error text: pydantic's validation errors as ``field: reason; field: reason``."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

_REASONS = {"missing": "required", "model_type": "must be a JSON object", "dict_type": "must be a JSON object",
            "model_attributes_type": "must be a JSON object", "string_type": "must be text",
            "int_type": "must be a whole number", "int_parsing": "must be a whole number",
            "bool_type": "must be true or false", "list_type": "must be a list",
            "extra_forbidden": "not a field of this request", "float_type": "must be a number",
            "float_parsing": "must be a number", "date_from_datetime_parsing": "must be a date YYYY-MM-DD",
            "date_parsing": "must be a date YYYY-MM-DD"}


def _reason(err: dict[str, Any]) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in _REASONS:
        return _REASONS[kind]
    if kind == "literal_error":
        return "must be one of " + str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return "must not be blank" if ctx.get("pattern") == r"\S" else f"must match {ctx.get('pattern')}"
    message = str(err["msg"]).removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


_TYPE_TAGS = {"str", "int", "float", "bool", "none", "dict", "list", "constrained-str", "constrained-int",
              "constrained-float", "lax-or-strict", "strict", "lax"}


def _where(loc: tuple[Any, ...]) -> str:
    """``context.a`` / ``weekdays[2]``; pydantic's union branch tags (``str``, ``int``…) are left out."""
    parts = [p for p in loc if isinstance(p, int) or (p not in _TYPE_TAGS and "[" not in str(p))]
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".") or "body"


def describe(exc: ValidationError) -> str:
    """``field: reason`` for every invalid field, joined with ``"; "`` (a union's reasons with "or")."""
    reasons: dict[str, list[str]] = {}
    for err in exc.errors(include_url=False):
        found = reasons.setdefault(_where(err["loc"]), [])
        reason = _reason(err)
        if reason not in found:
            found.append(reason)
    return "; ".join(f"{where}: {' or '.join(found)}" for where, found in reasons.items())
