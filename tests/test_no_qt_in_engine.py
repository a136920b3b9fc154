"""The engine never imports Qt or the inspector: statically (ast) and at run time."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "engine"
FORBIDDEN = ("PySide6", "shiboken6", "PyQt4", "PyQt5", "PyQt6", "PySide2", "inspector")


def _forbidden(module: str) -> bool:
    top = module.split(".")[0]
    return top in FORBIDDEN or top.startswith("PyQt")


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (getattr(node.func, "attr", None) or getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _modules() -> list[Path]:
    files = sorted(ENGINE.rglob("*.py"))
    assert files, f"no engine sources under {ENGINE}"
    return files


def test_no_qt_import_in_engine_sources() -> None:
    offenders = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for lineno, module in _imports(tree):
            if _forbidden(module):
                offenders.append(f"{path.relative_to(ENGINE.parent)}:{lineno}: {module}")
    assert offenders == []


def test_checker_catches_qt_imports() -> None:
    # The walker itself must see every form of import it is meant to forbid.
    source = (
        "import PySide6.QtCore\n"
        "from shiboken6 import Shiboken\n"
        "def f():\n"
        "    from PyQt6 import QtWidgets\n"
        "    import importlib; importlib.import_module('inspector.window')\n"
        "from . import inspector\n"  # relative: engine's own module of that name is fine
    )
    found = [m for _, m in _imports(ast.parse(source)) if _forbidden(m)]
    assert found == ["PySide6.QtCore", "shiboken6", "PyQt6", "inspector.window"]


def test_importing_every_engine_module_loads_no_qt() -> None:
    names = []
    for path in _modules():
        rel = path.relative_to(ENGINE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{list(FORBIDDEN)!r} or m.startswith('PyQt'))\n"
        "print(json.dumps({'bad': bad, 'count': len(" + repr(names) + ")}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ENGINE.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["bad"] == []
    assert report["count"] == len(names) > 10
