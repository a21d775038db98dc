"""Reading a library directory of YAML files, keeping file and line for every entry.

File layout (see README "Scripted-response library")::

    situation: S1            # default for the entries of this file
    locale: zh-CN            # default for the entries of this file
    triggers: [...]          # optional: what callers say in this situation (suggest)
    entries:
      - id: s1.a1
        kind: approved       # approved | forbidden | prompt
        text: "..."
        variants: [...]      # optional other wordings of the whole text
        key_phrases: [...]   # optional: each alone identifies the entry
        cues: [...]          # optional: weaker, two together identify it
        alternatives: [...]  # forbidden only: approved ids offered instead
        rules: [S1, H2]

A file may instead hold ``examples:`` (labelled tuning sentences ``{locale, flag, suggest, text}``
the learned layer trains on), ``choices:`` (named option → synonyms lists, e.g. the IVR menu) or
``synonyms:`` (a list of word families folded together before matching).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .model import Choices, Entry, Example, Library, Triggers, Where

DEFAULT_DIR = Path(__file__).resolve().parent / "data"

FILE_KEYS = frozenset({"situation", "locale", "title", "triggers", "entries", "choices", "synonyms", "examples"})
ENTRY_KEYS = frozenset({"id", "locale", "situation", "kind", "text", "variants", "key_phrases", "cues",
                        "alternatives", "rules", "note"})
_LIST_KEYS = ("variants", "key_phrases", "cues", "alternatives", "rules")


@dataclass(frozen=True, slots=True)
class Problem:
    """A lint or load problem, printed as ``file:line: message``."""

    where: Where
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class LibraryError(Exception):
    """The library cannot be loaded (the message lists the problems with file and line)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{shown}{more}")


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when built with it
    """SafeLoader that records the line of every mapping and of each of its keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        mapping["__lines__"] = {k.value: k.start_mark.line + 1 for k, _ in node.value
                                if isinstance(k, yaml.ScalarNode)}
        return mapping


def _strings(value: Any) -> tuple[str, ...] | None:
    """A list of non-empty strings as a tuple, or None when it is not one."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        return None
    return tuple(str(v).strip() for v in value if str(v).strip())


def library_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load_library(directory: str | Path | None = None) -> tuple[Library, list[Problem]]:
    """Load every ``*.yaml`` under ``directory`` (default: the shipped library).

    Returns the library and the structural problems found (unknown keys, wrong types,
    missing fields); semantic checks are in ``lint``.
    """
    root = Path(directory) if directory else DEFAULT_DIR
    lib = Library()
    problems: list[Problem] = []
    if not root.is_dir():
        problems.append(Problem(Where(str(root), 0), "library directory not found"))
        return lib, problems
    digest = hashlib.sha256()
    for path in library_files(root):
        name = str(path.relative_to(root)) if root in path.parents else str(path)
        lib.files.append(name)
        try:
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
        except OSError:
            pass  # reported by _load_file
        _load_file(path, name, lib, problems)
    lib.digest = digest.hexdigest()
    lib.root = str(root)
    return lib, problems


def _load_file(path: Path, name: str, lib: Library, problems: list[Problem]) -> None:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(Problem(Where(name, mark.line + 1 if mark else 0), f"YAML error: {exc}"))
        return
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(Where(name, 0), f"cannot read: {exc}"))
        return
    if doc is None:
        return
    if not isinstance(doc, dict):
        problems.append(Problem(Where(name, 1), "the file must be a mapping (situation, locale, entries…)"))
        return
    lines = doc.get("__lines__", {})
    for key in doc:
        if key not in FILE_KEYS and not str(key).startswith("__"):
            problems.append(Problem(Where(name, lines.get(key, 1)), f"unknown key {key!r}"))
    file_situation, file_locale = doc.get("situation"), doc.get("locale")
    if "triggers" in doc:
        _load_triggers(doc["triggers"], str(file_situation), str(file_locale), Where(name, lines.get("triggers", 1)),
                       lib, problems)
    if "choices" in doc:
        _load_choices(doc["choices"], str(file_locale), Where(name, lines.get("choices", 1)), lib, problems)
    if "examples" in doc:
        _load_examples(doc["examples"], Where(name, lines.get("examples", 1)), lib, problems)
    if "synonyms" in doc:
        _load_synonyms(doc["synonyms"], str(file_locale), Where(name, lines.get("synonyms", 1)), lib, problems)
    entries = doc.get("entries", [])
    if not isinstance(entries, list):
        problems.append(Problem(Where(name, lines.get("entries", 1)), "entries must be a list"))
        return
    for raw in entries:
        entry = _entry(raw, name, file_situation, file_locale, problems)
        if entry is not None:
            lib.add(entry)


def _load_triggers(raw: Any, situation: str, locale: str, where: Where, lib: Library,
                   problems: list[Problem]) -> None:
    phrases = _strings(raw)
    if phrases is None:
        problems.append(Problem(where, "triggers must be a list of strings"))
    else:
        lib.triggers.append(Triggers(situation, locale, phrases, where))


def _load_choices(raw: Any, locale: str, where: Where, lib: Library, problems: list[Problem]) -> None:
    if not isinstance(raw, dict):
        problems.append(Problem(where, "choices must map a list name to {option: [synonyms]}"))
        return
    for list_name, options in raw.items():
        if str(list_name).startswith("__"):
            continue
        line = raw.get("__lines__", {}).get(list_name, where.line)
        if not isinstance(options, dict):
            problems.append(Problem(Where(where.file, line), f"choices {list_name!r} must map option → synonyms"))
            continue
        parsed: dict[str, tuple[str, ...]] = {}
        for option, synonyms in options.items():
            if str(option).startswith("__"):
                continue
            values = _strings(synonyms)
            if not values:
                problems.append(Problem(Where(where.file, options["__lines__"].get(option, line)),
                                        f"choices {list_name}.{option} must be a non-empty list of strings"))
                continue
            parsed[str(option)] = values
        lib.choices.append(Choices(str(list_name), locale, parsed, Where(where.file, line)))


def _load_examples(raw: Any, where: Where, lib: Library, problems: list[Problem]) -> None:
    if raw is None:
        return
    if not isinstance(raw, list):
        problems.append(Problem(where, "examples must be a list of {locale, flag, suggest, text}"))
        return
    for row in raw:
        line = row.get("__line__", where.line) if isinstance(row, dict) else where.line
        here = Where(where.file, line)
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not row["text"].strip():
            problems.append(Problem(here, "an example needs a non-empty text"))
            continue
        flag, suggest = row.get("flag"), row.get("suggest")
        if not isinstance(row.get("locale"), str) or (flag is None and suggest is None):
            problems.append(Problem(here, "an example needs a locale and a flag or a suggest label"))
            continue
        lib.examples.append(Example(row["locale"], row["text"].strip(), None if flag is None else str(flag),
                                    None if suggest is None else str(suggest), here,
                                    confirmed=row.get("confirmed") is True))


def _load_synonyms(raw: Any, locale: str, where: Where, lib: Library, problems: list[Problem]) -> None:
    if not isinstance(raw, list):
        problems.append(Problem(where, "synonyms must be a list of word families ([canonical, variant, …])"))
        return
    for n, group in enumerate(raw):
        words = _strings(group)
        if not words or len(words) < 2:
            problems.append(Problem(Where(where.file, where.line + n + 1),
                                    f"synonyms: family {n + 1} needs at least two words"))
            continue
        lib.synonyms.setdefault(locale, []).append(words)


def _entry(raw: Any, name: str, situation: Any, locale: Any, problems: list[Problem]) -> Entry | None:
    if not isinstance(raw, dict):
        problems.append(Problem(Where(name, 0), "each entry must be a mapping with id, kind, text"))
        return None
    where = Where(name, raw["__line__"])
    lines = raw["__lines__"]
    ok = True
    for key in raw:
        if key not in ENTRY_KEYS and not str(key).startswith("__"):
            problems.append(Problem(Where(name, lines.get(key, where.line)), f"unknown entry key {key!r}"))
    values: dict[str, Any] = {}
    for key in ("id", "kind", "text"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(where, f"entry needs a non-empty string {key!r}"))
            ok = False
        values[key] = str(value or "").strip()
    for key, default in (("situation", situation), ("locale", locale)):
        value = raw.get(key, default)
        if not isinstance(value, str) or not value:
            problems.append(Problem(where, f"entry {values['id']!r} has no {key} (set it on the entry or the file)"))
            ok = False
        values[key] = str(value or "")
    for key in _LIST_KEYS:
        parsed = _strings(raw.get(key))
        if parsed is None:
            problems.append(Problem(Where(name, lines.get(key, where.line)), f"{key} must be a list of strings"))
            ok = False
        values[key] = parsed or ()
    if not ok:
        return None
    return Entry(where=where, **values)
