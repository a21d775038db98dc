"""Process-wide access to the library: one loaded, indexed ``Matcher`` per library directory.

This is what the IVR, the console and the API call::

    check(text, locale="zh-CN", context=None) -> list[dict]
    suggest(text, locale="zh-CN", k=3, context=None, kinds=("approved",)) -> list[dict]
    get_prompt(situation_or_id, locale="zh-CN", context=None) -> str
    get_menu_synonyms(locale) -> dict[str, list[str]]
    match_menu_option(text, locale) -> tuple[str, float] | None
    match_choice(list_name, text, locale) -> tuple[str, float] | None

``configure(settings, context_defaults)`` (called by ``api.init_app`` from the app's
``library:`` settings and company names) sets the thresholds, the library directory and the
values used for ``{company}``/``{department}`` when a caller passes no context.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .choices import ChoiceIndex
from .loader import DEFAULT_DIR, LibraryError, library_files, load_library
from .locales import canonical_locale
from .matcher import Matcher
from .model import RULE_IDS
from .placeholders import fill
from .settings import MatchSettings

_lock = threading.Lock()
_matchers: dict[tuple[str, MatchSettings], tuple[Matcher, ChoiceIndex]] = {}
_settings = MatchSettings()
_context_defaults: dict[str, dict[str, str]] = {}


def configure(settings: Any | None = None, context_defaults: Mapping[str, Mapping[str, str]] | None = None) -> None:
    """Set thresholds/directory (any object with ``MatchSettings`` field names) and default
    placeholder values per locale; drops the cached matchers."""
    global _settings, _context_defaults
    with _lock:
        new_settings = MatchSettings.from_object(settings)
        new_defaults = {canonical_locale(k): dict(v) for k, v in (context_defaults or {}).items()}
        if (new_settings, new_defaults) == (_settings, _context_defaults):
            return  # every app of a process configures the same: keep the loaded library
        _settings, _context_defaults = new_settings, new_defaults
        _matchers.clear()


def current_settings() -> MatchSettings:
    return _settings


def _resolve(library_dir: str | Path | None) -> Path:
    chosen = library_dir or _settings.dir
    return Path(chosen).resolve() if chosen else DEFAULT_DIR


def _load(library_dir: str | Path | None) -> tuple[Matcher, ChoiceIndex]:
    path = _resolve(library_dir)
    key = (str(path), _settings)
    found = _matchers.get(key)
    if found is not None:
        return found
    with _lock:
        found = _matchers.get(key)
        if found is None:
            lib, problems = load_library(path)
            if problems:
                raise LibraryError(problems)
            found = (Matcher(lib, _settings), ChoiceIndex(lib, _settings.phrase_min_score))
            _matchers[key] = found
    return found


def get_matcher(library_dir: str | Path | None = None) -> Matcher:
    """The loaded and indexed matcher for ``library_dir`` (default: configured or shipped)."""
    return _load(library_dir)[0]


def reload(library_dir: str | Path | None = None) -> Matcher:
    """Forget the cached matcher (after the library files were edited) and load it again."""
    path = str(_resolve(library_dir))
    with _lock:
        for key in [k for k in _matchers if k[0] == path]:
            del _matchers[key]
    return get_matcher(library_dir)


def _context(locale: str, context: Mapping[str, Any] | None) -> dict[str, Any]:
    merged: dict[str, Any] = dict(_context_defaults.get(locale, {}))
    merged.update({k: v for k, v in (context or {}).items() if v is not None and v != ""})
    return merged


def check(text: str, locale: str = "zh-CN", context: Mapping[str, Any] | None = None,
          library_dir: str | Path | None = None) -> list[dict[str, Any]]:
    loc = canonical_locale(locale)
    return get_matcher(library_dir).check(text, loc, _context(loc, context))


def suggest(text: str, locale: str = "zh-CN", k: int | None = None, context: Mapping[str, Any] | None = None,
            kinds: Sequence[str] = ("approved",), library_dir: str | Path | None = None) -> list[dict[str, Any]]:
    loc = canonical_locale(locale)
    return get_matcher(library_dir).suggest(text, loc, k, _context(loc, context), kinds)


def get_prompt(situation_or_id: str, locale: str = "zh-CN", context: Mapping[str, Any] | None = None,
               library_dir: str | Path | None = None) -> str:
    """A prompt's text with placeholders filled: by id (``greeting``, ``reassurance``,
    ``menu``, ``fee_reminder``…) or by rule id (``H1`` → its first prompt; ``S8`` → its first
    approved reply). Raises ``KeyError`` when there is none."""
    loc = canonical_locale(locale)
    lib = get_matcher(library_dir).library
    entry = lib.get(loc, situation_or_id)
    if entry is None and situation_or_id in RULE_IDS:
        kind = "approved" if situation_or_id.startswith("S") else "prompt"
        found = lib.of(loc, kind, situation_or_id)
        entry = found[0] if found else None
    if entry is None or entry.kind == "forbidden":
        raise KeyError(f"no prompt {situation_or_id!r} in {loc}")
    return fill(entry.text, loc, _context(loc, context))


def get_menu_synonyms(locale: str = "zh-CN", library_dir: str | Path | None = None) -> dict[str, list[str]]:
    """IVR menu options (emergency, repair, complaint, inquiry, fees, language) → spoken synonyms."""
    return _load(library_dir)[1].options("menu", locale)


def match_choice(list_name: str, text: str, locale: str = "zh-CN",
                 library_dir: str | Path | None = None) -> tuple[str, float] | None:
    """Option of ``list_name`` (``menu`` or ``survey_answer``) that ``text`` names, with its score."""
    return _load(library_dir)[1].match(list_name, text, locale)


def match_menu_option(text: str, locale: str = "zh-CN", library_dir: str | Path | None = None) -> tuple[str, float] | None:
    """The menu option a caller said («水管爆了» → emergency, «我要交物业费» → fees) or None."""
    return match_choice("menu", text, locale, library_dir)


def ensure_library(target: str | Path) -> Path:
    """Create ``target`` as a copy of the shipped library unless it already holds YAML files
    (: the default library is created on first start). A library created by an older version
    gets the shipped files it does not have yet (new prompt files: the calls need their lines);
    files it has are never touched."""
    path = Path(target)
    if path.is_dir() and library_files(path):
        for shipped in library_files(DEFAULT_DIR):
            copy = path / shipped.relative_to(DEFAULT_DIR)
            if not copy.exists():
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shipped, copy)
        return path
    path.mkdir(parents=True, exist_ok=True)
    shutil.copytree(DEFAULT_DIR, path, dirs_exist_ok=True)
    return path
