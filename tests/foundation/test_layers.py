"""The parts import one way only (the layers contract in pyproject.toml, checked by import-linter),
and no part hides an import of another behind ``except ImportError``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PARTS = ("core", "scripts_library", "ivr", "scheduler", "agent_console", "reports")


def test_the_import_layers_contract_is_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    command = [str(lint)] if lint.exists() else [sys.executable, "-m", "importlinter.cli"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout and "KEPT" in result.stdout


def _guarded_part_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Try):
            continue
        names = {getattr(h.type, "id", None) for h in node.handlers}
        if not names & {"ImportError", "ModuleNotFoundError"}:
            continue
        for inner in ast.walk(node):
            module = inner.module if isinstance(inner, ast.ImportFrom) else None
            if isinstance(inner, ast.Import):
                module = inner.names[0].name
            if module and module.split(".")[0] in PARTS:
                found.append(f"{path.relative_to(REPO)}:{inner.lineno} {module}")
    return found


def test_no_part_is_imported_behind_an_import_error_guard():
    guarded = [hit for part in PARTS for path in sorted((REPO / part).rglob("*.py"))
               for hit in _guarded_part_imports(path)]
    assert guarded == []
