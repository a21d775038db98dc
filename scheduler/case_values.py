"""What a case gives a follow-up call's script: the agent who handled it (``{agent_id}`` — their
工号 — and ``{surname}``), the day it was reported (``{date}``), what it was about (``{issue}``),
what was done (``{result}``, the case's resolution) and its reference (``{case_ref}``).
A value the case cannot give is left out, so pre-flight names it instead of the call reading
stock text (工号 ***)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Case, User


def _agent(s: Session, case: Case) -> User | None:
    for user_id in (case.assigned_to_id, case.created_by_id):
        user = s.get(User, user_id) if user_id else None
        if user is not None and user.agent_code:
            return user
    return None


def case_values(s: Session, settings: Settings, case: Case, locale: str) -> dict[str, str]:
    values: dict[str, Any] = {"case_ref": case.ref}
    local = case.created_at.replace(tzinfo=UTC).astimezone(settings.hours.zone)
    values["date"] = f"{local.month}月{local.day}日" if locale == "zh-CN" else f"{local:%d %B}"
    if (case.description or "").strip():
        values["issue"] = case.description.strip()[:80]
    resolution = ((case.outcome or {}).get("resolution") or {}).get("text")
    if resolution:
        values["result"] = str(resolution)[:200]
    agent = _agent(s, case)
    if agent is not None:
        values["agent_id"] = agent.agent_code
        if agent.display_name and locale == "zh-CN":
            values["surname"] = agent.display_name.strip()[:1]
    return {k: str(v) for k, v in values.items() if str(v).strip()}
