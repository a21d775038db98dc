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

In the web app (``learn_in_background``) a library whose trained model is not at hand (after a
save, or a stale cache) is served at once by the aligner, with the previous model if there was
one, while one background worker (``retrain``) trains it — never inside a request; the trained
matcher then replaces the served one. On the command line the first call trains.
"""

from __future__ import annotations

import logging
import shutil
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context

from . import learned_store
from .choices import ChoiceIndex
from .learned import LearnedLayer
from .loader import DEFAULT_DIR, LibraryError, library_files, load_library
from .locales import canonical_locale
from .matcher import Matcher
from .model import RULE_IDS, Library
from .placeholders import fill
from .retrain import Retrainer, Status
from .settings import MatchSettings

EXTENSION = "scripts_library"
log = logging.getLogger(__name__)


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
    background: bool = False  # the web app: train missing models in the background worker


_STANDALONE = LibraryState()  # outside any app: the shipped defaults, never reconfigured
_SHARED: weakref.WeakValueDictionary[tuple[Any, ...], Loaded] = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()
_RETRAINER = Retrainer()  # one training thread for the process: one library at a time, the newest wins
_UNTRAINED_LOGGED: set[str] = set()


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


def learn_in_background(on: bool = True, app: Flask | None = None) -> bool:
    """The web app's mode for ``app`` (default: the current app): a library without a trained
    model is served at once while the model trains in the background. Off (the command line):
    the first call trains. Returns the previous mode."""
    state = state_of(app)
    previous, state.background = state.background, on
    return previous


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


def _load_shared(path: Path, settings: MatchSettings, background: bool,
                 previous: LearnedLayer | None = None) -> Loaded:
    key = (str(path), settings, background, _stamp(path))
    with _SHARED_LOCK:
        found = _SHARED.get(key)
        if found is None:
            lib, problems = load_library(path)
            if problems:
                raise LibraryError(problems)
            matcher, train = _matcher(str(path), lib, settings, background, previous)
            found = _SHARED[key] = Loaded(matcher, ChoiceIndex(lib, settings.phrase_min_score))
            if train is not None:
                _train_in_background(found, str(path), train)
    return found


def _matcher(name: str, lib: Library, st: MatchSettings, background: bool,
             previous: LearnedLayer | None) -> tuple[Matcher, Callable[[Callable[[], bool]], Matcher] | None]:
    """The matcher of a loaded library, and in the background mode, when its model is not at
    hand, the training to run in the background (it never trains here then)."""
    if not (background and st.learned):
        return Matcher(lib, st), None
    layer = learned_store.cached(lib, st.learned_cache, st.learned_min_examples, st.learned_vectors)
    if layer is not None:
        return Matcher(lib, st, learned=layer), None
    served = Matcher(lib, st, learned=previous, train=False)
    if name not in _UNTRAINED_LOGGED:
        _UNTRAINED_LOGGED.add(name)
        log.warning("library %s: no trained model for this content yet; serving %s while it trains in the "
                    "background", name, "the previous model" if previous else "the aligner alone")

    def work(cancelled: Callable[[], bool]) -> Matcher:
        layer = learned_store.build(lib, served.tokens, st.learned_cache, st.learned_min_examples,
                                    st.learned_vectors, cancelled)
        return Matcher(lib, st, learned=layer)

    return served, work


def _train_in_background(loaded: Loaded, name: str, work: Callable[[Callable[[], bool]], Matcher]) -> None:
    served = loaded.matcher

    def done(trained: object) -> None:
        if loaded.matcher is served and isinstance(trained, Matcher):
            loaded.matcher = trained  # every app holding this load gets the trained model

    _RETRAINER.submit(name, work, done)


def _load(library_dir: str | Path | None, previous: LearnedLayer | None = None) -> Loaded:
    state = state_of()
    path = _resolve(state, library_dir)
    found = state.loaded.get(str(path))
    if found is not None:
        return found
    with state.lock:
        found = state.loaded.get(str(path))
        if found is None:
            found = state.loaded[str(path)] = _load_shared(path, state.settings, state.background, previous)
    return found


def learning(library_dir: str | Path | None = None) -> Status:
    """Whether the library's learned layer is ready or since when it is retraining."""
    return _RETRAINER.status(str(_resolve(state_of(), library_dir)))


def wait_for_learning(library_dir: str | Path | None = None, timeout: float | None = None) -> bool:
    """Block until the library's model is trained (False on timeout)."""
    return _RETRAINER.wait(str(_resolve(state_of(), library_dir)), timeout)


def get_matcher(library_dir: str | Path | None = None) -> Matcher:
    """The loaded and indexed matcher for ``library_dir`` (default: configured or shipped)."""
    return _load(library_dir).matcher


def reload(library_dir: str | Path | None = None) -> Matcher:
    """Forget the current app's matcher (after the library files were edited) and load it again."""
    state = state_of()
    with state.lock:
        old = state.loaded.pop(str(_resolve(state, library_dir)), None)
    return _load(library_dir, old.matcher.learned if old is not None else None).matcher


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
