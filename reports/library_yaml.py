"""Line-preserving edits of the library's YAML files: one entry's block is replaced, appended or
removed, and every other line (comments, triggers, other entries) stays as it was.

Blocks are found with ``yaml.compose`` (node marks), never by pattern matching the text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

META = ("file", "file_situation", "file_locale")
#: libyaml's parser when PyYAML was built with it: the save path reads every library file, and
#: the pure-Python parser needs about 0.4 s for the 280 kB of tuning examples alone
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ORDER = ("id", "locale", "situation", "kind", "text", "variants", "key_phrases", "cues", "alternatives", "rules",
         "note")


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _load(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return None


def find_entry(directory: Path, entry_id: str) -> dict[str, dict[str, Any]]:
    """locale → the entry's fields as written, with its effective ``situation`` and ``locale`` (an entry
    may take them from its file), plus ``file`` (relative), ``file_situation`` and ``file_locale``."""
    found: dict[str, dict[str, Any]] = {}
    for path in _files(directory):
        doc = _load(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
            continue
        for item in doc["entries"]:
            if isinstance(item, dict) and item.get("id") == entry_id:
                locale = str(item.get("locale") or doc.get("locale") or "")
                situation = item.get("situation") or doc.get("situation")
                found.setdefault(locale, {**item, "locale": locale, "situation": situation,
                                          "file": str(path.relative_to(directory)),
                                          "file_situation": doc.get("situation"), "file_locale": doc.get("locale")})
    return found


def _entries_node(text: str) -> yaml.SequenceNode | None:
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if key.value == "entries" and isinstance(value, yaml.SequenceNode):
            return value
    return None


def _blocks(lines: list[str], node: yaml.SequenceNode) -> list[tuple[int, int, int, str]]:
    """(first line, end line exclusive, key column, id) of each item; trailing blank/comment lines
    are left outside the block."""
    out = []
    items = node.value
    for n, item in enumerate(items):
        start = item.start_mark.line
        end = items[n + 1].start_mark.line if n + 1 < len(items) else item.end_mark.line
        if item.end_mark.column and n + 1 == len(items):
            end += 1
        end = min(end, len(lines))
        while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
            end -= 1
        ident = ""
        if isinstance(item, yaml.MappingNode):
            ident = next((v.value for k, v in item.value if k.value == "id"), "")
        out.append((start, end, item.start_mark.column, ident))
    return out


def render(fields: dict[str, Any], column: int, file_situation: Any, file_locale: Any) -> list[str]:
    """The entry as block-sequence lines, keys in the library's usual order."""
    data = {k: fields[k] for k in ORDER if k in fields}
    data.update({k: v for k, v in fields.items() if k not in data and k not in META})
    if data.get("situation") == file_situation:
        data.pop("situation", None)
    if data.get("locale") == file_locale:
        data.pop("locale", None)
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000,
                          default_flow_style=None).splitlines()
    dash = " " * max(0, column - 2) + "- "
    return [dash + body[0]] + [" " * column + line for line in body[1:]]


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")


def replace_entry(directory: Path, old: dict[str, Any], fields: dict[str, Any]) -> str:
    path = directory / old["file"]
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    node = _entries_node(text)
    block = next((b for b in _blocks(lines, node) if b[3] == old["id"]), None) if node else None
    if block is None:
        raise ValueError(f"{old['file']}: entry {old['id']!r} not found")
    start, end, column, _ = block
    lines[start:end] = render(fields, column, old.get("file_situation"), old.get("file_locale"))
    _write(path, lines)
    return old["file"]


def remove_entry(directory: Path, old: dict[str, Any]) -> str:
    path = directory / old["file"]
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    node = _entries_node(text)
    blocks = _blocks(lines, node) if node else []
    block = next((b for b in blocks if b[3] == old["id"]), None)
    if block is None:
        raise ValueError(f"{old['file']}: entry {old['id']!r} not found")
    del lines[block[0]:block[1]]
    if len(blocks) == 1:  # the list is empty now
        lines = [("entries: []" if line.rstrip() == "entries:" else line) for line in lines]
    _write(path, lines)
    return old["file"]


def _target_file(directory: Path, locale: str, situation: str) -> Path | None:
    """The file of ``locale`` holding most entries of ``situation`` (block-style entries list)."""
    best: tuple[int, Path] | None = None
    for path in _files(directory):
        doc = _load(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list) or not doc["entries"]:
            continue
        count = sum(1 for item in doc["entries"] if isinstance(item, dict)
                    and str(item.get("locale") or doc.get("locale")) == locale
                    and str(item.get("situation") or doc.get("situation")) == situation)
        if count and (best is None or count > best[0]):
            best = (count, path)
    return best[1] if best else None


def append_entry(directory: Path, locale: str, fields: dict[str, Any]) -> str:
    situation = str(fields.get("situation") or "")
    path = _target_file(directory, locale, situation)
    if path is None:
        path = directory / locale / f"console_{situation.lower() or 'entries'}.yaml"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _write(path, ["# Entries added in the console (reports library editor).",
                          f"situation: {situation}", f"locale: {locale}", "entries: []"])
    text = path.read_text(encoding="utf-8")
    doc = yaml.safe_load(text) or {}
    lines = text.splitlines()
    node = _entries_node(text)
    blocks = _blocks(lines, node) if node is not None and node.value and not node.flow_style else []
    if blocks:
        _, end, column, _ = blocks[-1]
        lines[end:end] = render(fields, column, doc.get("situation"), doc.get("locale"))
    else:
        at = next(i for i, line in enumerate(lines) if line.startswith("entries:"))
        lines[at:at + 1] = ["entries:", *render(fields, 4, doc.get("situation"), doc.get("locale"))]
    _write(path, lines)
    return str(path.relative_to(directory))


def problem_key(problem: Any) -> tuple[str, str]:
    """A lint problem without its line number (lines move when an entry is edited)."""
    return (str(problem.where.file), str(problem.message))
