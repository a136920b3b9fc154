"""Finding the user's app from ``--app MODULE:ATTR``, the way ``flask --app`` does (Flask 3.1).

The part before ``:`` is a module name, a ``.py`` file or a package directory (``app``,
``src/app.py``, ``./app.py``, ``myproj/``); like Flask's ``prepare_import``, the directory that
holds it (above any enclosing packages) goes first on ``sys.path`` and the module is imported
under its package-qualified name. ``MODULE`` alone looks for an app called ``app`` or
``application``, then the only app instance in the module, then a factory function
``create_app()`` or ``make_app()``; ``MODULE:NAME`` names the attribute (a function is called);
``MODULE:factory(args)`` calls a factory with literal arguments.

Where Flask prints a traceback (the user's module or factory raising), ctxscope says the same
thing on one line: the error is the user's to fix, and the command exits 2.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
import sys
import traceback
from types import ModuleType, TracebackType
from typing import Any

__all__ = ["DEMO_APP", "AppLoadError", "load_app", "load_observable_app", "looks_like_app"]

DEMO_APP = "engine.demo:create_app"
"""What every command serves when no ``--app`` is given."""

_FACTORY_NAMES = ("create_app", "make_app")  # Flask's find_best_app, in its order
_APP_NAMES = ("app", "application")


class AppLoadError(Exception):
    """The app could not be found or built; the message says what was tried, on one line."""


def looks_like_app(obj: object) -> bool:
    """An engine ``App`` or a ``flask.Flask`` (duck-typed: Flask is optional)."""
    from .app import App

    if isinstance(obj, App):
        return True
    return any(
        f"{cls.__module__}.{cls.__qualname__}" == "flask.app.Flask" for cls in type(obj).__mro__
    )


def _last_line(e: BaseException) -> str:
    return traceback.format_exception_only(e)[-1].strip()


def _kind(obj: object) -> str:
    return "class" if inspect.isclass(obj) else type(obj).__name__


# --- importing the module -------------------------------------------------------------------


def _split_spec(spec: str) -> tuple[str, str | None]:
    # Flask's split: a ':' followed by a slash is a Windows drive ("C:\proj\app.py"), not ATTR.
    path, *rest = re.split(r":(?![\\/])", spec, maxsplit=1)
    return path.strip(), (rest[0] if rest else None)


def _prepare_import(path: str) -> tuple[str, str]:
    """Flask's ``prepare_import``: the module name for ``path`` and the directory to import from.

    ``src/app.py`` is module ``app`` imported from ``src`` (so its sibling modules import as
    they do under ``flask run``); inside packages, the name is qualified up to the first
    directory without ``__init__.py``, which is the one put on ``sys.path``.
    """
    path = os.path.realpath(path)
    stem, ext = os.path.splitext(path)
    if ext == ".py":
        path = stem
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    parts: list[str] = []
    while True:
        path, name = os.path.split(path)
        parts.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(parts)), path


def _raised_inside(tb: TracebackType | None) -> bool:
    # Python strips importlib's own frames from an ImportError's traceback, so a traceback
    # longer than our own frame means the import ran the user's code and failed in there
    # (Flask's locate_app uses the same test).
    return tb is not None and tb.tb_next is not None


def _import(module_name: str, directory: str) -> ModuleType:
    try:
        __import__(module_name)
    except ImportError as e:
        if _raised_inside(e.__traceback__):
            raise AppLoadError(f"importing {module_name!r} failed: {_last_line(e)}") from None
        raise AppLoadError(
            f"could not import {module_name!r} (looked in {directory} and sys.path)"
        ) from None
    except SyntaxError as e:
        raise AppLoadError(
            f"importing {module_name!r} failed: SyntaxError: {e.msg} "
            f"({e.filename}, line {e.lineno})"
        ) from None
    except Exception as e:
        raise AppLoadError(f"importing {module_name!r} failed: {_last_line(e)}") from None
    return sys.modules[module_name]


# --- calling a factory ----------------------------------------------------------------------


def _called_with_wrong_args(factory: Any, tb: TracebackType | None) -> bool:
    """Did the call itself fail (bad arguments), rather than something inside the factory?"""
    while tb is not None:
        if tb.tb_frame.f_code is factory.__code__:
            return False  # the factory ran: the TypeError is its own
        tb = tb.tb_next
    return True


class _WrongArgs(Exception):
    """The factory could not be called with these arguments; callers word the hint."""


def _call_factory(shown: str, factory: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """``factory(*args, **kwargs)``; ``shown`` is how the call is named in an error."""
    try:
        return factory(*args, **kwargs)
    except TypeError as e:
        if _called_with_wrong_args(factory, e.__traceback__):
            raise _WrongArgs(_last_line(e)) from None
        raise AppLoadError(f"{shown} raised {_last_line(e)}") from None
    except Exception as e:
        raise AppLoadError(f"{shown} raised {_last_line(e)}") from None


# --- finding the app in the module ----------------------------------------------------------


def _find_best_app(module: ModuleType, given: str) -> Any:
    """Flask's ``find_best_app``: ``app``/``application``, the only app, then a factory.

    ``given`` is the module as the user wrote it (``src/app.py``): hints repeat it, since
    the module's own name may not load from where they are.
    """
    mod = module.__name__
    for name in _APP_NAMES:
        obj = getattr(module, name, None)
        if looks_like_app(obj):
            return obj
    found = [v for v in vars(module).values() if looks_like_app(v)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise AppLoadError(f"module {mod!r} has several apps; name one with {given}:NAME")

    tried = ["'app'", "'application'", "any app instance"]
    for name in _FACTORY_NAMES:
        factory = getattr(module, name, None)
        if not inspect.isfunction(factory):  # Flask calls only plain functions here
            skipped = "" if factory is None else f" (a {_kind(factory)}, not a function)"
            tried.append(f"'{name}()'{skipped}")
            continue
        try:
            app = _call_factory(f"{mod}:{name}()", factory, [], {})
        except _WrongArgs as e:
            raise AppLoadError(
                f"{mod}:{name}() could not be called without arguments ({e}); "
                f"pass them as --app '{given}:{name}(ARGS)'"
            ) from None
        if looks_like_app(app):
            return app
        # Flask moves on to the next factory; the message says why this one did not count.
        tried.append(f"'{name}()' (returned {type(app).__name__})")
    raise AppLoadError(f"no app in module {mod!r}: tried {', '.join(tried)}")


def _parse_attr(attr: str) -> tuple[str, list[Any], dict[str, Any]]:
    try:
        expr = ast.parse(attr.strip(), mode="eval").body
    except (SyntaxError, ValueError):  # ValueError: a NUL byte in the text
        raise AppLoadError(f"could not parse {attr!r} as an attribute name or call") from None
    if isinstance(expr, ast.Name):
        return expr.id, [], {}
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        try:
            args = [ast.literal_eval(arg) for arg in expr.args]
            kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords if kw.arg}
        except ValueError:
            raise AppLoadError(f"the arguments of {attr!r} must be literal values") from None
        return expr.func.id, args, kwargs
    raise AppLoadError(f"{attr!r} is not an attribute name or a factory call")


def _find_app_by_string(module: ModuleType, attr: str) -> Any:
    """Flask's ``find_app_by_string``: a function is called (with the given literal
    arguments); anything else must itself be the app."""
    mod = module.__name__
    name, args, kwargs = _parse_attr(attr)
    try:
        obj = getattr(module, name)
    except AttributeError:
        raise AppLoadError(f"module {mod!r} has no attribute {name!r}") from None
    shown = f"{mod}:{attr.strip()}"
    if inspect.isfunction(obj):
        try:
            app = _call_factory(shown if "(" in attr else f"{shown}()", obj, args, kwargs)
        except _WrongArgs as e:
            raise AppLoadError(f"{shown} could not be called with these arguments ({e})") from None
        if not looks_like_app(app):
            raise AppLoadError(f"{shown} returned {type(app).__name__}, not an app")
        return app
    # As in Flask, only a function is called: a class or a WSGI middleware is not an app,
    # and "app()" on an app instance names the instance.
    if looks_like_app(obj):
        return obj
    raise AppLoadError(f"{mod}:{name} is a {_kind(obj)}, not an app or a factory function")


# --- entry points ---------------------------------------------------------------------------


def load_app(spec: str | None = None) -> Any:
    """The app named by ``spec`` (``MODULE[:ATTR]``); the demo app when ``spec`` is empty."""
    if not spec:
        # The demo ships with ctxscope: import it by name, never relative to the cwd.
        demo_module, _, demo_factory = DEMO_APP.partition(":")
        return _find_app_by_string(importlib.import_module(demo_module), demo_factory)
    path, attr = _split_spec(spec)
    if not path:
        raise AppLoadError(f"expected MODULE or MODULE:ATTR, not {spec!r}")
    module_name, directory = _prepare_import(path)
    module = _import(module_name, directory)
    if attr is None:
        return _find_best_app(module, path)
    return _find_app_by_string(module, attr)


def load_observable_app(spec: str | None = None) -> Any:
    """Like ``load_app``, but a Flask app comes back attached to ctxscope's instrumentation.

    The result has the engine app's observation surface (``subscribe``, ``events``,
    ``breakpoints``, ``config``, ``iter_routes()``, WSGI ``__call__``) either way.
    """
    app = load_app(spec)
    from .app import App

    if isinstance(app, App):
        return app
    try:
        from .flask_adapter import ensure_observable
    except ImportError as e:
        raise AppLoadError(f"cannot attach to a Flask app: {_last_line(e)}") from None
    return ensure_observable(app)
