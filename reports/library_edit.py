"""The team lead edits the script library in the console: add, edit, retire (and restore) entries,
with history and lint on save.

Edits go into the YAML files of the configured library directory (``library.dir``), so
``python -m scripts_library lint --library DIR`` and every other reader keep seeing one library. The
shipped library (``library.dir`` empty) is read-only: set ``library.dir`` and the app creates it as a
copy on the next start. An entry is edited in both locales at once (its locale twins, which lint
requires). Each save is made on a copy of the directory first and linted there; a save that adds a
lint problem is refused with the problems, otherwise the changed files replace the originals, the
matcher is reloaded — the aligner sees the new entries at once, the learned layer retrains in a
background thread while the previous model keeps serving (``scripts_library.retrain``) — and the
edit is kept (``LibraryEdit``) and audited.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import AuditLog, User
from reports import library_yaml as ly
from reports.models import LibraryEdit
from scripts_library import service
from scripts_library.lint import lint
from scripts_library.loader import DEFAULT_DIR

LOCALES = ("zh-CN", "en")
ID_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,80}$")
SITUATION_PATTERN = re.compile(r"^(S[1-9]|H[1-9]|H1[0-9]|H2[0-6])$")
LIST_FIELDS = ("variants", "key_phrases", "cues")
SHARED_LISTS = ("alternatives", "rules")
_lock = threading.Lock()


class LibraryEditError(ValueError):
    """A refused edit: ``message`` says why, ``problems`` are lint lines (file:line: message)."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def reason(self) -> str:
        """The message and the lint problems, on one line."""
        return "; ".join([self.message, *self.problems])


@dataclass(frozen=True)
class Draft:
    """What the form gives: shared fields and per-locale fields."""

    entry_id: str
    situation: str
    kind: str
    alternatives: tuple[str, ...]
    rules: tuple[str, ...]
    texts: dict[str, dict[str, Any]]  # locale → {"text": str, "variants": [...], ...}


def library_dir(settings: Settings) -> Path | None:
    return Path(settings.library.dir).resolve() if settings.library.dir else None


def _service() -> Any:
    return service


def _lint(directory: Path) -> list[Any]:
    return lint(directory)


def entries(settings: Settings) -> list[dict[str, Any]]:
    """Every entry id with its locale twins, in library order."""
    lib = _service().get_matcher(library_dir(settings)).library
    out: dict[str, dict[str, Any]] = {}
    for e in lib.entries:
        item = out.setdefault(e.id, {"id": e.id, "situation": e.situation, "kind": e.kind, "texts": {}})
        item["texts"][e.locale] = e.text
    return list(out.values())


def learning(settings: Settings) -> Any:
    """The learned layer's state for the library page: ``state`` ready | retraining | failed,
    ``since`` (UTC). A save puts the new entries in place at once; the model retrains after it."""
    return _service().learning(library_dir(settings))


def current(settings: Settings, entry_id: str) -> dict[str, dict[str, Any]]:
    """locale → the entry's raw YAML fields (with ``file``), for the twins that exist."""
    return ly.find_entry(library_dir(settings) or DEFAULT_DIR, entry_id)


def history(s: Session, entry_id: str | None = None, limit: int = 200) -> list[LibraryEdit]:
    query = select(LibraryEdit).order_by(LibraryEdit.at.desc(), LibraryEdit.id.desc()).limit(limit)
    if entry_id:
        query = query.where(LibraryEdit.entry_id == entry_id)
    return list(s.scalars(query))


def _fields(draft: Draft, locale: str, base: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in base.items() if k not in ("file", "file_situation", "file_locale")}
    given = draft.texts.get(locale, {})
    fields.update({"id": draft.entry_id, "kind": draft.kind, "situation": draft.situation,
                   "text": (given.get("text") or "").strip()})
    for key in LIST_FIELDS:
        values = [v.strip() for v in given.get(key, []) if v.strip()]
        fields[key] = values
    fields["alternatives"] = list(draft.alternatives)
    fields["rules"] = list(draft.rules)
    if draft.kind != "forbidden":
        fields["key_phrases"], fields["cues"], fields["alternatives"] = [], [], []
    return {k: v for k, v in fields.items() if v not in ([], "", None)}


def validate(draft: Draft) -> None:
    if not ID_PATTERN.match(draft.entry_id):
        raise LibraryEditError("id: 1–80 letters, digits, '.', '_' or '-'")
    if not SITUATION_PATTERN.match(draft.situation):
        raise LibraryEditError("situation: S1–S9 or a handbook rule H1–H26")
    for locale in LOCALES:
        if not (draft.texts.get(locale, {}).get("text") or "").strip():
            raise LibraryEditError(f"text ({locale}): required — every entry has a zh-CN and an en twin")
        if len(draft.texts[locale]["text"]) > 2000:
            raise LibraryEditError(f"text ({locale}): at most 2000 characters")


def _apply(settings: Settings, change: Callable[[Path], list[str]]) -> list[str]:
    """Run ``change`` on a copy of the library; lint; on no new problem, put the changed files in
    place and reload the matcher. Returns the changed files (relative)."""
    directory = library_dir(settings)
    if directory is None:
        raise LibraryEditError("the shipped library is read-only: set library.dir to edit the library")
    with _lock:
        known = {ly.problem_key(p) for p in _lint(directory)}
        with tempfile.TemporaryDirectory(prefix="hotline-library-") as tmp:
            copy = Path(tmp) / "library"
            shutil.copytree(directory, copy)
            changed = change(copy)
            new = [str(p) for p in _lint(copy) if ly.problem_key(p) not in known]
            if new:
                raise LibraryEditError("lint: the edit was not saved", new)
            for name in changed:
                target = directory / name
                target.parent.mkdir(parents=True, exist_ok=True)
                staging = target.with_name(target.name + ".saving")
                shutil.copyfile(copy / name, staging)
                os.replace(staging, target)
        _service().reload(directory)
    return changed


def _record(s: Session, user: User, action: str, entry_id: str, before: dict[str, Any], after: dict[str, Any],
            files: list[str], note: str = "") -> LibraryEdit:
    strip = {loc: {k: v for k, v in f.items() if k not in ("file_situation", "file_locale")} for loc, f in before.items()}
    edit = LibraryEdit(user_id=user.id, action=action, entry_id=entry_id, before=strip, after=after, files=files,
                       note=note[:2000])
    s.add(edit)
    s.add(AuditLog(user_id=user.id, action=f"library_{action}", target=entry_id[:120],
                   detail={"files": files, "locales": sorted(after or strip)}))
    s.flush()
    return edit


def save(s: Session, settings: Settings, user: User, draft: Draft, *, new: bool, note: str = "") -> LibraryEdit:
    """Add (``new``) or edit the entry ``draft.entry_id`` in both locales."""
    validate(draft)
    before = current(settings, draft.entry_id)
    if new and before:
        raise LibraryEditError(f"id: {draft.entry_id!r} exists already")
    if not new and not before:
        raise LibraryEditError(f"id: no entry {draft.entry_id!r}")
    after = {loc: _fields(draft, loc, before.get(loc, {})) for loc in LOCALES}

    def change(copy: Path) -> list[str]:
        files = []
        for locale in LOCALES:
            old = before.get(locale)
            if old is None:
                files.append(ly.append_entry(copy, locale, after[locale]))
            else:
                files.append(ly.replace_entry(copy, old, after[locale]))
        return files

    files = _apply(settings, change)
    return _record(s, user, "add" if new else "edit", draft.entry_id, before, after, files, note)


def retire(s: Session, settings: Settings, user: User, entry_id: str, note: str = "") -> LibraryEdit:
    before = current(settings, entry_id)
    if not before:
        raise LibraryEditError(f"id: no entry {entry_id!r}")
    files = _apply(settings, lambda copy: [ly.remove_entry(copy, old) for old in before.values()])
    return _record(s, user, "retire", entry_id, before, {}, files, note)


def restore(s: Session, settings: Settings, user: User, edit_id: int) -> LibraryEdit:
    """Bring back an entry as it was before it was retired (lint-checked like any save)."""
    edit = s.get(LibraryEdit, edit_id)
    if edit is None or edit.action != "retire":
        raise LibraryEditError("restore: no such retired entry")
    if current(settings, edit.entry_id):
        raise LibraryEditError(f"id: {edit.entry_id!r} exists again; edit it instead")
    after = {loc: {k: v for k, v in f.items() if k != "file"} for loc, f in edit.before.items()}
    files = _apply(settings, lambda copy: [ly.append_entry(copy, loc, fields) for loc, fields in after.items()])
    return _record(s, user, "restore", edit.entry_id, {}, after, files, f"restored edit {edit.id}")


def dump(fields: dict[str, Any]) -> str:
    return yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, width=10_000)
