"""How an outbound contact's answers are read: a keypad press or speech → yes/no, or one of the
five H19 survey answers; and the keypad hint and speech hints each question kind offers."""

from __future__ import annotations

import re
from collections.abc import Mapping

from rapidfuzz import fuzz

from ivr.prompts import library_function

# H19: the five answers, keypad 1-5.
SCALE = ["很满意", "满意", "基本满意", "不满意", "很不满意"]
SCALE_SYNONYMS: dict[str, list[str]] = {
    "很满意": ["很满意", "非常满意", "特别满意", "十分满意", "very satisfied"],
    "满意": ["满意", "挺满意", "比较满意", "还不错", "挺好的", "satisfied"],
    "基本满意": ["基本满意", "还行", "一般", "凑合", "还可以", "fairly satisfied", "okay"],
    "不满意": ["不满意", "不太满意", "不怎么样", "不行", "dissatisfied", "not satisfied"],
    "很不满意": ["很不满意", "非常不满意", "特别不满意", "太差了", "很差", "very dissatisfied"],
}
_LIBRARY_SCALE_KEYS = {"very_satisfied": "很满意", "satisfied": "满意", "basically_satisfied": "基本满意",
                       "dissatisfied": "不满意", "very_dissatisfied": "很不满意"}
YES_NO_SYNONYMS: dict[str, list[str]] = {
    "yes": ["是", "是的", "对", "对的", "方便", "可以", "清楚", "清楚了", "满意", "好的", "好", "没问题", "嗯",
            "yes", "yeah", "sure", "ok", "clear", "satisfied", "convenient"],
    "no": ["不是", "不对", "不方便", "没空", "不清楚", "不明白", "不满意", "不行", "不", "没有", "打错了",
           "no", "not", "busy", "wrong number", "unclear", "not satisfied", "dissatisfied"],
}
MIN_SPEECH_SCORE = 70.0


def _normal(value: str) -> str:
    return re.sub(r"[\s\W_]+", "", value.lower())


def _best(spoken: str, choices: Mapping[str, list[str]]) -> tuple[str, float] | None:
    """Best option for a spoken answer; a longer synonym wins ties ("不满意" over "满意")."""
    said = _normal(spoken)
    if not said:
        return None
    best: tuple[str, float, int] | None = None
    for option, synonyms in choices.items():
        for synonym in synonyms:
            target = _normal(synonym)
            if not target:
                continue
            if target in said:
                score = 100.0
            elif len(said) >= len(target):
                score = float(fuzz.partial_ratio(target, said))
            else:
                score = float(fuzz.ratio(target, said))
            key = (score, len(target))
            if best is None or key > (best[1], best[2]):
                best = (option, score, len(target))
    return (best[0], best[1]) if best else None


def scale_synonyms(locale: str) -> dict[str, list[str]]:
    get = library_function("get_choices")
    if get is not None:
        try:
            found = get("survey_answer", locale)
        except Exception:  # noqa: BLE001
            found = None
        if isinstance(found, Mapping) and found:
            merged = {k: list(v) for k, v in SCALE_SYNONYMS.items()}
            for key, values in found.items():
                answer = _LIBRARY_SCALE_KEYS.get(str(key), str(key))
                if answer in merged:
                    merged[answer] = list(dict.fromkeys([*merged[answer], *(str(v) for v in values)]))
            return merged
    return SCALE_SYNONYMS


def interpret(kind: str, digits: str | None, speech: str | None, locale: str = "zh-CN") -> str | None:
    """A keypad/speech answer → ``yes``/``no`` (yes/no kinds) or one of SCALE (``scale``); None if unclear."""
    digits = (digits or "").strip()[:4]
    speech = (speech or "").strip()[:500]
    if kind == "scale":
        if digits[:1] in {"1", "2", "3", "4", "5"}:
            return SCALE[int(digits[:1]) - 1]
        if speech:
            found = _best(speech, scale_synonyms(locale))
            if found and found[1] >= MIN_SPEECH_SCORE:
                return found[0]
        return None
    if digits[:1] == "1":
        return "yes"
    if digits[:1] == "2":
        return "no"
    if speech:
        found = _best(speech, YES_NO_SYNONYMS)
        if found and found[1] >= MIN_SPEECH_SCORE:
            return found[0]
    return None


def hint_for(kind: str, step_id: str) -> str:
    if kind == "scale":
        return "hint_scale"
    if kind == "convenient":
        return "hint_convenient"
    if kind == "confirm":
        return "hint_clear"
    if kind == "satisfied":
        return "hint_satisfied"
    return "hint_yes_no"


def speech_hints(kind: str) -> str:
    if kind == "scale":
        return ",".join(SCALE)
    return "是,不是,方便,不方便,清楚,不清楚,满意,不满意"
