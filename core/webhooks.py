"""Twilio webhook plumbing, written once for every part that answers Twilio (the caller's
path in ``ivr``, outbound campaign calls, the console's transcription and transfer webhooks,
the outage fallback).

- The signature guard is ``core.signatures`` (every ``/ivr/`` request, before any view).
- TwiML pieces (``<Say>`` with the locale's voice, absolute URLs) are in ``core.twiml``.
- ``form_text``/``form_int``/``form_choice``/``arg_int``/``arg_text``: request values with bounds — a
  length limit, a number range, a list of allowed values; odd input becomes the default, never
  an error.
- ``safe_webhook(answer)``: a view that fails is rolled back and answered with ``answer()``
  (safe TwiML), never a 500. A transaction whose database connection was lost is run once more
  on a new connection first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

from flask import current_app, request

from core.db import session
from core.ops.fallback import connection_lost, forget_failure

MAX_TEXT = 500  # longest free text kept from a Twilio field (speech results, URLs)
MAX_ID = 2**31 - 1  # ids and counters in query strings

#: ``CallStatus`` values Twilio sends (its call resource's status list).
CALL_STATUSES = frozenset({"queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed",
                           "no-answer", "canceled"})

View = TypeVar("View", bound=Callable[..., Any])


def bounded_int(values: Mapping[str, str], key: str, default: int = 0, lo: int = 0, hi: int = 10**9) -> int:
    """A bounded integer from a Twilio parameter (odd, missing or huge values → default/bounds)."""
    raw = (values.get(key) or "").strip()[:20]
    try:
        value = int(float(raw))
    except (ValueError, OverflowError):
        return default
    return min(hi, max(lo, value))


def form_text(key: str, limit: int = MAX_TEXT) -> str:
    """A form field, stripped and cut to ``limit`` characters ("" when missing)."""
    return (request.form.get(key) or "").strip()[:limit]


def arg_text(key: str, limit: int = 20) -> str:
    """A query-string word our own URLs carry (a reason, an option), cut to ``limit``."""
    return (request.args.get(key) or "").strip()[:limit]


def form_int(key: str, default: int = 0, lo: int = 0, hi: int = 10**9) -> int:
    return bounded_int(request.form, key, default, lo, hi)


def arg_int(key: str, default: int = 0, lo: int = 0, hi: int = MAX_ID) -> int:
    """A query-string number (the ids our own URLs carry)."""
    return bounded_int(request.args, key, default, lo, hi)


def form_choice(key: str, allowed: Collection[str], default: str = "") -> str:
    """A form field that must be one of ``allowed`` (Twilio's documented values), else ``default``."""
    value = form_text(key, 64)
    return value if value in allowed else default


def safe_webhook(answer: Callable[[], Any]) -> Callable[[View], View]:
    """On an internal error: roll back and return ``answer()`` (never a 500). A lost database
    connection is not an error of the request: the view runs once more on a new connection."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - Twilio must get TwiML
                if not connection_lost(exc):
                    return _failed(answer, "failed")
                current_app.logger.warning("webhook %s lost its database connection; running it again",
                                           request.path)
                session().rollback()
                forget_failure()
            try:
                return view(*args, **kwargs)
            except Exception:  # noqa: BLE001
                return _failed(answer, "failed again")

        return wrapper  # type: ignore[return-value]

    return decorate


def _failed(answer: Callable[[], Any], how: str) -> Any:
    current_app.logger.exception("webhook %s %s", request.path, how)
    session().rollback()
    return answer()
