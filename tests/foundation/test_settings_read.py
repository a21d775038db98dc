"""Every setting is read by the program, not only by the tests: a setting nothing reads is a
promise the hotline does not keep (refuse it in ``core/config.py`` with a clear message, as
for ``queue.hold_audio_url``, or make it work)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
SKIP = ("tests", "bench", "migrations", "docs")


def _program_text() -> str:
    texts = []
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if (path.suffix in (".py", ".html", ".js") and path.is_file() and rel.parts[0] not in SKIP
                and not rel.parts[0].startswith(".") and rel != Path("core/config.py")):
            texts.append(path.read_text(encoding="utf-8", errors="ignore"))
    return "\n".join(texts)


def _settings(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str]]:
    found = []
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            found += _settings(kind, f"{prefix}{name}.")
        else:
            found.append((f"{prefix}{name}", name))
    return found


def test_every_setting_is_read_outside_the_tests():
    program = _program_text()
    config = (ROOT / "core" / "config.py").read_text(encoding="utf-8")
    unread = []
    for dotted, name in _settings(Settings):
        used = re.search(rf"\.{name}\b|[\"']{name}[\"']", program) or re.search(rf"self\.{name}\b", config)
        if not used:
            unread.append(dotted)
    assert not unread, f"settings nothing but the tests reads: {unread}"
