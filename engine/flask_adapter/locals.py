"""The per-thread context stacks of a Flask app, rebuilt from what its own threads report.

Flask 3.x keeps the current contexts in ``ContextVar``s: each thread (or task) sees only its own
value and nothing can list them from outside, so the engine's ``snapshot()`` has no Flask
counterpart. Instead every push and pop is reported on the thread where it happens (the
``appcontext_pushed``/``appcontext_popped`` signals and the instrumented request context), and
this module keeps the same ``{ident: {"app": [...], "request": [...]}}`` picture the engine's
classic ``Local`` storage gives. The summaries of ``g`` and the session are taken on the
request's thread at each step, so the picture is exactly as fresh as the last reported step.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from ..globals import shared_depth
from ..summary import summarize

__all__ = ["Frame", "ReconstructedStacks", "raw_session", "session_items", "snapshot"]

APP_STACK = "_app_ctx_stack"
REQUEST_STACK = "_request_ctx_stack"


def raw_session(ctx: Any) -> Any:
    """The context's session object, or None before it is opened, without marking it accessed.

    Flask 3.1 keeps it in ``_session`` behind a property that sets ``accessed``; 3.0 in a plain
    ``session`` attribute.
    """
    d = ctx.__dict__
    if "_session" in d:
        return d["_session"]
    return d.get("session")


def session_items(session: Any) -> dict[str, Any] | None:
    """The session's contents without touching it the way a view would.

    Flask's sessions mark themselves ``accessed`` on ``get``/``__getitem__`` (3.0), which adds
    ``Vary: Cookie``; ``dict.copy`` reads a dict-based session underneath those overrides.
    """
    if session is None:
        return None
    if isinstance(session, dict):
        return dict.copy(session)
    try:
        return dict(session)
    except Exception:  # a custom session that cannot be listed
        return None


class Frame:
    """One context on a reconstructed stack: its label, request and latest summary."""

    __slots__ = ("ctx", "error", "label", "request_id", "seen", "summary")

    def __init__(self, ctx: Any, label: str, request_id: int | None, summary: dict[str, Any]):
        self.ctx = ctx  # the live context, read only on its own thread
        self.label = label  # the form stack events carry, as the engine's contexts label themselves
        self.request_id = request_id  # the request this context belongs to, None for a bare app ctx
        self.summary = summary  # what snapshot() shows; refreshed on the context's thread
        self.error: str | None = None  # the error its teardown saw, for the pop event
        self.seen: dict[str, Any] = {}  # raw values last summarized, to skip unchanged ones


def app_frame(ctx: Any, app_name: str, request_id: int | None) -> Frame:
    summary = {"type": "AppContext", "app": app_name, "request_id": request_id, "g": {}}
    frame = Frame(ctx, f"<AppContext {app_name}>", request_id, summary)
    if getattr(getattr(ctx, "g", None), "__dict__", None):  # a context pushed again keeps g
        refresh_app(frame)
    return frame


def request_frame(ctx: Any, request_id: int) -> Frame:
    request = ctx.request
    summary = {
        "type": "RequestContext",
        "request_id": request_id,
        "method": request.method,
        "path": request.path,
        "endpoint": None,
        "view_args": None,
        "session": None,
        "session_modified": False,
    }
    frame = Frame(ctx, f"<RequestContext {request.method} {request.path}>", request_id, summary)
    if raw_session(ctx) is not None:  # pushed again (a copy, stream_with_context): has a session
        refresh_request(frame)
    return frame


_SCALARS = (str, int, float, bool, type(None))


def _unchanged(seen: dict[str, Any], key: str, values: dict[str, Any] | None) -> bool:
    """Same as last time and nothing inside can change in place (summarizing is the cost)."""
    if key not in seen or seen[key] != values:
        return False
    return values is None or all(type(v) in _SCALARS for v in values.values())


def refresh_app(frame: Frame) -> None:
    g = getattr(frame.ctx, "g", None)
    items = dict(getattr(g, "__dict__", None) or {})
    seen = frame.seen
    if not _unchanged(seen, "g", items):
        seen["g"] = items
        frame.summary["g"] = {k: summarize(v, 1) for k, v in items.items()}


def refresh_request(frame: Frame) -> None:
    ctx = frame.ctx
    request = ctx.request
    rule = getattr(request, "url_rule", None)
    session = raw_session(ctx)
    summary = frame.summary
    seen = frame.seen
    summary["endpoint"] = rule.endpoint if rule is not None else None
    view_args = request.view_args
    if not _unchanged(seen, "view_args", view_args):
        seen["view_args"] = dict(view_args) if isinstance(view_args, dict) else view_args
        summary["view_args"] = summarize(view_args)
    items = session_items(session)
    if not _unchanged(seen, "session", items):
        seen["session"] = items
        summary["session"] = None if items is None else summarize(items)
    summary["session_modified"] = bool(getattr(session, "modified", False))


class ReconstructedStacks:
    """``{ident: {"app": [Frame], "request": [Frame]}}`` kept from reported pushes and pops.

    Lists are replaced, never mutated, under one lock, so ``snapshot()`` from the GUI thread is
    a consistent cut of every thread.
    """

    def __init__(self) -> None:
        self._threads: dict[int, dict[str, list[Frame]]] = {}  # ident -> "app"/"request" frames
        self._lock = threading.Lock()  # guards _threads
        self.ident = threading.get_ident  # the unit a ContextVar value belongs to, as observed
        self.read = False  # snapshot() was called: keep the summaries of g and session fresh
        self.depth_by_ident: dict[int, dict[str, int]] = {}  # the bus reads depths here

    def frames(self, ident: int) -> dict[str, list[Frame]] | None:
        return self._threads.get(ident)

    def depth(self) -> dict[str, int]:
        stacks = self._threads.get(self.ident())
        if stacks is None:
            return shared_depth(0, 0)
        return shared_depth(len(stacks["app"]), len(stacks["request"]))

    def push(self, ident: int, which: str, frame: Frame) -> list[Frame]:
        with self._lock:
            stacks = self._threads.get(ident)
            if stacks is None:
                stacks = self._threads[ident] = {"app": [], "request": []}
            new = [*stacks[which], frame]
            stacks[which] = new
            self.depth_by_ident[ident] = shared_depth(len(stacks["app"]), len(stacks["request"]))
        return new

    def pop(self, ident: int, which: str, ctx: Any) -> tuple[Frame | None, list[Frame]]:
        """Remove ``ctx``'s topmost frame; returns it and what is left on that stack."""
        with self._lock:
            stacks = self._threads.get(ident)
            if stacks is None:
                return None, []
            frames = stacks[which]
            for i in range(len(frames) - 1, -1, -1):
                if frames[i].ctx is ctx:
                    frame = frames[i]
                    rest = frames[:i] + frames[i + 1 :]
                    break
            else:
                return None, frames
            stacks[which] = rest
            if not stacks["app"] and not stacks["request"]:
                del self._threads[ident]
                self.depth_by_ident.pop(ident, None)
            else:
                self.depth_by_ident[ident] = shared_depth(
                    len(stacks["app"]), len(stacks["request"])
                )
        return frame, rest

    def top(self, ident: int, which: str) -> Frame | None:
        stacks = self._threads.get(ident)
        if not stacks:
            return None
        frames = stacks[which]
        return frames[-1] if frames else None

    def snapshot(self) -> dict[int, dict[str, list[Any]]]:
        self.read = True
        with self._lock:
            items = [(ident, s["app"], s["request"]) for ident, s in self._threads.items()]
        return {
            ident: {
                "app": [dict(f.summary) for f in app],
                "request": [dict(f.summary) for f in req],
            }
            for ident, app, req in items
        }


_all_stacks: weakref.WeakSet[Any] = weakref.WeakSet()  # every attached adapter's stacks


def register(stacks: ReconstructedStacks) -> None:
    _all_stacks.add(stacks)


def snapshot() -> dict[int, dict[str, list[Any]]]:
    """Every attached Flask app's reconstructed stacks, in ``engine.globals.snapshot()`` shape.

    A thread serving two attached apps (one app's view calling the other's test client) shows
    both apps' contexts, in the order each app saw them pushed.
    """
    out: dict[int, dict[str, list[Any]]] = {}
    for stacks in list(_all_stacks):
        for ident, s in stacks.snapshot().items():
            mine = out.setdefault(ident, {"app": [], "request": []})
            mine["app"].extend(s["app"])
            mine["request"].extend(s["request"])
    return out
