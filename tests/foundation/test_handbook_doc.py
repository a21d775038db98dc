"""docs/handbook.md explains every handbook rule id the code cites, and the places it names exist.

A rule id in a comment (``# H3: reassure every 30 seconds``) must resolve inside the repository,
and the manual must not send a reader to a function that was renamed or removed.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDBOOK = ROOT / "docs" / "handbook.md"
CODE_DIRS = ("agent_console", "core", "ivr", "reports", "scheduler", "scripts_library")
CODE_SUFFIXES = {".py", ".html", ".js", ".yaml"}
RULE_ID = re.compile(r"\b([HS]\d{1,2})\b")
PLACE = re.compile(r"`((?:" + "|".join(CODE_DIRS) + r")(?:\.\w+)+)`")


def documented_ids() -> set[str]:
    text = HANDBOOK.read_text(encoding="utf-8")
    headings = re.findall(r"^### (H\d{1,2}) — ", text, flags=re.MULTILINE)
    table_rows = re.findall(r"^\| (S\d) \|", text, flags=re.MULTILINE)
    return set(headings) | set(table_rows)


def cited_ids() -> dict[str, str]:
    """Each rule id cited in the code or the example configuration → one file citing it."""
    files = [p for d in CODE_DIRS for p in (ROOT / d).rglob("*") if p.suffix in CODE_SUFFIXES]
    files.append(ROOT / "config.example.yaml")
    cited: dict[str, str] = {}
    for path in files:
        for rule in RULE_ID.findall(path.read_text(encoding="utf-8", errors="replace")):
            cited.setdefault(rule, str(path.relative_to(ROOT)))
    return cited


def test_every_rule_id_cited_in_the_code_is_explained():
    documented = documented_ids()
    missing = {rule: where for rule, where in cited_ids().items() if rule not in documented}
    assert not missing, f"rule ids cited but not in docs/handbook.md: {missing}"


def test_the_handbook_covers_all_rules_with_settings_and_enforcement():
    documented = documented_ids()
    assert documented == {f"H{i}" for i in range(1, 27)} | {f"S{i}" for i in range(1, 10)}
    sections = re.split(r"^### ", HANDBOOK.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]
    for section in sections:
        assert "- Settings:" in section and "- Enforced:" in section, section.splitlines()[0]


def named_places() -> list[str]:
    """Dotted names such as ``ivr.queue.wait_plan`` the manual gives as enforcement points."""
    return sorted(set(PLACE.findall(HANDBOOK.read_text(encoding="utf-8"))))


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            target = getattr(target, attribute)
        return target
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize("dotted", named_places())
def test_each_place_the_handbook_names_exists(dotted):
    _resolve(dotted)
