"""``python -m scripts_library lint``: validate a library directory.

Every problem names its file and line. Checks: YAML and structure (loader), unknown
situation / rule / kind / locale, duplicate ids, dangling or wrong alternatives, missing
locale twins, unknown or unbalanced placeholders (and twins that disagree on them),
traditional characters in zh-CN text, unknown choice lists, and — with the matcher itself —
an approved or prompt text that would be flagged as forbidden, or a forbidden text that
would not be flagged as its own situation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from .loader import Problem, load_library
from .matcher import Matcher
from .model import ALLOWED_PLACEHOLDERS, KINDS, LOCALES, RULE_IDS, Entry, Library, Where
from .normalize import placeholders_in, to_simplified
from .placeholders import fill
from .settings import MatchSettings

CHOICE_LISTS = frozenset({"menu", "survey_answer"})
_BRACES = re.compile(r"\{[^{}]*\}")


def lint(directory: str | Path | None = None, settings: MatchSettings | None = None) -> list[Problem]:
    """All problems of the library in ``directory`` (empty list: it lints clean)."""
    lib, problems = load_library(directory)
    if any(p.where.line == 0 for p in problems) and not lib.entries:
        return problems
    problems += _check_fields(lib)
    problems += _check_references(lib)
    problems += _check_twins(lib)
    if not any("YAML error" in p.message for p in problems):
        problems += _check_with_matcher(lib, settings)
    return sorted(problems, key=lambda p: (p.where.file, p.where.line, p.message))


def _where(e: Entry) -> Where:
    return e.where or Where("?", 0)


def _check_entry(e: Entry, seen: dict[tuple[str, str], Entry]) -> list[Problem]:
    out: list[Problem] = []
    w = _where(e)
    if e.locale not in LOCALES:
        out.append(Problem(w, f"{e.id}: unknown locale {e.locale!r} (use {', '.join(LOCALES)})"))
    if e.situation not in RULE_IDS:
        out.append(Problem(w, f"{e.id}: unknown situation {e.situation!r} (S1–S9 or a handbook rule H1–H26)"))
    if e.kind not in KINDS:
        out.append(Problem(w, f"{e.id}: unknown kind {e.kind!r} (use {' | '.join(KINDS)})"))
    out += [Problem(w, f"{e.id}: unknown rule id {r!r}") for r in e.rules if r not in RULE_IDS]
    if e.kind == "forbidden" and e.situation.startswith("H"):
        out.append(Problem(w, f"{e.id}: forbidden entries belong to a situation S1–S9"))
    if e.key in seen:
        out.append(Problem(w, f"{e.id}: duplicate id in {e.locale} (first at {_where(seen[e.key])})"))
    seen.setdefault(e.key, e)
    for text in (e.text, *e.variants, *e.key_phrases, *e.cues):
        out += _check_placeholders(e, text)
        if e.locale == "zh-CN" and to_simplified(text) != text:
            out.append(Problem(w, f"{e.id}: zh-CN text has traditional characters: {text!r}"))
    if e.kind != "forbidden" and (e.key_phrases or e.cues):
        out.append(Problem(w, f"{e.id}: key_phrases/cues are for forbidden entries"))
    return out


def _check_lists(lib: Library) -> list[Problem]:
    """Triggers, synonyms and choices: known situations, locales and list names."""
    out: list[Problem] = []
    for t in lib.triggers:
        w = t.where or Where("?", 0)
        if t.situation not in RULE_IDS:
            out.append(Problem(w, f"triggers: unknown situation {t.situation!r}"))
        if t.locale not in LOCALES:
            out.append(Problem(w, f"triggers: unknown locale {t.locale!r}"))
    for loc in lib.synonyms:
        if loc not in LOCALES:
            out.append(Problem(Where("synonyms", 0), f"synonyms: unknown locale {loc!r}"))
    for c in lib.choices:
        w = c.where or Where("?", 0)
        if c.name not in CHOICE_LISTS:
            out.append(Problem(w, f"choices: unknown list {c.name!r} (use {', '.join(sorted(CHOICE_LISTS))})"))
        if c.locale not in LOCALES:
            out.append(Problem(w, f"choices {c.name}: unknown locale {c.locale!r}"))
    return out


def _check_fields(lib: Library) -> list[Problem]:
    out: list[Problem] = []
    seen: dict[tuple[str, str], Entry] = {}
    for e in lib.entries:
        out += _check_entry(e, seen)
    return out + _check_lists(lib)


def _check_placeholders(e: Entry, text: str) -> list[Problem]:
    out = []
    for name in placeholders_in(text):
        if name not in ALLOWED_PLACEHOLDERS:
            out.append(Problem(_where(e), f"{e.id}: bad placeholder {{{name}}} (allowed: "
                                          f"{', '.join(sorted(ALLOWED_PLACEHOLDERS))})"))
    rest = _BRACES.sub("", text)
    if "{" in rest or "}" in rest:
        out.append(Problem(_where(e), f"{e.id}: unbalanced brace in {text!r}"))
    for m in _BRACES.finditer(text):
        if not re.fullmatch(r"\{[a-z_]+\}", m.group(0)):
            out.append(Problem(_where(e), f"{e.id}: bad placeholder {m.group(0)} (lower-case name in braces)"))
    return out


def _check_references(lib: Library) -> list[Problem]:
    out: list[Problem] = []
    for e in lib.entries:
        if e.alternatives and e.kind != "forbidden":
            out.append(Problem(_where(e), f"{e.id}: only forbidden entries have alternatives"))
        for alt in e.alternatives:
            target = lib.get(e.locale, alt)
            if target is None:
                out.append(Problem(_where(e), f"{e.id}: dangling alternative {alt!r} (no such {e.locale} entry)"))
            elif target.kind != "approved":
                out.append(Problem(_where(e), f"{e.id}: alternative {alt!r} is {target.kind}, not approved"))
            elif target.situation != e.situation:
                out.append(Problem(_where(e), f"{e.id}: alternative {alt!r} is of {target.situation}, not {e.situation}"))
        if e.kind == "forbidden" and not lib.alternatives_of(e):
            out.append(Problem(_where(e), f"{e.id}: forbidden entry without any approved alternative"))
    return out


def _check_twins(lib: Library) -> list[Problem]:
    """Every id exists in every locale, with the same situation, kind and placeholders."""
    out: list[Problem] = []
    locales = [loc for loc in LOCALES if any(e.locale == loc for e in lib.entries)]
    by_id: dict[str, dict[str, Entry]] = defaultdict(dict)
    for e in lib.entries:
        by_id[e.id].setdefault(e.locale, e)
    for entry_id, twins in by_id.items():
        first = next(iter(twins.values()))
        for loc in locales:
            if loc not in twins:
                out.append(Problem(_where(first), f"{entry_id}: missing locale twin in {loc}"))
        for loc, e in twins.items():
            if (e.situation, e.kind) != (first.situation, first.kind):
                out.append(Problem(_where(e), f"{entry_id}: {loc} twin is {e.kind} {e.situation}, "
                                              f"{first.locale} is {first.kind} {first.situation}"))
            if set(placeholders_in(e.text)) != set(placeholders_in(first.text)):
                out.append(Problem(_where(e), f"{entry_id}: placeholders differ from the {first.locale} twin"))
    for t in lib.triggers:
        if not any(u.situation == t.situation and u.locale != t.locale for u in lib.triggers) and len(locales) > 1:
            out.append(Problem(t.where or Where("?", 0), f"triggers of {t.situation}: missing locale twin"))
    return out


def _check_with_matcher(lib: Library, settings: MatchSettings | None) -> list[Problem]:
    """The matcher must not flag approved/prompt texts and must flag each forbidden text."""
    out: list[Problem] = []
    good = Library(entries=[e for e in lib.entries if e.locale in LOCALES and e.kind in KINDS],
                   triggers=list(lib.triggers), choices=list(lib.choices), synonyms=dict(lib.synonyms))
    # The aligner alone: the learned layer never flags words an approved or prompt text matches
    # (``Matcher._learned_flags``), so it cannot add a flag on one, and lint need not train it.
    matcher = Matcher(good, replace(settings or MatchSettings(), learned=False))
    for i, e in enumerate(good.entries):
        if e.kind != "forbidden":
            for text, f in matcher.self_check(i)[:1]:
                out.append(Problem(_where(e), f"{e.id}: {e.kind} text would be flagged as forbidden "
                                              f"{f['situation']} ({f['entry_id']}, score {f['score']}): {text!r}"))
            continue
        for text in (e.text, *e.variants):
            flags = matcher.check(fill(text, e.locale), e.locale)
            if not any(f["situation"] == e.situation for f in flags):
                out.append(Problem(_where(e), f"{e.id}: forbidden text is not detected as {e.situation}: {text!r}"))
        for phrase in e.key_phrases:
            if len(matcher.tokens(phrase, e.locale)) < 2:
                out.append(Problem(_where(e), f"{e.id}: key phrase {phrase!r} is too short once normalised "
                                              "(particles and 的/了 dropped): make it longer or a cue"))
            if not any(f["situation"] == e.situation for f in matcher.check(phrase, e.locale)):
                out.append(Problem(_where(e), f"{e.id}: key phrase {phrase!r} is not detected as {e.situation}"))
    return out
