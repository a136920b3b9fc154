"""``--app`` finds the same app as ``flask --app`` (Flask 3.1), on real projects in tmp_path.

Each case writes a small project, loads it with ctxscope's loader and with Flask's own
``ScriptInfo(app_import_path=...).load_app()`` in the same process, and checks that both find
the same app (each fixture app has one ``/whoami`` route whose endpoint is its label) or both
refuse. Where Flask prints a traceback, ctxscope must say the same on one line and exit 2;
that is checked through the real command line in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.cli import ScriptInfo

from engine.loading import AppLoadError, load_app

ROOT = Path(__file__).resolve().parents[1]
Project = Callable[[dict[str, str]], Path]


def _app(label: str, var: str = "app") -> str:
    return f"""
{var} = Flask(__name__)
{var}.add_url_rule("/whoami", "label_{label}", lambda: __name__)
"""


def _factory(label: str, name: str = "create_app", params: str = "") -> str:
    return f"""
def {name}({params}):
    app = Flask(__name__)
    app.add_url_rule("/whoami", "label_{label}", lambda: __name__)
    return app
"""


FLASK = "from flask import Flask\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """Writes a project into tmp_path and runs from there; its modules are forgotten after."""
    # Both loaders put project directories first on sys.path; keep that inside the test.
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.chdir(tmp_path)
    before = set(sys.modules)

    def write(files: dict[str, str]) -> Path:
        for rel, text in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return tmp_path

    yield write
    for name in set(sys.modules) - before:
        module = sys.modules[name]
        locations = [*getattr(module, "__path__", []), getattr(module, "__file__", None) or ""]
        # Only the project's modules: "app", "m", "pkg" are reused by the next case.
        if any(loc.startswith(str(tmp_path)) for loc in locations):
            del sys.modules[name]


def _label(app: Any) -> str:
    (endpoint,) = [r.endpoint for r in app.url_map.iter_rules() if r.rule == "/whoami"]
    return endpoint.removeprefix("label_")


def _flask_finds(spec: str) -> Any:
    return ScriptInfo(app_import_path=spec, set_debug_flag=False).load_app()


# --- the same app is found ------------------------------------------------------------------

FOUND = {
    # name: (files, cwd inside the project, --app, label of the app both must find)
    "app_wins_over_application": (
        {"m.py": FLASK + _app("application", "application") + _app("app")},
        "",
        "m",
        "app",
    ),
    "application_when_app_is_not_an_app": (
        {"m.py": FLASK + "app = 42\n" + _app("application", "application")},
        "",
        "m",
        "application",
    ),
    "make_app_after_create_app_returned_none": (
        {"m.py": FLASK + "def create_app():\n    return None\n" + _factory("make", "make_app")},
        "",
        "m",
        "make",
    ),
    "factory_with_literal_args": (
        {"m.py": FLASK + _factory("args", params="env, debug=False")},
        "",
        'm:create_app("dev", debug=True)',
        "args",
    ),
    "instance_named_with_call_parens": ({"m.py": FLASK + _app("inst")}, "", "m:app()", "inst"),
    "file_in_a_directory_with_a_sibling_import": (
        {"src/app.py": FLASK + "import helpers\n" + _app("sibling"), "src/helpers.py": ""},
        "",
        "src/app.py",
        "sibling",
    ),
    "dot_slash_file": ({"app.py": FLASK + _app("dotslash")}, "", "./app.py", "dotslash"),
    "package_directory_with_slash": (
        {"myproj/__init__.py": FLASK + _factory("pkg")},
        "",
        "myproj/",
        "pkg",
    ),
    "package_init_file": (
        {"myproj/__init__.py": FLASK + _factory("init")},
        "",
        "myproj/__init__.py:create_app",
        "init",
    ),
    "cwd_inside_a_package_with_relative_import": (
        {
            "pkg/__init__.py": "",
            "pkg/views.py": "",
            "pkg/app.py": FLASK + "from . import views\n" + _app("inside"),
        },
        "pkg",
        "app",
        "inside",
    ),
}


@pytest.mark.parametrize("case", FOUND.values(), ids=FOUND.keys())
def test_finds_the_app_flask_finds(
    project: Project, monkeypatch: pytest.MonkeyPatch, case: tuple[dict[str, str], str, str, str]
) -> None:
    files, cwd, spec, label = case
    monkeypatch.chdir(project(files) / cwd)
    ours = load_app(spec)
    assert _label(ours) == label
    assert _label(_flask_finds(spec)) == label


def test_a_file_path_imports_the_module_once_under_flasks_name(project: Project) -> None:
    # As `flask --app src/app.py`: module "app" from src/, not a second copy as "src.app".
    project({"src/app.py": FLASK + _app("file"), "myproj/__init__.py": FLASK + _factory("p")})
    assert load_app("src/app.py").import_name == "app"
    assert load_app(str(Path("myproj/__init__.py").resolve())).import_name == "myproj"
    assert "src.app" not in sys.modules and "myproj.__init__" not in sys.modules


# --- both refuse ----------------------------------------------------------------------------

REFUSED = {
    # name: (files, --app, the one line ctxscope gives)
    "factory_needs_arguments": (
        {"m.py": FLASK + _factory("x", params="config")},
        "m",
        "m:create_app() could not be called without arguments (TypeError: create_app() missing "
        "1 required positional argument: 'config'); pass them as --app 'm:create_app(ARGS)'",
    ),
    "factory_called_with_wrong_arguments": (
        {"m.py": FLASK + _factory("x")},
        'm:create_app("x")',
        'm:create_app("x") could not be called with these arguments (TypeError: create_app() '
        "takes 0 positional arguments but 1 was given)",
    ),
    "type_error_inside_the_factory": (
        {"m.py": "def create_app():\n    return len(5)\n"},
        "m",
        "m:create_app() raised TypeError: object of type 'int' has no len()",
    ),
    "class_as_create_app_is_not_called": (
        {"m.py": FLASK + "class create_app:\n    def __new__(cls):\n        return Flask('c')\n"},
        "m",
        "no app in module 'm': tried 'app', 'application', any app instance, "
        "'create_app()' (a class, not a function), 'make_app()'",
    ),
    "named_class_is_not_called": (
        {"m.py": FLASK + "class Factory:\n    def __new__(cls):\n        return Flask('c')\n"},
        "m:Factory",
        "m:Factory is a class, not an app or a factory function",
    ),
    "wsgi_middleware_is_not_an_app": (
        {
            "m.py": FLASK
            + _app("inner")
            + "class MW:\n    def __call__(self, environ, start_response):\n"
            + "        return app(environ, start_response)\n"
            + "wsgi = MW()\n"
        },
        "m:wsgi",
        "m:wsgi is a MW, not an app or a factory function",
    ),
    "two_apps": (
        {"m.py": FLASK + _app("a", "a") + _app("b", "b")},
        "m",
        "module 'm' has several apps; name one with m:NAME",
    ),
    "import_error_inside_the_package": (
        {"myproj/__init__.py": "from myproj import views\n"},
        "myproj",
        "importing 'myproj' failed: ImportError: cannot import name 'views' from partially "
        "initialized module 'myproj'",
    ),
    "import_error_inside_a_submodule": (
        {"pkg/__init__.py": "", "pkg/app.py": "from pkg import nothing\n"},
        "pkg.app",
        "importing 'pkg.app' failed: ImportError: cannot import name 'nothing' from 'pkg'",
    ),
    "module_missing": ({"other.py": ""}, "pkg.missing", "could not import 'pkg.missing'"),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_refuses_what_flask_refuses(
    project: Project, case: tuple[dict[str, str], str, str]
) -> None:
    files, spec, message = case
    project(files)
    with pytest.raises(AppLoadError) as info:
        load_app(spec)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    with pytest.raises(Exception):  # noqa: B017 - Flask's error class varies (or a traceback)
        _flask_finds(spec)


# --- the real command line ------------------------------------------------------------------


def _ctxscope(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "inspector", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=env,
    )


def test_trace_runs_a_file_path_app_whose_siblings_import(project: Project) -> None:
    root = project(
        {
            "src/app.py": FLASK + "from helpers import WHO\n"
            "app = Flask(__name__)\napp.add_url_rule('/whoami', 'whoami', lambda: WHO)\n",
            "src/helpers.py": "WHO = 'found-by-path'\n",
        }
    )
    result = _ctxscope(root, "trace", "--app", "src/app.py", "GET", "/whoami")
    assert result.returncode == 0, result.stderr
    assert "found-by-path" in result.stdout


@pytest.mark.parametrize(
    ("files", "spec", "line"),
    [
        (
            {"myproj/__init__.py": "from myproj import views\n"},
            "myproj",
            "ctxscope trace: error: --app: importing 'myproj' failed: ImportError: cannot import "
            "name 'views' from partially initialized module 'myproj' (most likely due to a "
            "circular import) ({root}/myproj/__init__.py)",
        ),
        (
            {"m.py": FLASK + _factory("x", params="config")},
            "m",
            "ctxscope trace: error: --app: m:create_app() could not be called without arguments "
            "(TypeError: create_app() missing 1 required positional argument: 'config'); "
            "pass them as --app 'm:create_app(ARGS)'",
        ),
    ],
    ids=["import_error_inside", "factory_needs_arguments"],
)
def test_cli_error_is_one_line_and_exit_2(
    project: Project, files: dict[str, str], spec: str, line: str
) -> None:
    root = project(files)
    result = _ctxscope(root, "trace", "--app", spec, "GET", "/")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == line.format(root=os.path.realpath(root)) + "\n"
