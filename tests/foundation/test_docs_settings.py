"""The manuals name real settings, and docs/configuration.md lists every one of them.

A setting renamed or added in ``core/config.py`` must show in the manual a reader configures
Hotline from; a manual must not tell anyone to set something that does not exist.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from core.config import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"
MANUALS = ("handbook.md", "configuration.md", "callers.md", "console.md", "reports.md",
           "operations.md", "simulator.md", "api.md")
SECTIONS = {name: field.annotation for name, field in Settings.model_fields.items()
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)}
SETTING = re.compile(r"`(" + "|".join(SECTIONS) + r")\.(\w+)")


def configuration_sections() -> dict[str, str]:
    """``### `queue` …`` heading → the text up to the next heading."""
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    parts = re.split(r"^### `(\w+)`.*$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_configuration_lists_every_setting_of_each_section(section):
    documented = configuration_sections().get(section)
    assert documented is not None, f"docs/configuration.md has no section `{section}`"
    missing = [name for name in SECTIONS[section].model_fields if f"`{name}`" not in documented]
    assert not missing, f"docs/configuration.md, `{section}`: not listed: {missing}"


def test_configuration_has_a_section_for_every_top_level_setting():
    documented = configuration_sections()
    assert set(Settings.model_fields) <= set(documented)


def _is_module(dotted: str) -> bool:
    """``scheduler.engine`` is the package, not a setting of the ``scheduler`` section."""
    try:
        return importlib.util.find_spec(dotted) is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.parametrize("manual", MANUALS)
def test_settings_named_in_the_manuals_exist(manual):
    text = (DOCS / manual).read_text(encoding="utf-8")
    unknown = sorted({f"{section}.{name}" for section, name in SETTING.findall(text)
                      if name not in SECTIONS[section].model_fields
                      and not hasattr(SECTIONS[section], name) and not _is_module(f"{section}.{name}")})
    assert not unknown, f"docs/{manual} names settings that do not exist: {unknown}"
