"""Reply guidance: the library's ``check`` and ``suggest`` with the call's
context — «X先生/小姐» is the caller's surname and title (H6), «工号» the agent's ID, «XX小时»
the reply deadline (S8/S9) — and offsets a browser can use (UTF-16 code units).
"""

from __future__ import annotations

import logging
from typing import Any

from agent_console.desk import caller_title
from core.config import Settings
from core.models import Call, User
from scripts_library import service

log = logging.getLogger(__name__)


def context_for(settings: Settings, user: User | None, call: Call | None, locale: str) -> dict[str, Any]:
    context: dict[str, Any] = {"hours": settings.cases.complaint_reply_hours}
    if user is not None and user.agent_code:
        context["agent_id"] = user.agent_code
    title = caller_title(call.caller, locale) if call is not None else None
    if title:
        context["title"] = title
    return context


def utf16_index(text: str, index: int) -> int:
    """A Python (code point) offset as a JavaScript string offset."""
    return len(text[:index].encode("utf-16-le")) // 2


def check(text: str, locale: str, context: dict[str, Any]) -> list[dict[str, Any]]:
    """Forbidden phrasing in ``text`` (the library's flags plus ``js_start``/``js_end``)."""
    try:
        flags = service.check(text, locale, context)
    except Exception:  # noqa: BLE001 - guidance is advice: a library failure must not break a call
        log.exception("library check failed")
        return []
    for flag in flags:
        flag["js_start"] = utf16_index(text, flag["start"])
        flag["js_end"] = utf16_index(text, flag["end"])
    return flags


def suggest(text: str, locale: str, context: dict[str, Any], k: int = 3) -> list[dict[str, Any]]:
    try:
        return service.suggest(text, locale, k=k, context=context)
    except Exception:  # noqa: BLE001
        log.exception("library suggest failed")
        return []


def guide(settings: Settings, user: User | None, call: Call | None, text: str, locale: str,
          k: int = 3) -> dict[str, Any]:
    """What the reply box shows for ``text``: flags with alternatives, and suggestions."""
    text = text[: settings.library.max_text_chars]
    context = context_for(settings, user, call, locale)
    return {"flags": check(text, locale, context), "suggestions": suggest(text, locale, context, k)}
