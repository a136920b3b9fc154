"""Contexts of an attached Flask app, made to report their pushes, pops and URL match.

Flask sends no signal when a request context is pushed or popped, and the ContextVar it sets
cannot be watched. ``app.request_context`` (which ``wsgi_app``, ``test_request_context`` and
the test client all go through) is wrapped so that each context it returns is of a subclass of
its own class, named like it (``repr`` and ``isinstance`` are unchanged), whose
``push``/``pop``/``match_request``/``copy`` call the original and report around it. ``copy()``
builds through ``self.__class__``, so ``copy_current_request_context`` copies report too.

``app.app_context`` (which ``RequestContext.push`` calls for the implicit app context, as does
every ``with app.app_context()``) is wrapped the same way: the subclass's ``push`` and ``pop``
report after Flask's own, where its ``appcontext_pushed``/``appcontext_popped`` signals were
just sent. Receiving those signals instead would cost a blinker dispatch each, on every request,
watched or not.

Where the steps land, relative to Flask's own order (REFERENCE §2):
- ``request_ctx_pushed`` just after the ContextVar is set and before ``open_session``: the
  session interface wrapper reports the pending push first (or ``match_request``, or the end of
  ``push`` when neither runs, as for a second push of the same context).
- ``request_ctx_popped`` just after the ContextVar is reset and before the implicit app
  context's teardown: that app context's first step after the reset (``do_teardown_appcontext``
  or its ``pop``) reports the pending pop, else the end of ``pop``.

The reconstructed stacks are kept at every push and pop whether or not anybody listens (a
subscriber may join mid-request and must see the contexts already pushed); only the events are
built on demand. What a push or pop in progress must tell a later step is kept on the contexts
themselves (and in one ContextVar for the request context being pushed): reading an attribute
costs a fraction of a ``threading.local`` lookup, and it follows Flask's own per-context model.
"""

from __future__ import annotations

import itertools
import sys
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from ..ctx import pushed_fields
from ..events import (
    AppCtxPopped,
    AppCtxPushed,
    LocalReleased,
    LocalSet,
    RequestCtxPopped,
    RequestCtxPushed,
    UrlMatched,
)
from ..summary import describe_error
from .locals import (
    APP_STACK,
    REQUEST_STACK,
    AppFrame,
    RequestFrame,
    labels,
    raw_session,
    refresh_app,
    refresh_request,
    summary_of,
)

if TYPE_CHECKING:
    from .adapter import FlaskAdapter

__all__ = [
    "app_context_class",
    "context_class",
    "flush_pop",
    "flush_push",
    "instrument",
    "instrument_app_context",
    "new_request_id",
    "pushing",
]

_request_ids = itertools.count(1)  # ids of requests seen by any attached Flask app
new_request_id = _request_ids.__next__

# The instrumented request context whose push() is running in this context (thread or task):
# the implicit app context it pushes first belongs to its request.
pushing: ContextVar[Any] = ContextVar("ctxscope_pushing", default=None)

_cv_request: Any = None  # flask.globals._cv_request, set when the first app is attached
_cv_app: Any = None  # flask.globals._cv_app
_SENTINEL: Any = None  # flask.ctx._sentinel: "no error given" in RequestContext.pop


def load_flask_internals() -> None:
    """Look up Flask's context ContextVars (Flask is imported only once an app is attached)."""
    global _cv_request, _cv_app, _SENTINEL
    import flask.ctx
    import flask.globals

    _cv_request = getattr(flask.globals, "_cv_request", None)
    _cv_app = getattr(flask.globals, "_cv_app", None)
    _SENTINEL = getattr(flask.ctx, "_sentinel", None)


def supported() -> bool:
    """Flask 3.0/3.1 layout: a request ContextVar and a RequestContext class of its own."""
    return _cv_request is not None


def instrument(adapter: FlaskAdapter, ctx: Any) -> Any:
    """Give ``ctx`` a fresh request id and the reporting subclass of its class."""
    base = type(ctx)
    if getattr(base, "_ctxscope_adapter", None) is adapter:
        return ctx
    try:
        ctx.__class__ = context_class(adapter, base)
    except TypeError:  # an exotic context class with a fixed layout: leave it unobserved
        return ctx
    ctx._ctxscope_rid = new_request_id()
    return ctx


def instrument_app_context(adapter: FlaskAdapter, ctx: Any) -> Any:
    """Give the app context ``ctx`` the reporting subclass of its class."""
    base = type(ctx)
    if getattr(base, "_ctxscope_adapter", None) is adapter:
        return ctx
    try:
        ctx.__class__ = app_context_class(adapter, base)
    except TypeError:  # a fixed layout: leave it unobserved
        pass
    return ctx


def context_class(adapter: FlaskAdapter, base: type) -> type:
    """The reporting subclass of the request context class ``base`` (made once per adapter)."""
    cls = adapter._ctx_classes.get(base)
    if cls is None:
        cls = adapter._ctx_classes[base] = _subclass(adapter, base)
    return cls


def app_context_class(adapter: FlaskAdapter, base: type) -> type:
    """The reporting subclass of the app context class ``base`` (made once per adapter)."""
    cls = adapter._ctx_classes.get(base)
    if cls is None:
        cls = adapter._ctx_classes[base] = _app_subclass(adapter, base)
    return cls


def _namespace(base: type, adapter: FlaskAdapter, **attrs: Any) -> dict[str, Any]:
    # Named like the base, so repr() and tracebacks read as before.
    return {
        **attrs,
        "__module__": base.__module__,
        "__qualname__": base.__qualname__,
        "__doc__": base.__doc__,
        "_ctxscope_adapter": adapter,
        "_ctxscope_rid": None,  # the request the context belongs to
    }


def _implicit_app_context(tokens: Any) -> Any:
    # The app context a request context's latest push pushed for it (Flask keeps
    # ``(token, app_ctx or None)`` per push), which its pop pops.
    try:
        return tokens[-1][1]
    except (TypeError, IndexError, KeyError):
        return None


def _subclass(adapter: FlaskAdapter, base: type) -> type:
    base_push = base.push
    base_pop = base.pop
    base_match = base.match_request
    base_copy = base.copy
    bus = adapter.events
    flask_app = adapter.flask_app

    def push(self: Any) -> None:
        token = pushing.set(self)
        # Reported by whichever comes first: open_session, match_request, the end of push.
        self._ctxscope_pending = True
        if flask_app.session_interface is not adapter._session_wrapper:
            adapter._check_session_interface()
        try:
            base_push(self)
        finally:
            if self._ctxscope_pending:
                flush_push(adapter, self)
            pushing.reset(token)

    def pop(self: Any, *args: Any, **kwargs: Any) -> None:
        exc = args[0] if args else kwargs.get("exc", _SENTINEL)
        tokens = self.__dict__.get("_cv_tokens")
        if exc is _SENTINEL:
            # Flask resolves a missing error from sys.exc_info() only on the last pop.
            exc = sys.exc_info()[1] if tokens is None or len(tokens) == 1 else None
        self._ctxscope_popping = (exc,)  # reported once the ContextVar is reset
        app_ctx = _implicit_app_context(tokens)
        if app_ctx is not None:
            # That app context tears down next, right after the reset: it reports the pop.
            app_ctx._ctxscope_after = self
        try:
            base_pop(self, *args, **kwargs)
        finally:
            if self._ctxscope_popping is not None:
                flush_pop(adapter, self)
            if app_ctx is not None:
                app_ctx._ctxscope_after = None

    def match_request(self: Any) -> None:
        if self._ctxscope_pending:
            flush_push(adapter, self)
        base_match(self)
        if bus.active:
            try:
                request = self.request
                rule = request.url_rule
                error = request.routing_exception
                extras = (
                    rule.endpoint if rule is not None else None,
                    rule.rule if rule is not None else None,
                    summary_of(request.view_args),
                    None if error is None else _http_error(error),
                )
            except Exception:
                adapter.internal_error(UrlMatched)
                return
            adapter.publish(UrlMatched, self._ctxscope_rid, None, None, extras, True)

    def copy(self: Any) -> Any:
        rv = base_copy(self)
        if type(rv) is not type(self):
            rv = instrument(adapter, rv)
        # The same request, seen from another thread: the same id, as in the engine.
        rv._ctxscope_rid = self._ctxscope_rid
        return rv

    namespace = _namespace(
        base,
        adapter,
        push=push,
        pop=pop,
        match_request=match_request,
        copy=copy,
        _ctxscope_pending=False,  # pushed and not yet on the reconstructed stack
        _ctxscope_popping=None,  # (error,) while popped and not yet off the stack
        _ctxscope_finalizing=False,  # inside finalize_request: request_finished comes
        _ctxscope_null_pending=False,  # open_session returned None: make_null_session next
    )
    return type(base.__name__, (base,), namespace)


def _app_subclass(adapter: FlaskAdapter, base: type) -> type:
    base_push = base.push
    base_pop = base.pop

    def push(self: Any) -> None:
        tokens = self.__dict__.get("_cv_tokens")
        before = len(tokens) if tokens is not None else -1
        try:
            base_push(self)  # sets the ContextVar, then sends appcontext_pushed
        except BaseException:
            # A raising appcontext_pushed receiver leaves the context pushed: record it anyway.
            if tokens is None or len(tokens) > before:
                _app_pushed(adapter, self)
            raise
        _app_pushed(adapter, self)

    def pop(self: Any, *args: Any, **kwargs: Any) -> None:
        tokens = self.__dict__.get("_cv_tokens")
        before = len(tokens) if tokens is not None else -1
        try:
            base_pop(self, *args, **kwargs)  # teardown, reset, then appcontext_popped
        except BaseException:
            # Flask resets the ContextVar even when a teardown function raised (and then sends
            # no appcontext_popped): keep the stacks right, report no pop event.
            if tokens is not None and len(tokens) < before:
                _app_popped(adapter, self, finished=False)
            raise
        _app_popped(adapter, self, finished=True)

    namespace = _namespace(
        base,
        adapter,
        push=push,
        pop=pop,
        _ctxscope_after=None,  # the request context whose pop it reports at its teardown
    )
    return type(base.__name__, (base,), namespace)


def flush_pop_before_teardown(adapter: FlaskAdapter) -> None:
    """Report the pop of the request context that left just before its app context's teardown."""
    ctx = _cv_app.get(None) if _cv_app is not None else None
    request_ctx = getattr(ctx, "_ctxscope_after", None)
    if request_ctx is not None:
        ctx._ctxscope_after = None
        flush_pop(adapter, request_ctx)


def _app_pushed(adapter: FlaskAdapter, ctx: Any) -> None:
    if adapter._scan_pending:
        adapter._maybe_scan()
    request_ctx = pushing.get()
    if request_ctx is not None and request_ctx._ctxscope_adapter is adapter:
        rid = request_ctx._ctxscope_rid
        # Remembered on the context: stream_with_context pushes it again later.
        ctx._ctxscope_rid = rid
    else:
        rid = ctx._ctxscope_rid
    stacks = adapter.stacks
    ident = stacks.ident()
    name = _app_name(adapter.flask_app)
    frame = AppFrame(ctx, name, rid)
    app = stacks.push_app(ident, frame)
    g = ctx.__dict__.get("g")
    if g is not None and g.__dict__:  # pushed again, or set by an appcontext_pushed receiver
        refresh_app(frame)
    if adapter.events.active:
        try:
            if adapter._breakpoints.armed:
                adapter._refresh()
            emit = adapter._emit
            _report_stack(emit, rid, APP_STACK, ident, app)
            emit(AppCtxPushed, rid, None, None, (name,))
        except Exception:
            adapter.internal_error(AppCtxPushed)


def _app_popped(adapter: FlaskAdapter, ctx: Any, finished: bool) -> None:
    request_ctx = ctx._ctxscope_after
    if request_ctx is not None:  # no teardown ran (the context was pushed more than once)
        ctx._ctxscope_after = None
        flush_pop(adapter, request_ctx)
    stacks = adapter.stacks
    ident = stacks.ident()
    frame, rest = stacks.pop_app(ident, ctx)
    if frame is None or not adapter.events.active:
        return  # pushed before attaching, or nobody listens
    rid = frame.request_id
    try:
        if adapter._breakpoints.armed:
            adapter._refresh()
        emit = adapter._emit
        _report_stack(emit, rid, APP_STACK, ident, rest)
        if finished:
            emit(AppCtxPopped, rid, None, None, (_app_name(adapter.flask_app), frame.error))
    except Exception:
        adapter.internal_error(AppCtxPopped)


def _report_stack(emit: Any, rid: int | None, local: str, ident: int, frames: Any) -> None:
    """What a reconstructed stack holds after a push or pop, as the engine's Locals report it:
    ``local_set`` with its labels, or ``local_released`` once it is empty."""
    if frames:
        emit(LocalSet, rid, "stack", None, (local, ident, labels(frames)))
    else:
        emit(LocalReleased, rid, None, None, (local, ident))


def _app_name(flask_app: Any) -> Any:
    # Flask's ``name`` is a werkzeug cached_property, whose ``__get__`` runs in Python even
    # once cached: read the cached value directly.
    name = flask_app.__dict__.get("name")
    return name if name is not None else flask_app.name


def _http_error(error: BaseException) -> str:
    code = getattr(error, "code", None)
    name = getattr(error, "name", None)
    if code is not None and name is not None:
        return f"{code} {name}"
    return describe_error(error) or type(error).__name__


def flush_push(adapter: FlaskAdapter, ctx: Any) -> None:
    """Put ``ctx`` on the thread's reconstructed stack if its push is still unreported."""
    if not ctx._ctxscope_pending:
        return
    ctx._ctxscope_pending = False
    stacks = adapter.stacks
    ident = stacks.ident()
    rid = ctx._ctxscope_rid
    request = ctx.request
    frame = RequestFrame(ctx, request, rid)
    req = stacks.push_request(ident, frame)
    if raw_session(ctx) is not None:  # pushed again (a copy, stream_with_context): has a session
        refresh_request(frame)
    if adapter.events.active:
        try:
            if adapter._breakpoints.armed:
                adapter._refresh()
            emit = adapter._emit
            _report_stack(emit, rid, REQUEST_STACK, ident, req)
            emit(RequestCtxPushed, rid, None, None, pushed_fields(request, len(req) > 1))
        except Exception:
            adapter.internal_error(RequestCtxPushed)


def flush_pop(adapter: FlaskAdapter, ctx: Any) -> None:
    """Take the popped request context ``ctx`` off the stack, if its pop is still unreported."""
    popping = ctx._ctxscope_popping
    if popping is None:
        return
    ctx._ctxscope_popping = None
    stacks = adapter.stacks
    ident = stacks.ident()
    frame, rest = stacks.pop_request(ident, ctx)
    if frame is None or not adapter.events.active:
        return
    rid = frame.request_id
    try:
        if adapter._breakpoints.armed:
            adapter._refresh()
        emit = adapter._emit
        _report_stack(emit, rid, REQUEST_STACK, ident, rest)
        exc = popping[0]
        emit(RequestCtxPopped, rid, None, None, (None if exc is None else describe_error(exc),))
    except Exception:
        adapter.internal_error(RequestCtxPopped)
