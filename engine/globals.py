"""The two context stacks and the proxies over them, as in Flask 1.x.

``_app_ctx_stack`` holds AppContexts (app, g, URL adapter) and ``_request_ctx_stack`` holds
RequestContexts (request, session, URL adapter, match), one list per ident. Both share a lock,
so ``snapshot()`` is one consistent cut of both stacks for every thread.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import TYPE_CHECKING, Any

from .events import LocalDeleted, LocalReleased, LocalSet
from .local import Local, LocalProxy, LocalStack

if TYPE_CHECKING:
    from .app import App
    from .ctx import AppContext, RequestContext, _AppCtxGlobals
    from .sessions import SessionMixin
    from .wrappers import Request

__all__ = [
    "app_ctx",
    "current_app",
    "depth",
    "g",
    "request",
    "request_ctx",
    "session",
    "snapshot",
]

_no_app_msg = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed
the current application. To solve this, set up an application context
with app.app_context(). See the documentation for more information.\
"""

_no_req_msg = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed
an active HTTP request. Consult the documentation on testing for
information about how to avoid this problem.\
"""


_DEPTHS: dict[tuple[int, int], dict[str, int]] = {}
_NO_DEPTH = {"app": 0, "request": 0}
_DEPTHS[(0, 0)] = _NO_DEPTH
_depth_by_ident: dict[int, dict[str, int]] = {}  # kept current on every push and pop


def shared_depth(app: int, req: int) -> dict[str, int]:
    # Events share these small dicts (read-only by contract) instead of building one each.
    key = (app, req)
    depth = _DEPTHS.get(key)
    if depth is None:
        depth = _DEPTHS[key] = {"app": app, "request": req}
    return depth


def _observe(
    change: str,
    local: Local,
    ident: int,
    name: str | None,
    value: Any,
    released: dict[str, Any] | None,
) -> None:
    # Keep the depth table current, then route the change to the bus of the app whose
    # context it concerns.
    # Runs at every push and pop, watched or not: the shared-depth lookup is inlined.
    if change == "set":
        stack = value
        size = len(value) if value else 0
    else:
        stack = (released or {}).get("stack")
        size = 0
    old = _depth_by_ident.get(ident, _NO_DEPTH)
    key = (size, old["request"]) if local is _app_local else (old["app"], size)
    new = _DEPTHS.get(key) or shared_depth(*key)
    if key == (0, 0):
        _depth_by_ident.pop(ident, None)
    else:
        _depth_by_ident[ident] = new
    if not stack:
        return
    top = stack[-1]
    bus = top.app.events
    if not bus.active:
        return
    label = local.__label__
    if change == "set":
        bus.emit(
            LocalSet,
            top.request_id,
            name,
            None,
            (
                label,
                ident,
                (top.label,) if len(stack) == 1 else tuple([ctx.label for ctx in stack]),
            ),
        )
    elif change == "deleted":
        bus.emit(LocalDeleted, top.request_id, name, None, (label, ident))
    else:
        bus.emit(LocalReleased, top.request_id, None, None, (label, ident))


_stack_lock = threading.Lock()
_app_ctx_stack: LocalStack[AppContext] = LocalStack(label="_app_ctx_stack", on_change=_observe)
_request_ctx_stack: LocalStack[RequestContext] = LocalStack(
    label="_request_ctx_stack", on_change=_observe
)
# One lock for both Locals: a snapshot never sees one stack updated and the other not.
object.__setattr__(_app_ctx_stack.local, "__lock__", _stack_lock)
object.__setattr__(_request_ctx_stack.local, "__lock__", _stack_lock)
_app_storage = _app_ctx_stack.local.__storage__
_request_storage = _request_ctx_stack.local.__storage__
_ident = _app_ctx_stack.local.__ident_func__
_app_local = _app_ctx_stack.local


def depth() -> dict[str, int]:
    """``{"app": n, "request": m}``: the current ident's stack depths (do not mutate it)."""
    return _depth_by_ident.get(_ident(), _NO_DEPTH)


def snapshot() -> dict[int, dict[str, list[Any]]]:
    """Every ident's app and request stacks, each context summarized; safe from any thread."""
    with _stack_lock:
        apps = {ident: s.get("stack", []) for ident, s in _app_storage.items()}
        reqs = {ident: s.get("stack", []) for ident, s in _request_storage.items()}
    out: dict[int, dict[str, list[Any]]] = {}
    for ident in (*apps, *(i for i in reqs if i not in apps)):
        out[ident] = {
            "app": [ctx.__ctxscope_summary__() for ctx in apps.get(ident, ())],
            "request": [ctx.__ctxscope_summary__() for ctx in reqs.get(ident, ())],
        }
    return out


def _find_app() -> App:
    top = _app_ctx_stack.top
    if top is None:
        raise RuntimeError(_no_app_msg)
    return top.app


def _lookup_app_object(name: str) -> Any:
    top = _app_ctx_stack.top
    if top is None:
        raise RuntimeError(_no_app_msg)
    return getattr(top, name)


def _lookup_req_object(name: str) -> Any:
    top = _request_ctx_stack.top
    if top is None:
        raise RuntimeError(_no_req_msg)
    return getattr(top, name)


def _find_app_ctx() -> AppContext:
    top = _app_ctx_stack.top
    if top is None:
        raise RuntimeError(_no_app_msg)
    return top


def _find_request_ctx() -> RequestContext:
    top = _request_ctx_stack.top
    if top is None:
        raise RuntimeError(_no_req_msg)
    return top


current_app: App = LocalProxy(_find_app, name="current_app")  # type: ignore[assignment]
g: _AppCtxGlobals = LocalProxy(partial(_lookup_app_object, "g"), name="g")  # type: ignore[assignment]
request: Request = LocalProxy(  # type: ignore[assignment]
    partial(_lookup_req_object, "request"), name="request"
)
session: SessionMixin = LocalProxy(  # type: ignore[assignment]
    partial(_lookup_req_object, "session"), name="session"
)
app_ctx: AppContext = LocalProxy(_find_app_ctx, name="app_ctx")  # type: ignore[assignment]
request_ctx: RequestContext = LocalProxy(  # type: ignore[assignment]
    _find_request_ctx, name="request_ctx"
)
