"""A campaign's script: the steps an outbound call goes through, in the H20 order.

A campaign's script is a list of steps: a scripted-response library entry id (``outbound_verify``,
``outbound_identify``, ``survey_timeliness``…) or a custom ``{"id", "text", "kind"}``; an empty
script is the purpose's default (``DEFAULT_SCRIPTS``). What each step says is in
``scheduler.script_wording``, how the contact's answers are read in ``scheduler.script_answers``.
Each step has a *kind*:

- ``say``: spoken, then the next step;
- ``verify`` (H20 verify identity: 1 / "是" continues, 2 / "不是" ends politely),
- ``convenient`` (H20 "is now convenient?": no → try another time), ``confirm`` (H20 "is it clear
  now?": no → a follow-up case under the original one), ``satisfied`` (H17): yes/no questions;
- ``scale`` (H18/H19 survey question: 1–5 = 很满意 满意 基本满意 不满意 很不满意, keypad or speech);
- ``close``: spoken, then hang up (H10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

STEP_KINDS: dict[str, str] = {
    "outbound_verify": "verify",
    "outbound_convenient": "convenient",
    "survey_intro": "convenient",
    "outbound_confirm": "confirm",
    "complaint_callback": "satisfied",
    "survey_timeliness": "scale",
    "survey_attitude": "scale",
    "survey_quality": "scale",
    "outbound_close": "close",
    "survey_close": "close",
    "outbound_retry_later": "close",
}
KINDS = {"say", "verify", "convenient", "confirm", "satisfied", "scale", "close"}
QUESTION_KINDS = {"verify", "convenient", "confirm", "satisfied", "scale"}

# Default scripts per purpose, in the H20 order: identify yourself, verify, convenient, answer, close.
DEFAULT_SCRIPTS: dict[str, list[str]] = {
    "general_callback": ["outbound_verify", "outbound_identify", "outbound_convenient", "outbound_result",
                         "outbound_confirm", "outbound_close"],
    "complaint_followup": ["outbound_verify", "complaint_callback", "outbound_close"],  # H17
    "repair_satisfaction": ["outbound_verify", "survey_intro", "survey_timeliness", "survey_attitude",
                            "survey_quality", "survey_close"],  # H16
    "survey": ["outbound_verify", "outbound_identify", "outbound_convenient", "survey_timeliness",
               "survey_attitude", "survey_quality", "survey_close"],  # H18
    "outage_notice": ["outage_notice", "outbound_close"],  # H21: as soon as the notice arrives
    "fee_reminder": ["outbound_verify", "fee_reminder", "outbound_close"],  # H22 (stage = entry id)
}


@dataclass(frozen=True)
class Step:
    id: str
    kind: str
    text: str | None = None  # custom text (else the library / default wording of ``id``)


def kind_of(step_id: str) -> str:
    if step_id in STEP_KINDS:
        return STEP_KINDS[step_id]
    if step_id.startswith("survey_"):
        return "scale"
    return "say"


class ScriptError(ValueError):
    """A bad script; the message names the step."""


def parse_script(raw: Any, purpose: str) -> list[Step]:
    """Validate a campaign's script (ids or ``{"id","text","kind"}``); empty → the purpose's default."""
    items = raw if raw else DEFAULT_SCRIPTS.get(purpose, DEFAULT_SCRIPTS["general_callback"])
    if not isinstance(items, list):
        raise ScriptError("script: must be a list of library entry ids")
    if len(items) > 30:
        raise ScriptError("script: at most 30 steps")
    steps = []
    for n, item in enumerate(items, start=1):
        if isinstance(item, str):
            step_id = item.strip()
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,59}", step_id):
                raise ScriptError(f"script[{n}]: not a library entry id: {item!r}")
            steps.append(Step(step_id, kind_of(step_id)))
        elif isinstance(item, dict):
            step_id = str(item.get("id") or f"custom_{n}")[:60]
            kind = str(item.get("kind") or kind_of(step_id))
            text = item.get("text")
            if kind not in KINDS:
                raise ScriptError(f"script[{n}]: kind must be one of {', '.join(sorted(KINDS))}")
            if text is not None and (not isinstance(text, str) or len(text) > 1000):
                raise ScriptError(f"script[{n}]: text must be at most 1000 characters")
            steps.append(Step(step_id, kind, text))
        else:
            raise ScriptError(f"script[{n}]: must be an entry id or an object")
    if not steps:
        raise ScriptError("script: needs at least one step")
    return steps


def script_ids(steps: list[Step]) -> list[Any]:
    return [s.id if s.text is None and s.kind == kind_of(s.id) else
            {"id": s.id, "kind": s.kind, **({"text": s.text} if s.text else {})} for s in steps]
