"""What the call card shows of transfers: the transfer in progress and whom it can go to.

``card(s, settings, user, call)`` → ``{"state", "mode", "to", "target", "targets"}``: ``state`` is
the call's transfer (``dialing``, ``consult``, ``three_way``, ``done``, ``cancelled``, ``failed``
or None), ``targets`` the picker's choices — the lead, each agent free now, each queue (skill).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Call, Presence, Role, User
from ivr import prompts
from ivr.requeue import SKILLS

MAX_AGENTS = 30
LANGS = ("zh-CN", "en")


def transfer_of(call: Call) -> dict[str, Any] | None:
    transfer = (call.extra or {}).get("transfer")
    return dict(transfer) if isinstance(transfer, dict) else None


def card(s: Session, settings: Settings, user: User, call: Call) -> dict[str, Any]:
    """The card's transfer part; each target's ``label`` in both page languages."""
    transfer = transfer_of(call) or {}
    free = s.scalars(select(User).where(User.role == Role.AGENT, User.presence == Presence.AVAILABLE,
                                        User.active.is_(True), User.endpoint.is_not(None), User.id != user.id)
                     .order_by(User.name).limit(MAX_AGENTS))
    targets: list[dict[str, Any]] = [{"to": "lead", "label": {"zh-CN": "班长(管理人员)", "en": "Team lead (manager)"}}]
    targets += [{"to": f"agent:{a.id}", "label": dict.fromkeys(LANGS, a.display_name or a.name)} for a in free]
    targets += [{"to": f"skill:{skill}", "queue": True,
                 "label": {lang: prompts.option_label(settings, skill, lang) or skill for lang in LANGS}}
                for skill in SKILLS]
    return {"state": transfer.get("state"), "mode": transfer.get("mode"), "to": transfer.get("to"),
            "target": transfer.get("target"), "targets": targets}
