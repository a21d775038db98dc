"""The library as the IVR, the console and the API use it: one loaded, indexed ``Matcher`` per
library directory, kept on the app.

    check(text, locale="zh-CN", context=None) -> list[dict]
    suggest(text, locale="zh-CN", k=3, context=None, kinds=("approved",)) -> list[dict]
    get_prompt(situation_or_id, locale="zh-CN", context=None) -> str
    get_menu_synonyms(locale) -> dict[str, list[str]]
    match_menu_option(text, locale) -> tuple[str, float] | None
    match_choice(list_name, text, locale) -> tuple[str, float] | None

``configure(settings, context_defaults, app)`` (called by ``api.init_app`` from the app's
``library:`` settings and company names) sets the app's thresholds, library directory and the
values used for ``{company}``/``{department}`` when a caller passes no context. Each app keeps
them, with its loaded matchers, in ``app.extensions["scripts_library"]`` (a ``LibraryState``);
the functions above read the current app's. Outside any app (the command line, a script) they
use the shipped defaults, which nothing can reconfigure.

Loading is the slow part (parsing, indexing, the learned layer), so apps that read the same
unchanged files with the same settings are handed the same read-only matcher: a load is keyed
by the directory, the settings and every file's size and modification time, and kept only as
long as an app holds it.
"""

from __future__ import annotations

import shutil
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context

from .choices import ChoiceIndex
from .loader import DEFAULT_DIR, LibraryError, library_files, load_library
from .locales import canonical_locale
from .matcher import Matcher
from .model import RULE_IDS
from .placeholders import fill
from .settings import MatchSettings

EXTENSION = "scripts_library"


@dataclass(eq=False)
class Loaded:
    """One library directory, loaded and indexed under one set of settings (read-only)."""

    matcher: Matcher
    choices: ChoiceIndex


@dataclass(eq=False)
class LibraryState:
    """One app's library: its settings, placeholder defaults and loaded directories."""

    settings: MatchSettings = field(default_factory=MatchSettings)
    context_defaults: dict[str, dict[str, str]] = field(default_factory=dict)
    loaded: dict[str, Loaded] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_STANDALONE = LibraryState()  # outside any app: the shipped defaults, never reconfigured
_SHARED: weakref.WeakValueDictionary[tuple[Any, ...], Loaded] = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()


def state_of(app: Flask | None = None) -> LibraryState:
    """``app``'s library state (created on first use); the current app's without one; outside
    any app the shipped defaults."""
    if app is None:
        if not has_app_context():
            return _STANDALONE
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(EXTENSION)
    if not isinstance(found, LibraryState):
        found = app.extensions[EXTENSION] = LibraryState()
    return found


def configure(settings: Any | None = None, context_defaults: Mapping[str, Mapping[str, str]] | None = None,
              app: Flask | None = None) -> None:
    """Set ``app``'s (default: the current app's) thresholds/directory (any object with
    ``MatchSettings`` field names) and default placeholder values per locale; drops its loaded
    matchers when they change."""
    if app is None and not has_app_context():
        raise RuntimeError("configure the library of which app? pass app= or work inside app.app_context()")
    state = state_of(app)
    with state.lock:
        new_settings = MatchSettings.from_object(settings)
        new_defaults = {canonical_locale(k): dict(v) for k, v in (context_defaults or {}).items()}
        if (new_settings, new_defaults) == (state.settings, state.context_defaults):
            return
        state.settings, state.context_defaults = new_settings, new_defaults
        state.loaded.clear()


def current_settings() -> MatchSettings:
    return state_of().settings


def _resolve(state: LibraryState, library_dir: str | Path | None) -> Path:
    chosen = library_dir or state.settings.dir
    return Path(chosen).resolve() if chosen else DEFAULT_DIR


def _stamp(path: Path) -> tuple[tuple[str, int, int], ...]:
    stamps = []
    for file in library_files(path):
        stat = file.stat()
        stamps.append((str(file.relative_to(path)), stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


def _load_shared(path: Path, settings: MatchSettings) -> Loaded:
    key = (str(path), settings, _stamp(path))
    with _SHARED_LOCK:
        found = _SHARED.get(key)
        if found is None:
            lib, problems = load_library(path)
            if problems:
                raise LibraryError(problems)
            found = Loaded(Matcher(lib, settings), ChoiceIndex(lib, settings.phrase_min_score))
            _SHARED[key] = found
    return found


def _load(library_dir: str | Path | None) -> Loaded:
    state = state_of()
    path = _resolve(state, library_dir)
    found = state.loaded.get(str(path))
    if found is not None:
        return found
    with state.lock:
        found = state.loaded.get(str(path))
        if found is None:
            found = state.loaded[str(path)] = _load_shared(path, state.settings)
    return found


def get_matcher(library_dir: str | Path | None = None) -> Matcher:
    """The loaded and indexed matcher for ``library_dir`` (default: configured or shipped)."""
    return _load(library_dir).matcher


def reload(library_dir: str | Path | None = None) -> Matcher:
    """Forget the current app's matcher (after the library files were edited) and load it again."""
    state = state_of()
    with state.lock:
        state.loaded.pop(str(_resolve(state, library_dir)), None)
    return get_matcher(library_dir)


def _context(locale: str, context: Mapping[str, Any] | None) -> dict[str, Any]:
    merged: dict[str, Any] = dict(state_of().context_defaults.get(locale, {}))
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
    return _load(library_dir).choices.options("menu", locale)


def match_choice(list_name: str, text: str, locale: str = "zh-CN",
                 library_dir: str | Path | None = None) -> tuple[str, float] | None:
    """Option of ``list_name`` (``menu`` or ``survey_answer``) that ``text`` names, with its score."""
    return _load(library_dir).choices.match(list_name, text, locale)


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
