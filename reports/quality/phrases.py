"""The library wording the scorecard listens for, per locale, taken from the library itself
(``scripts_library``): the greeting's company and department (H1), the apology opener and the
approved S1 replies (H2), the surname/district question (H6), the confirmation line (H8), the
closing and the approved S9 replies (H10), and the lines that promise a later answer (H14, S8).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reports.quality.wording import Fragment, distinct, fragment, fragments
from scripts_library import service
from scripts_library.model import Entry
from scripts_library.normalize import placeholders_in
from scripts_library.placeholders import fill

#: the library entries behind each scorecard item: prompts by id, approved replies by situation
SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "greeting": (("prompt", "greeting"), ("prompt", "greeting_short"), ("prompt", "greeting_property")),
    "apology": (("prompt", "apology_opener"), ("approved", "S1")),
    "ask_surname": (("prompt", "ask_surname"),),
    "confirm": (("prompt", "confirm_points"),),
    "closing": (("prompt", "closing"), ("approved", "S9")),
    "case_promise": (("prompt", "case_opened"), ("prompt", "callback_lookup"), ("approved", "S8")),
}
#: items where one fragment will do, and the items whose wording proves nothing about them
#: (an apology's «请问有什么可以帮到您» is the greeting's too)
ANY_OF: dict[str, tuple[str, ...]] = {
    "apology": ("greeting",),
    "closing": ("greeting", "apology", "case_promise"),
    "case_promise": ("greeting",),
}
#: «any» items that also accept a short fragment said as it is («再见», «goodbye»)
SHORT_OK = ("closing",)


@dataclass(frozen=True)
class Phrasebook:
    locale: str
    #: the names the greeting must say, as the library's greeting fills them (company, department)
    greeting_names: tuple[Fragment, ...]
    apology: tuple[Fragment, ...]
    ask_surname: tuple[Fragment, ...]
    confirm: tuple[Fragment, ...]
    closing: tuple[Fragment, ...]
    case_promise: tuple[Fragment, ...]


def _entries(locale: str, sources: tuple[tuple[str, str], ...]) -> list[Entry]:
    lib = service.get_matcher().library
    found: list[Entry] = []
    for kind, key in sources:
        if kind == "prompt":
            entry = lib.get(locale, key)
            found += [entry] if entry is not None else []
        else:
            found += lib.of(locale, kind, key)
    return found


def _texts(entries: list[Entry]) -> list[str]:
    return [t for e in entries for t in (e.text, *e.variants)]


def _greeting_names(entries: list[Entry], locale: str, context: Mapping[str, Any]) -> tuple[Fragment, ...]:
    """The company and department a greeting names (H1), filled as the library fills them."""
    for entry in entries:
        names = placeholders_in(entry.text)
        if "company" in names and "department" in names:
            found = [fragment(fill("{" + n + "}", locale, context)) for n in ("company", "department")]
            return tuple(f for f in found if f is not None)
    return ()


_built: dict[tuple[str, tuple[tuple[str, Any], ...], float], tuple[Any, Phrasebook]] = {}


def build(locale: str, context: Mapping[str, Any], share: float) -> Phrasebook:
    """The phrasebook of ``locale``; rebuilt when the library was reloaded (an edit)."""
    key = (locale, tuple(sorted(context.items())), share)
    matcher = service.get_matcher()
    found = _built.get(key)
    if found is not None and found[0] is matcher:
        return found[1]
    book = _build(locale, context, share)
    _built[key] = (matcher, book)
    return book


def _build(locale: str, context: Mapping[str, Any], share: float) -> Phrasebook:
    groups = {item: _entries(locale, sources) for item, sources in SOURCES.items()}
    frags = {item: [f for t in _texts(entries) for f in fragments(t)] for item, entries in groups.items()}
    picked: dict[str, tuple[Fragment, ...]] = {}
    for item, own in frags.items():
        substantive = [f for f in own if not f.exact]
        if item in ANY_OF:
            others = [f for other in ANY_OF[item] for f in frags[other]]
            picked[item] = distinct(own if item in SHORT_OK else substantive, others, share)
        else:
            picked[item] = tuple(substantive or own)
    return Phrasebook(locale=locale, greeting_names=_greeting_names(groups["greeting"], locale, context),
                      apology=picked["apology"], ask_surname=picked["ask_surname"], confirm=picked["confirm"],
                      closing=picked["closing"], case_promise=picked["case_promise"])


def company_context(settings: Any, locale: str) -> dict[str, str]:
    """``{company}``/``{department}`` as the caller hears them in ``locale`` (H1 settings)."""
    c = settings.company
    if locale == "en":
        return {"company": c.name_en, "department": c.department_en}
    return {"company": c.name, "department": c.department}
