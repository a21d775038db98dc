"""What the outage fallback knows about a webhook's caller without the database: the Twilio
form fields it keeps (``webhook_form``) and the caller's language (``caller_locale``).

The caller's path records the language each call hears after every successful webhook
(``remember_locale``, keyed by CallSid and by the caller's number), so when the database
is gone the apology, the hold line and the thanks are in English for a caller who chose
English — also on that caller's next call. The memory is per process: a webhook answered
by another worker that never saw the call falls back to the company default.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import current_app, g, request

from core.ops.spool import FORM_FIELDS

MAX_FIELD = 500
MAX_TRANSCRIPT = 10_000  # as the caller's path keeps a message's transcript

#: Calls (and numbers) whose language this process has seen; the oldest are forgotten first.
LOCALE_MEMORY = 20_000


class LocaleMemory:
    """A bounded map (oldest forgotten first), safe across request threads."""

    def __init__(self, size: int):
        self.size = size
        self._seen: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, key: str, locale: str) -> None:
        with self._lock:
            self._seen[key] = locale
            self._seen.move_to_end(key)
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)

    def recall(self, key: str) -> str | None:
        with self._lock:
            return self._seen.get(key)


def remember_locale(form: Any, locale: str) -> None:
    """The language this call (and this caller's number) hears, for a later outage answer."""
    memory: LocaleMemory = current_app.extensions["ops_locales"]
    for field in ("CallSid", "From"):
        value = (form.get(field) or "").strip()[:80]
        if value:
            memory.remember(f"{field}:{value}", locale)


def webhook_form() -> dict[str, str]:
    try:
        form = request.form
    except Exception:  # noqa: BLE001
        return {}
    return {k: form.get(k, "")[:MAX_TRANSCRIPT if k == "TranscriptionText" else MAX_FIELD]
            for k in FORM_FIELDS if form.get(k)}


def caller_locale(form: dict[str, str] | None = None) -> str:
    """The caller's language without the database: what this request already knew, else what
    this process saw for the call or the number, else the company default."""
    settings = current_app.config["HOTLINE"]
    known = g.get("ivr_locale")
    if known in settings.voices:
        return str(known)
    form = webhook_form() if form is None else form
    memory: LocaleMemory = current_app.extensions["ops_locales"]
    for field in ("CallSid", "From"):
        value = form.get(field)
        found = memory.recall(f"{field}:{value[:80]}") if value else None
        if found in settings.voices:
            return str(found)
    return settings.company.default_locale
