"""Watching the user's own Flask app with the engine's events (``ctxscope[flask]``).

``attach(flask_app)`` instruments a ``flask.Flask`` instance in place and returns a
``FlaskAdapter``, which has the engine app's observation surface (``subscribe``, ``events``,
``breakpoints``, ``config``, ``url_map``, ``iter_routes()``, WSGI ``__call__``,
``test_client()``...) and ``flask_app`` for the original. ``ensure_observable(obj)`` is what
app loading calls: an engine app comes back as it is, a Flask app attached (once).

Flask is imported only when a Flask app is attached; it stays an optional dependency.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FlaskAdapter", "attach", "ensure_observable", "is_flask_app", "snapshot"]


def is_flask_app(obj: object) -> bool:
    """A ``flask.Flask`` (or subclass) instance, checked without importing Flask."""
    return any(
        f"{cls.__module__}.{cls.__qualname__}" == "flask.app.Flask" for cls in type(obj).__mro__
    )


def attach(flask_app: Any) -> Any:
    """Instrument ``flask_app`` (once) and return its ``FlaskAdapter``."""
    from .adapter import EXTENSION_KEY, FlaskAdapter

    if not is_flask_app(flask_app):
        raise TypeError(f"expected a flask.Flask instance, got {type(flask_app).__name__}")
    existing = flask_app.extensions.get(EXTENSION_KEY)
    if isinstance(existing, FlaskAdapter):
        return existing
    return FlaskAdapter(flask_app)


def ensure_observable(obj: Any) -> Any:
    """An engine app or an adapter as it is; a Flask app attached; anything else refused."""
    from ..app import App

    if isinstance(obj, App) or getattr(obj, "locals_reconstructed", False):
        return obj
    if is_flask_app(obj):
        return attach(obj)
    raise TypeError(f"{type(obj).__name__} is neither an engine App nor a flask.Flask app")


def snapshot() -> dict[int, dict[str, list[Any]]]:
    """Every attached Flask app's reconstructed context stacks, per thread ident."""
    from .locals import snapshot as _snapshot

    return _snapshot()


def __getattr__(name: str) -> Any:
    if name == "FlaskAdapter":
        from .adapter import FlaskAdapter

        return FlaskAdapter
    raise AttributeError(name)
