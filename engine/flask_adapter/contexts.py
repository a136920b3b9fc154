"""Request contexts of an attached Flask app, made to report their pushes, pops and URL match.

Flask sends no signal when a request context is pushed or popped, and the ContextVar it sets
cannot be watched. ``app.request_context`` (which ``wsgi_app``, ``test_request_context`` and
the test client all go through) is wrapped so that each context it returns is switched to a
subclass of its own class, named like it (``repr`` and ``isinstance`` are unchanged), whose
``push``/``pop``/``match_request``/``copy`` call the original and report around it. ``copy()``
builds through ``self.__class__``, so ``copy_current_request_context`` copies report too.

Where the steps land, relative to Flask's own order (REFERENCE §2):
- ``request_ctx_pushed`` just after the ContextVar is set and before ``open_session``: the
  session interface wrapper reports the pending push first (or ``match_request``, or the end of
  ``push`` when neither runs, as for a second push of the same context).
- ``request_ctx_popped`` just after the ContextVar is reset and before the implicit app
  context's teardown: the first app-context step after the reset (a ``teardown_appcontext``
  function, ``appcontext_tearing_down``, ``appcontext_popped``) reports the pending pop, else
  the end of ``pop``.
"""

from __future__ import annotations

import itertools
import sys
from typing import TYPE_CHECKING, Any

from ..ctx import pushed_fields
from ..events import LocalReleased, LocalSet, RequestCtxPopped, RequestCtxPushed, UrlMatched
from ..summary import describe_error, summarize
from .locals import REQUEST_STACK, request_frame

if TYPE_CHECKING:
    from .adapter import FlaskAdapter

__all__ = ["flush_pop", "flush_push", "instrument"]

_request_ids = itertools.count(1)  # ids of requests seen by any attached Flask app


_cv_request: Any = None  # flask.globals._cv_request, set when the first app is attached
_SENTINEL: Any = None  # flask.ctx._sentinel: "no error given" in RequestContext.pop


def load_flask_internals() -> None:
    """Look up Flask's request ContextVar (Flask is imported only once an app is attached)."""
    global _cv_request, _SENTINEL
    import flask.ctx
    import flask.globals

    _cv_request = getattr(flask.globals, "_cv_request", None)
    _SENTINEL = getattr(flask.ctx, "_sentinel", None)


def supported() -> bool:
    """Flask 3.0/3.1 layout: a request ContextVar and a RequestContext class of its own."""
    return _cv_request is not None


def instrument(adapter: FlaskAdapter, ctx: Any) -> Any:
    """Give ``ctx`` a fresh request id and the reporting subclass of its class."""
    base = type(ctx)
    if getattr(base, "_ctxscope_adapter", None) is adapter:
        return ctx
    cls = adapter._ctx_classes.get(base)
    if cls is None:
        cls = adapter._ctx_classes[base] = _subclass(adapter, base)
    try:
        ctx.__class__ = cls
    except TypeError:  # an exotic context class with a fixed layout: leave it unobserved
        return ctx
    ctx._ctxscope_rid = next(_request_ids)
    return ctx


def _subclass(adapter: FlaskAdapter, base: type) -> type:
    base_push = base.push
    base_pop = base.pop
    base_match = base.match_request
    base_copy = base.copy
    state = adapter._state

    def push(self: Any) -> None:
        saved = state.pending_push, state.pushing
        state.pending_push = state.pushing = self
        adapter._check_session_interface()
        try:
            base_push(self)
        finally:
            flush_push(adapter, self)
            state.pending_push, state.pushing = saved

    def pop(self: Any, *args: Any, **kwargs: Any) -> None:
        exc = args[0] if args else kwargs.get("exc", _SENTINEL)
        tokens = getattr(self, "_cv_tokens", None)
        clear = tokens is None or len(tokens) == 1
        if exc is _SENTINEL:
            # Flask resolves a missing error from sys.exc_info() only on the last pop.
            exc = sys.exc_info()[1] if clear else None
        saved = state.pending_pop
        state.pending_pop = (self, exc)
        try:
            base_pop(self, *args, **kwargs)
        finally:
            flush_pop(adapter, force=True)
            state.pending_pop = saved

    def match_request(self: Any) -> None:
        flush_push(adapter, self)
        base_match(self)
        if adapter.events.active:
            request = self.request
            rule = request.url_rule
            error = request.routing_exception
            adapter.emit(
                UrlMatched,
                None,
                None,
                {
                    "endpoint": rule.endpoint if rule is not None else None,
                    "rule": rule.rule if rule is not None else None,
                    "view_args": summarize(request.view_args),
                    "error": None if error is None else _http_error(error),
                },
                refresh=True,
            )

    def copy(self: Any) -> Any:
        rv = base_copy(self)
        if type(rv) is not type(self):
            rv = instrument(adapter, rv)
        # The same request, seen from another thread: the same id, as in the engine.
        rv._ctxscope_rid = self._ctxscope_rid
        return rv

    namespace = {
        "push": push,
        "pop": pop,
        "match_request": match_request,
        "copy": copy,
        "__module__": base.__module__,
        "__qualname__": base.__qualname__,
        "__doc__": base.__doc__,
        "_ctxscope_adapter": adapter,
    }
    return type(base.__name__, (base,), namespace)


def _http_error(error: BaseException) -> str:
    code = getattr(error, "code", None)
    name = getattr(error, "name", None)
    if code is not None and name is not None:
        return f"{code} {name}"
    return describe_error(error) or type(error).__name__


def flush_push(adapter: FlaskAdapter, ctx: Any) -> None:
    """Put ``ctx`` on the thread's reconstructed stack if its push is still unreported."""
    state = adapter._state
    if state.pending_push is not ctx:
        return
    state.pending_push = None
    stacks = adapter.stacks
    ident = stacks.ident()
    frames = stacks.frames(ident)
    nested = bool(frames and frames["request"])
    rid = ctx._ctxscope_rid
    new = stacks.push(ident, "request", request_frame(ctx, rid))
    if adapter.events.active:
        adapter.emit(
            LocalSet,
            "stack",
            None,
            {"local": REQUEST_STACK, "ident": ident, "value": [f.label for f in new]},
            request_id=rid,
        )
        fields = pushed_fields(ctx.request, nested)
        adapter.emit(RequestCtxPushed, None, None, fields, request_id=rid)


def flush_pop(adapter: FlaskAdapter, force: bool = False) -> None:
    """Take the popped request context off the reconstructed stack once its var is reset.

    Without ``force`` (from an app-context step), nothing happens while the context is still
    current: a teardown function that pushes and pops an app context of its own runs before the
    reset.
    """
    state = adapter._state
    pending = state.pending_pop
    if pending is None:
        return
    ctx, exc = pending
    if not force and _cv_request.get(None) is ctx:
        return
    state.pending_pop = None
    stacks = adapter.stacks
    ident = stacks.ident()
    frame, rest = stacks.pop(ident, "request", ctx)
    if frame is None or not adapter.events.active:
        return
    rid = frame.request_id
    if rest:
        adapter.emit(
            LocalSet,
            "stack",
            None,
            {"local": REQUEST_STACK, "ident": ident, "value": [f.label for f in rest]},
            request_id=rid,
        )
    else:
        adapter.emit(
            LocalReleased, None, None, {"local": REQUEST_STACK, "ident": ident}, request_id=rid
        )
    adapter.emit(RequestCtxPopped, None, None, {"error": describe_error(exc)}, request_id=rid)
