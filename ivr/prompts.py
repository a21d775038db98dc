"""What a caller (or an agent's whisper) hears, asked of the scripted-response library.

Every line is a library prompt (``scripts_library/data/<locale>/prompts_*.yaml``): the
handbook's (``greeting`` H1, ``apology_opener`` H2, ``reassurance`` H3, ``callback_offer`` H9,
``after_hours`` H4, ``closing`` H10, ``manager_transfer`` H11, ``menu``) and the IVR's own
(``prompts_ivr.yaml``: reprompts, confirmations, call-backs, whispers, the outage hold line),
read with ``scripts_library.service.get_prompt`` — so a lead edits them in one place. Views
never hold texts. Also here: recognising spoken menu answers and call-back requests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rapidfuzz import fuzz

from core.config import Settings
from core.ops.fallback import LAST_RESORT
from scripts_library import service as library_service

LOCALES = ("zh-CN", "en")

#: The menu options' names (the agent's whisper, the call card, reports): labels, not lines.
OPTION_LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {"repair": "报修", "complaint": "投诉", "inquiry": "咨询", "fees": "缴费", "emergency": "紧急"},
    "en": {"repair": "Repair", "complaint": "Complaint", "inquiry": "Inquiry", "fees": "Fees", "emergency": "Emergency"},
}

#: The IVR's names for library prompts whose library id differs.
LIBRARY_IDS: dict[str, str] = {"menu_reprompt": "menu_retry"}

# Spoken menu answers (used when the library has no synonyms): option → synonyms.
MENU_SYNONYMS: dict[str, dict[str, list[str]]] = {
    "zh-CN": {
        "repair": ["报修", "维修", "修理", "坏了", "漏水", "没电", "停水", "修一下"],
        "complaint": ["投诉", "不满意", "意见", "举报"],
        "inquiry": ["咨询", "问一下", "查询", "了解", "请问"],
        "fees": ["缴费", "交费", "费用", "物业费", "收费", "账单", "水电费"],
        "emergency": ["紧急", "急事", "救命", "着火", "火灾", "水管爆了", "爆管", "煤气泄漏", "紧急情况"],
        "language": ["English", "英文", "英语"],
    },
    "en": {
        "repair": ["repair", "fix", "broken", "leak", "maintenance", "not working"],
        "complaint": ["complaint", "complain", "unhappy", "not satisfied"],
        "inquiry": ["inquiry", "enquiry", "question", "information", "ask"],
        "fees": ["fees", "fee", "bill", "payment", "pay", "charges"],
        "emergency": ["emergency", "urgent", "fire", "burst pipe", "gas leak", "help"],
        "language": ["Chinese", "Mandarin", "中文", "普通话"],
    },
}

# Library option names that mean the language switch.
_LANGUAGE_ALIASES = {"english", "language", "locale", "chinese", "中文"}

# Spoken requests for a call-back while waiting (H9).
CALLBACK_PHRASES: dict[str, list[str]] = {
    "zh-CN": ["回电", "回电话", "给我回电", "打回来", "回拨"],
    "en": ["call me back", "callback", "call back", "call you back", "ring me back"],
}

_PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)\}")


def library_function(name: str) -> Any | None:
    """The library's service function ``name`` (``scripts_library.service``), or None when it
    has none by that name. Campaign scripts use it too."""
    return getattr(library_service, name, None)


def locale_of(locale: str | None, settings: Settings) -> str:
    return locale if locale in LOCALES else settings.company.default_locale


def base_context(settings: Settings, locale: str) -> dict[str, Any]:
    company = settings.company
    start, end = settings.hours.window
    open_hours = f"{start:%H:%M}-{end:%H:%M}" if end else f"{start:%H:%M}-24:00"
    if locale == "en":
        return {"company": company.name_en, "department": company.department_en, "open_hours": open_hours}
    return {"company": company.name, "department": company.department, "open_hours": open_hours}


def _fill(text: str, context: Mapping[str, Any]) -> str:
    return _PLACEHOLDER.sub(lambda m: str(context.get(m.group(1), m.group(0))), text)


def text(settings: Settings, prompt_id: str, locale: str | None, **context: Any) -> str:
    """The library's prompt ``prompt_id`` in ``locale`` with ``context`` filled in (never raises).

    When the library cannot give it (its files missing or broken), the call still says
    something: the one last-resort line of the outage fallback (``core.ops.fallback.LAST_RESORT``)."""
    loc = locale_of(locale, settings)
    ctx = {**base_context(settings, loc), **context}
    get_prompt = library_function("get_prompt")
    found = None
    if get_prompt is not None:
        try:
            found = get_prompt(LIBRARY_IDS.get(prompt_id, prompt_id), loc, context=ctx)
        except Exception:  # noqa: BLE001 - a library problem must not break a call
            found = None
    if not (isinstance(found, str) and found.strip()):
        return LAST_RESORT[loc]
    return _fill(found, ctx)


def option_label(settings: Settings, option: str | None, locale: str | None) -> str:
    loc = locale_of(locale, settings)
    return OPTION_LABELS[loc].get(option or "", option or "")


def canonical_option(option: str) -> str:
    """The IVR's name for a library menu option (``english`` → ``language``)."""
    key = option.strip().lower()
    return "language" if key in _LANGUAGE_ALIASES else key


def menu_synonyms(locale: str) -> dict[str, list[str]]:
    """option → spoken synonyms (from the library when it has them)."""
    get = library_function("get_menu_synonyms")
    if get is not None:
        try:
            found = get(locale)
        except Exception:  # noqa: BLE001
            found = None
        if isinstance(found, Mapping) and found:
            return {canonical_option(k): [str(v) for v in values] for k, values in found.items()}
    return MENU_SYNONYMS.get(locale, MENU_SYNONYMS["zh-CN"])


def _normal(value: str) -> str:
    return re.sub(r"[\s\W_]+", "", value.lower())


def best_match(spoken: str, choices: Mapping[str, list[str]]) -> tuple[str, float] | None:
    """The option whose synonym best matches ``spoken`` (rapidfuzz; Chinese has no spaces)."""
    said = _normal(spoken)
    if not said:
        return None
    best: tuple[str, float] | None = None
    for option, synonyms in choices.items():
        for synonym in synonyms:
            target = _normal(synonym)
            if not target:
                continue
            score = 100.0 if target in said else float(
                fuzz.partial_ratio(target, said) if len(said) >= len(target) else fuzz.ratio(target, said))
            if best is None or score > best[1]:
                best = (option, score)
    return best


def match_menu(spoken: str, locale: str, min_score: float) -> tuple[str, float] | None:
    """A spoken menu answer → (option, score), or None below ``min_score``."""
    spoken = (spoken or "")[:500]
    match = library_function("match_menu_option")
    found: tuple[str, float] | None = None
    if match is not None:
        try:
            result = match(spoken, locale)
        except Exception:  # noqa: BLE001
            result = None
        if result:
            found = (canonical_option(str(result[0])), float(result[1]))
    if found is None:
        found = best_match(spoken, menu_synonyms(locale))
    if found is None or found[1] < min_score:
        return None
    return found


def wants_callback(spoken: str, locale: str, min_score: float) -> bool:
    """H9: did the waiting caller ask for a call-back ("回电" / "call me back")?"""
    phrases = {"callback": CALLBACK_PHRASES["zh-CN"] + CALLBACK_PHRASES["en"]}
    found = best_match((spoken or "")[:500], phrases)
    return found is not None and found[1] >= min_score


def offers_callback(text: str) -> bool:
    """Does this (reassurance) text already offer the call-back?"""
    said = _normal(text)
    return any(_normal(p) in said for values in CALLBACK_PHRASES.values() for p in values)


def minutes_in_words(text: str, locale: str, minutes: int) -> str:
    """English agrees with the number: "about 1 minute", not "about 1 minutes"."""
    if locale != "en" or minutes != 1:
        return text
    return re.sub(r"\b1 minutes\b", "1 minute", text)


def hints(locale: str) -> str:
    """Speech-recognition hints for the menu words."""
    words = [w for values in menu_synonyms(locale).values() for w in values]
    return ", ".join(dict.fromkeys(words))[:1000]
