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

import logging
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

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

log = logging.getLogger(__name__)
_lock = threading.Lock()
_matchers: dict[tuple[str, MatchSettings], tuple[Matcher, ChoiceIndex]] = {}
_settings = MatchSettings()
_context_defaults: dict[str, dict[str, str]] = {}
_background = False
_retrainer = Retrainer()
_untrained_logged: set[str] = set()


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
        _retrainer.cancel_all()  # models of the dropped matchers could not be installed


def current_settings() -> MatchSettings:
    return _settings


def _resolve(library_dir: str | Path | None) -> Path:
    chosen = library_dir or _settings.dir
    return Path(chosen).resolve() if chosen else DEFAULT_DIR


def learn_in_background(on: bool = True) -> bool:
    """The web app's mode: a library without a trained model (after a save, or a stale cache)
    is served at once by the aligner with the previous model, if any, while its model trains
    in a background thread (``retrain``) — never inside a request. Off (the command line):
    the first call trains. Returns the previous mode."""
    global _background
    previous, _background = _background, on
    return previous


def _load(library_dir: str | Path | None, previous: LearnedLayer | None = None) -> tuple[Matcher, ChoiceIndex]:
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
            found = (_matcher(key, lib, previous), ChoiceIndex(lib, _settings.phrase_min_score))
            _matchers[key] = found
    return found


def _matcher(key: tuple[str, MatchSettings], lib: Library, previous: LearnedLayer | None) -> Matcher:
    """The matcher of a loaded library; in the background mode it never trains here."""
    st = key[1]
    if not (_background and st.learned):
        return Matcher(lib, st)
    layer = learned_store.cached(lib, st.learned_cache, st.learned_min_examples, st.learned_vectors)
    if layer is not None:
        return Matcher(lib, st, learned=layer)
    served = Matcher(lib, st, learned=previous, train=False)
    if key[0] not in _untrained_logged:
        _untrained_logged.add(key[0])
        log.warning("library %s: no trained model for this content yet; serving %s while it trains in the "
                    "background", key[0], "the previous model" if previous else "the aligner alone")

    def work(cancelled: Callable[[], bool]) -> Matcher:
        layer = learned_store.build(lib, served.tokens, st.learned_cache, st.learned_min_examples,
                                    st.learned_vectors, cancelled)
        return Matcher(lib, st, learned=layer)

    def done(trained: object) -> None:
        with _lock:
            current = _matchers.get(key)
            if current is not None and current[0] is served and isinstance(trained, Matcher):
                _matchers[key] = (trained, current[1])

    _retrainer.submit(key[0], work, done)
    return served


def learning(library_dir: str | Path | None = None) -> Status:
    """Whether the library's learned layer is ready or since when it is retraining."""
    return _retrainer.status(str(_resolve(library_dir)))


def wait_for_learning(library_dir: str | Path | None = None, timeout: float | None = None) -> bool:
    """Block until the library's model is trained (False on timeout)."""
    return _retrainer.wait(str(_resolve(library_dir)), timeout)


def get_matcher(library_dir: str | Path | None = None) -> Matcher:
    """The loaded and indexed matcher for ``library_dir`` (default: configured or shipped)."""
    return _load(library_dir)[0]


def reload(library_dir: str | Path | None = None) -> Matcher:
    """Forget the cached matcher (after the library files were edited) and load it again."""
    path = str(_resolve(library_dir))
    with _lock:
        old = [_matchers.pop(k) for k in [k for k in _matchers if k[0] == path]]
    return _load(library_dir, old[0][0].learned if old else None)[0]


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
