"""The per-thread context stacks of a Flask app, rebuilt from what its own threads report.

Flask 3.x keeps the current contexts in ``ContextVar``s: each thread (or task) sees only its own
value and nothing can list them from outside, so the engine's ``snapshot()`` has no Flask
counterpart. Instead every push and pop is reported on the thread where it happens (the
instrumented app and request contexts), and
this module keeps the same ``{ident: {"app": [...], "request": [...]}}`` picture the engine's
classic ``Local`` storage gives. The summaries of ``g`` and the session are taken on the
request's thread at each step, so the picture is exactly as fresh as the last reported step.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from ..globals import shared_depth
from ..summary import MAX_STR, summarize

__all__ = [
    "AppFrame",
    "Frame",
    "ReconstructedStacks",
    "RequestFrame",
    "raw_session",
    "session_items",
    "session_summary",
    "snapshot",
]

_MISSING: Any = object()
_new = object.__new__

APP_STACK = "_app_ctx_stack"
REQUEST_STACK = "_request_ctx_stack"


def raw_session(ctx: Any) -> Any:
    """The context's session object, or None before it is opened, without marking it accessed.

    Flask 3.1 keeps it in ``_session`` behind a property that sets ``accessed``; 3.0 in a plain
    ``session`` attribute.
    """
    # Plain attribute reads: reading ``ctx.__dict__`` would turn the context's inline attribute
    # values into a dict, which slows down every later attribute read of it (Python 3.11).
    session = getattr(ctx, "_session", _MISSING)
    return ctx.__dict__.get("session") if session is _MISSING else session


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


_PLAIN = frozenset({bool, int, float, type(None)})  # exact types that summarize to themselves


def summary_of(value: Any) -> Any:
    """``summarize(value)``, answered without its machinery for what events carry most often.

    None, short strings and small dicts of short strings and numbers by string keys (view
    arguments, most sessions) summarize to themselves, or a plain copy: the same result as
    ``summarize``, for a fraction of its cost. Anything else goes to ``summarize``.
    """
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is str:
        return value if len(value) <= MAX_STR else summarize(value)
    if kind is dict and len(value) <= 8:
        out = {}
        for k, v in value.items():
            vkind = type(v)
            if type(k) is not str or not (vkind in _PLAIN or (vkind is str and len(v) <= MAX_STR)):
                return summarize(value)
            out[k] = v
        return out
    return summarize(value)


def session_summary(session: Any) -> Any:
    """``summary_of(session_items(session))`` in one pass: the session's contents, snapshotted.

    A dict-based session (Flask's) with up to 8 string keys of short strings and numbers is
    copied as it is, read underneath its ``accessed``-marking overrides; anything else is
    listed and summarized as ``session_items`` and ``summary_of`` would.
    """
    if isinstance(session, dict) and len(session) <= 8:
        out = {}
        for k, v in dict.items(session):
            vkind = type(v)
            if type(k) is not str or not (vkind in _PLAIN or (vkind is str and len(v) <= MAX_STR)):
                return summarize(dict.copy(session))
            out[k] = v
        return out
    items = session_items(session)
    return None if items is None else summary_of(items)


class Frame:
    """One context on a reconstructed stack: its label, request and latest summary.

    Frames are made at every push, watched or not, so they hold only what the push knows; the
    summary ``snapshot()`` shows is made at the first refresh, on the context's own thread, and
    until then built from those fields when read.
    """

    error: str | None = None  # the error its teardown saw, for the pop event
    summary: dict[str, Any] | None = None  # refreshed on the context's thread, once made
    seen: dict[str, Any] | None = None  # raw values last summarized, to skip unchanged ones

    def __init__(self, ctx: Any, label: str, request_id: int | None) -> None:
        self.ctx = ctx  # the live context, read only on its own thread
        self.label = label  # the form stack events carry, as the engine's contexts label themselves
        self.request_id = request_id  # the request this context belongs to, None for a bare app ctx

    def initial_summary(self) -> dict[str, Any]:
        raise NotImplementedError

    def current_summary(self) -> dict[str, Any]:
        """A copy of what ``snapshot()`` shows for this context."""
        summary = self.summary
        return dict(summary) if summary is not None else self.initial_summary()


class AppFrame(Frame):
    def __init__(self, ctx: Any, app_name: str, request_id: int | None) -> None:
        self.ctx = ctx
        self.label = f"<AppContext {app_name}>"
        self.request_id = request_id
        self.app_name = app_name

    def initial_summary(self) -> dict[str, Any]:
        return {"type": "AppContext", "app": self.app_name, "request_id": self.request_id, "g": {}}


class RequestFrame(Frame):
    """``label`` is ``<RequestContext METHOD PATH>``, made by the push from what it reads."""

    def initial_summary(self) -> dict[str, Any]:
        request = self.ctx.request  # method and path: plain strings, never changed
        return {
            "type": "RequestContext",
            "request_id": self.request_id,
            "method": request.method,
            "path": request.path,
            "endpoint": None,
            "view_args": None,
            "session": None,
            "session_modified": False,
        }


def labels(frames: tuple[Frame, ...]) -> tuple[str, ...]:
    """The ``value`` of a stack's ``local_set`` event, as a tuple (the event lists it when read)."""
    if len(frames) == 1:
        return (frames[0].label,)
    return tuple([f.label for f in frames])


_SCALARS = (str, int, float, bool, type(None))


def _unchanged(seen: dict[str, Any], key: str, values: dict[str, Any] | None) -> bool:
    """Same as last time and nothing inside can change in place (summarizing is the cost)."""
    if key not in seen or seen[key] != values:
        return False
    return values is None or all(type(v) in _SCALARS for v in values.values())


def _summary_state(frame: Frame) -> tuple[dict[str, Any], dict[str, Any]]:
    """The frame's summary and the values it was last built from, made on first use."""
    if frame.summary is None:
        frame.summary = frame.initial_summary()
    if frame.seen is None:
        frame.seen = {}
    return frame.summary, frame.seen


def refresh_app(frame: Frame) -> None:
    g = getattr(frame.ctx, "g", None)
    items = dict(getattr(g, "__dict__", None) or {})
    summary, seen = _summary_state(frame)
    if not _unchanged(seen, "g", items):
        seen["g"] = items
        summary["g"] = {k: summarize(v, 1) for k, v in items.items()}


def refresh_request(frame: Frame) -> None:
    ctx = frame.ctx
    request = ctx.request
    rule = getattr(request, "url_rule", None)
    session = raw_session(ctx)
    summary, seen = _summary_state(frame)
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


Frames = tuple[Frame, ...]


class ReconstructedStacks:
    """``{ident: (app frames, request frames)}`` kept from reported pushes and pops.

    A thread's pair is replaced, never changed, in one dict assignment (atomic under the GIL),
    and only by that thread: ``snapshot()`` from the GUI thread sees whole states of every
    thread without a lock on the request's path. ``depth_by_ident`` and ``rid_by_ident`` are
    kept with it, read by the thread's own next steps.
    """

    def __init__(self) -> None:
        self._threads: dict[int, tuple[Frames, Frames]] = {}  # ident -> (app, request) frames
        self.ident = threading.get_ident  # the unit a ContextVar value belongs to, as observed
        self.read = False  # snapshot() was called: keep the summaries of g and session fresh
        self.depth_by_ident: dict[int, dict[str, int]] = {}  # the bus reads depths here
        # The request an event on each thread belongs to (top request frame, else top app
        # frame): kept at every push and pop so that a step looks it up in one dict read.
        self.rid_by_ident: dict[int, int | None] = {}
        # shared_depth(app, request) by [app][request], filled as sizes are first seen
        self._depth_table: list[list[dict[str, int]]] = []

    def frames(self, ident: int) -> tuple[Frames, Frames] | None:
        """``(app frames, request frames)`` of ``ident``, innermost last; None when empty."""
        return self._threads.get(ident)

    def depth(self) -> dict[str, int]:
        stacks = self._threads.get(self.ident())
        if stacks is None:
            return shared_depth(0, 0)
        return shared_depth(len(stacks[0]), len(stacks[1]))

    def _depth(self, n_app: int, n_req: int) -> dict[str, int]:
        # The engine's shared depth dicts, by stack sizes: a table read instead of a call.
        table = self._depth_table
        while len(table) <= n_app:
            table.append([])
        row = table[n_app]
        while len(row) <= n_req:
            row.append(shared_depth(n_app, len(row)))
        return row[n_req]

    # The two pushes below run at every request, watched or not: written out in full rather
    # than through a shared helper (a call costs more than the few duplicated lines).

    # The frames are made here, without running an ``__init__`` (one Python call fewer each).

    def push_app(self, ident: int, ctx: Any, app_name: str, request_id: int | None) -> Frames:
        """Push a frame for the app context ``ctx``; returns the app stack it makes."""
        frame = _new(AppFrame)
        frame.ctx = ctx
        frame.label = f"<AppContext {app_name}>"
        frame.request_id = request_id
        frame.app_name = app_name
        pair = self._threads.get(ident)
        if pair is None:
            app: Frames = (frame,)
            req: Frames = ()
        else:
            app = pair[0] + (frame,)
            req = pair[1]
        self._threads[ident] = (app, req)
        try:
            self.depth_by_ident[ident] = self._depth_table[len(app)][len(req)]
        except IndexError:
            self.depth_by_ident[ident] = self._depth(len(app), len(req))
        self.rid_by_ident[ident] = req[-1].request_id if req else frame.request_id
        return app

    def push_request(self, ident: int, ctx: Any, label: str, request_id: int) -> Frames:
        """Push a frame for the request context ``ctx``; returns the request stack it makes."""
        frame = _new(RequestFrame)
        frame.ctx = ctx
        frame.label = label
        frame.request_id = request_id
        pair = self._threads.get(ident)
        if pair is None:
            app: Frames = ()
            req: Frames = (frame,)
        else:
            app = pair[0]
            req = pair[1] + (frame,)
        self._threads[ident] = (app, req)
        try:
            self.depth_by_ident[ident] = self._depth_table[len(app)][len(req)]
        except IndexError:
            self.depth_by_ident[ident] = self._depth(len(app), len(req))
        self.rid_by_ident[ident] = frame.request_id
        return req

    def pop(self, ident: int, ctx: Any, which: int) -> tuple[Frame | None, Frames]:
        """Remove ``ctx``'s topmost frame from the app (``which`` 0) or request (1) stack;
        returns it and what is left on that stack."""
        pair = self._threads.get(ident)
        if pair is None:
            return None, ()
        stack = pair[which]
        if stack and stack[-1].ctx is ctx:  # the usual case: the innermost one
            frame: Frame | None = stack[-1]
            stack = stack[:-1]
        else:
            frame, stack = _remove(stack, ctx)
            if frame is None:
                return None, stack
        app, req = (stack, pair[1]) if which == 0 else (pair[0], stack)
        if app or req:
            self._threads[ident] = (app, req)
            try:
                self.depth_by_ident[ident] = self._depth_table[len(app)][len(req)]
            except IndexError:
                self.depth_by_ident[ident] = self._depth(len(app), len(req))
            self.rid_by_ident[ident] = req[-1].request_id if req else app[-1].request_id
        else:
            del self._threads[ident]
            self.depth_by_ident.pop(ident, None)
            self.rid_by_ident.pop(ident, None)
        return frame, stack

    def top(self, ident: int, which: str) -> Frame | None:
        pair = self._threads.get(ident)
        if not pair:
            return None
        frames = pair[0] if which == "app" else pair[1]
        return frames[-1] if frames else None

    def snapshot(self) -> dict[int, dict[str, list[Any]]]:
        self.read = True
        items = _items(self._threads)
        return {
            ident: {
                "app": [f.current_summary() for f in app],
                "request": [f.current_summary() for f in req],
            }
            for ident, (app, req) in items
        }


def _remove(frames: Frames, ctx: Any) -> tuple[Frame | None, Frames]:
    for i in range(len(frames) - 1, -1, -1):
        if frames[i].ctx is ctx:
            return frames[i], frames[:i] + frames[i + 1 :]
    return None, frames


def _items(threads: dict[int, Any]) -> list[tuple[int, Any]]:
    # Request threads add and remove their own entries meanwhile: copying is one C call, which
    # a thread switch can interrupt only in a garbage collection; try again then.
    while True:
        try:
            return list(threads.items())
        except RuntimeError:  # changed size during the copy
            continue


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
