"""Project hygiene a user relies on: lint-clean code, a README whose commands CI really runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
    reason="ruff is part of the test extra",
)
def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run(
        [ruff, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _block(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\n```sh\n(.+?)\n```\n<!-- /{marker} -->", text, re.S)
    assert match, f"README.md has no {marker} block"
    return match.group(1)


def test_readme_has_exactly_two_setup_commands_naming_the_qt_packages() -> None:
    run, test = _block("run-command"), _block("test-command")
    for command in (run, test):
        assert "\n" not in command, "each is one command a user copies"
        for package in (
            "libgl1",
            "libegl1",
            "libxkbcommon0",
            "libfontconfig1",
            "libglib2.0-0",
            "libdbus-1-3",
        ):
            assert package in command
    assert run.endswith(".venv/bin/ctxscope")
    assert "pytest" in test and "QT_QPA_PLATFORM=offscreen" in test


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "test-command" in ci and "README.md" in ci
    extracted = subprocess.run(
        [
            "bash",
            "-c",
            "sed -n '/<!-- test-command -->/,/<!-- \\/test-command -->/p' README.md"
            " | grep -v '^<!--' | grep -v '^```'",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert extracted == _block("test-command")


def test_pyside6_stays_below_the_none_refcount_release() -> None:
    # PySide6 6.12.0 on CPython 3.11 aborts model/view apps with "none_dealloc".
    text = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'"PySide6-Essentials[^"]*<6\.12"', text)
    from importlib.metadata import version

    major, minor = (int(p) for p in version("PySide6-Essentials").split(".")[:2])
    assert (major, minor) < (6, 12)
