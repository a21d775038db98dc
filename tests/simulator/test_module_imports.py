"""The simulator's modules import each other at the top, never inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import core.telephony.simulator as simulator_package

PACKAGE_DIR = Path(simulator_package.__file__).parent


def _imports_inside_functions(tree: ast.Module) -> list[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines.update(inner.lineno for inner in ast.walk(node)
                         if isinstance(inner, ast.Import | ast.ImportFrom))
    return sorted(lines)


def test_no_module_imports_inside_a_function() -> None:
    found = {path.name: lines for path in sorted(PACKAGE_DIR.glob("*.py"))
             if (lines := _imports_inside_functions(ast.parse(path.read_text(encoding="utf-8"))))}
    assert len(list(PACKAGE_DIR.glob("*.py"))) > 10
    assert found == {}, f"imports inside functions (move them to the top): {found}"


def test_the_check_sees_an_import_inside_a_function() -> None:
    tree = ast.parse("import os\n\ndef f():\n    from . import legs\n    return legs\n")
    assert _imports_inside_functions(tree) == [4]
