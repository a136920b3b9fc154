"""JSON-friendly summaries of live values, for events and snapshots.

Events and snapshots cross threads and end up in JSON files, so they never carry live objects:
a summary is built from plain JSON types, with strings and containers capped so that a large
value cannot make an event large. Objects may define ``__ctxscope_summary__()`` to describe
themselves (contexts do, so a stack shows what each context holds).
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_ITEMS", "MAX_STR", "describe_error", "qualname", "summarize"]

MAX_STR = 200  # characters kept of a string or repr
MAX_ITEMS = 50  # entries kept of a container
MAX_DEPTH = 4  # containers below this depth are shown as their repr

_SCALARS = (bool, int, float, type(None))


def _cap(text: str) -> str:
    return text if len(text) <= MAX_STR else text[: MAX_STR - 1] + "…"


_EXACT_SCALARS = frozenset({bool, int, float, type(None)})


def summarize(value: Any, depth: int = 0) -> Any:
    """A JSON-friendly, size-capped picture of ``value``."""
    kind = type(value)
    # Exact-type fast paths first: most values in events are short strings and numbers.
    if kind is str:
        return value if len(value) <= MAX_STR else _cap(value)
    if kind in _EXACT_SCALARS:
        return value
    if kind is dict and depth < MAX_DEPTH and len(value) <= MAX_ITEMS:
        return {
            (k if type(k) is str else _cap(repr(k))): (
                v if type(v) in _EXACT_SCALARS or (type(v) is str and len(v) <= MAX_STR)
                else summarize(v, depth + 1)
            )
            for k, v in value.items()
        }
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, str):
        return _cap(value)
    describe = getattr(type(value), "__ctxscope_summary__", None)
    if describe is not None:
        try:
            return describe(value)
        except Exception as exc:  # a broken description must not break the request
            return f"<{type(value).__name__}: summary failed: {exc!r}>"
    if depth < MAX_DEPTH:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for i, (k, v) in enumerate(value.items()):
                if i == MAX_ITEMS:
                    out["…"] = f"{len(value) - MAX_ITEMS} more"
                    break
                out[k if isinstance(k, str) else _cap(repr(k))] = summarize(v, depth + 1)
            return out
        if isinstance(value, list | tuple):
            items = [summarize(v, depth + 1) for v in value[:MAX_ITEMS]]
            if len(value) > MAX_ITEMS:
                items.append(f"… {len(value) - MAX_ITEMS} more")
            return items
    if isinstance(value, bytes | bytearray):
        return _cap(repr(bytes(value)))
    try:
        return _cap(repr(value))
    except Exception as exc:
        return f"<{type(value).__name__}: repr failed: {exc!r}>"


def describe_error(exc: BaseException | None) -> str | None:
    """``"Type: message"`` of an exception (None stays None), capped like any string."""
    if exc is None:
        return None
    text = str(exc)
    name = type(exc).__name__
    return _cap(f"{name}: {text}" if text else name)


def qualname(func: object) -> str:
    """The name a hook is shown under: its ``__qualname__``, else its repr."""
    name = getattr(func, "__qualname__", None)
    if isinstance(name, str):
        return name
    inner = getattr(func, "func", None)  # functools.partial
    if inner is not None:
        return f"partial({qualname(inner)})"
    return _cap(repr(func))
