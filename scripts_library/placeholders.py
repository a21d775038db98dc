"""Filling ``{placeholders}`` in library texts.

The handbook's «X先生/小姐» is ``{title}``, «XX小时» is ``{hours}小时``, «工号» is ``{agent_id}``.
A value from ``context`` wins; otherwise the readable default of the locale below is used,
so a suggestion never shows a raw ``{name}`` (``{title}`` → 先生/小姐 or Sir/Madam).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_RE = re.compile(r"\{([a-z_]+)\}")

DEFAULTS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "先生/小姐", "hours": "24", "agent_id": "***", "company": "SCC顺创",
        "department": "客服部", "position": "前面", "wait_minutes": "几", "surname": "*",
        "date": "前几", "issue": "的", "result": "我们已经处理完毕", "amount": "相关",
        "due_date": "规定日期", "area": "您所在区域", "start": "通知时间", "end": "恢复时间",
        "open_hours": "9:30至17:50",
    },
    "en": {
        "title": "Sir/Madam", "hours": "24", "agent_id": "***", "company": "SCC Shunchuang",
        "department": "Customer Service", "position": "next", "wait_minutes": "a few",
        "surname": "*", "date": "an earlier date", "issue": "an issue", "result": "it has been resolved",
        "amount": "the outstanding amount", "due_date": "the due date", "area": "your area",
        "start": "the announced time", "end": "further notice", "open_hours": "9:30 to 17:50",
    },
}


def fill(text: str, locale: str, context: Mapping[str, Any] | None = None) -> str:
    """Replace every ``{name}`` by ``context[name]`` or the locale's default."""
    if "{" not in text:
        return text  # most library texts: no placeholder (a check fills hundreds of alternatives)
    defaults = DEFAULTS.get(locale, DEFAULTS["en"])
    ctx = context or {}

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        value = ctx.get(name)
        if value is None or value == "":
            return defaults.get(name, m.group(0))
        return str(value)

    return _RE.sub(one, text)
