"""Finding the user's app from ``--app MODULE:ATTR``, the way ``flask --app`` does.

``MODULE`` alone looks for an app called ``app`` or ``application``, then a factory
``create_app()`` or ``make_app()``; ``MODULE:NAME`` names the attribute; ``MODULE:factory(args)``
calls a factory with literal arguments. The current directory is put on ``sys.path`` first, so
a project's own modules import as they do under ``flask run``.
"""

from __future__ import annotations

import ast
import importlib
import os
import sys
import traceback
from typing import Any

__all__ = ["DEMO_APP", "AppLoadError", "load_app", "load_observable_app", "looks_like_app"]

DEMO_APP = "engine.demo:create_app"
"""What every command serves when no ``--app`` is given."""


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


def _import(module_name: str) -> Any:
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(module_name)
    except ImportError as e:
        # Only "this very module is missing" is a lookup failure; an ImportError raised from
        # inside the user's module is their bug and is shown as such.
        if e.name == module_name or (e.name and module_name.startswith(e.name + ".")):
            raise AppLoadError(
                f"could not import {module_name!r} (looked in {cwd} and sys.path)"
            ) from None
        raise AppLoadError(f"importing {module_name!r} failed: {_last_line(e)}") from None
    except SyntaxError as e:
        raise AppLoadError(
            f"importing {module_name!r} failed: SyntaxError: {e.msg} "
            f"({e.filename}, line {e.lineno})"
        ) from None
    except Exception as e:
        raise AppLoadError(f"importing {module_name!r} failed: {_last_line(e)}") from None


def _last_line(e: BaseException) -> str:
    return traceback.format_exception_only(e)[-1].strip()


def _call_factory(
    module_name: str, name: str, factory: Any, args: list[Any], kwargs: dict[str, Any]
) -> Any:
    try:
        app = factory(*args, **kwargs)
    except Exception as e:
        raise AppLoadError(f"{module_name}:{name}() raised {_last_line(e)}") from None
    if not looks_like_app(app):
        raise AppLoadError(f"{module_name}:{name}() returned {type(app).__name__}, not an app")
    return app


def _parse_attr(module_name: str, attr: str) -> tuple[str, list[Any], dict[str, Any] | None]:
    try:
        expr = ast.parse(attr.strip(), mode="eval").body
    except SyntaxError:
        raise AppLoadError(f"could not parse {attr!r} as an attribute name or call") from None
    if isinstance(expr, ast.Name):
        return expr.id, [], None
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        try:
            args = [ast.literal_eval(arg) for arg in expr.args]
            kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords if kw.arg}
        except ValueError:
            raise AppLoadError(f"the arguments of {attr!r} must be literal values") from None
        return expr.func.id, args, kwargs
    raise AppLoadError(f"{attr!r} is not an attribute name or a factory call")


def load_app(spec: str | None = None) -> Any:
    """The app named by ``spec`` (``MODULE[:ATTR]``); the demo app when ``spec`` is None."""
    spec = spec or DEMO_APP
    module_name, _, attr = spec.partition(":")
    module_name = module_name.strip()
    if module_name.endswith(".py"):
        module_name = module_name[:-3].replace(os.sep, ".")
    if not module_name:
        raise AppLoadError(f"--app {spec!r}: expected MODULE or MODULE:ATTR")
    module = _import(module_name)

    if attr:
        name, args, kwargs = _parse_attr(module_name, attr)
        try:
            obj = getattr(module, name)
        except AttributeError:
            raise AppLoadError(f"module {module_name!r} has no attribute {name!r}") from None
        if kwargs is not None:
            return _call_factory(module_name, name, obj, args, kwargs)
        if looks_like_app(obj):
            return obj
        if callable(obj):
            return _call_factory(module_name, name, obj, [], {})
        raise AppLoadError(f"{module_name}:{name} is a {type(obj).__name__}, not an app")

    for name in ("app", "application"):
        obj = getattr(module, name, None)
        if looks_like_app(obj):
            return obj
    found = [v for v in vars(module).values() if looks_like_app(v)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise AppLoadError(
            f"module {module_name!r} has several apps; name one with {module_name}:NAME"
        )
    for name in ("create_app", "make_app"):
        factory = getattr(module, name, None)
        if callable(factory):
            return _call_factory(module_name, name, factory, [], {})
    raise AppLoadError(
        f"no app in module {module_name!r}: tried 'app', 'application', any app instance, "
        "'create_app()' and 'make_app()'"
    )


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
