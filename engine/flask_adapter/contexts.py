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
    labels,
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
_NO_ERROR = (None,)  # the fields of a teardown or pop without error: shared, not made each time
SESSION_KEY = "_session"  # where a request context keeps its session (see load_flask_internals)


def load_flask_internals() -> None:
    """Look up Flask's context ContextVars (Flask is imported only once an app is attached)."""
    global _cv_request, _cv_app, _SENTINEL, SESSION_KEY
    import flask.ctx
    import flask.globals

    _cv_request = getattr(flask.globals, "_cv_request", None)
    _cv_app = getattr(flask.globals, "_cv_app", None)
    _SENTINEL = getattr(flask.ctx, "_sentinel", None)
    # Flask 3.1 keeps the session in ``_session`` behind a property that marks it accessed;
    # 3.0 in a plain ``session`` attribute: read it where it is kept, it is never marked.
    prop = getattr(flask.ctx.RequestContext, "session", None)
    SESSION_KEY = "_session" if isinstance(prop, property) else "session"


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


# The methods below run at every request, watched or not. Each step is written out in the
# method that reports it, with what it reads bound once per class, rather than through shared
# helpers: a Python call costs more than the few lines it would save.


def _subclass(adapter: FlaskAdapter, base: type) -> type:
    base_push = base.push
    base_pop = base.pop
    base_match = base.match_request
    base_copy = base.copy
    bus = adapter.events
    breakpoints = adapter._breakpoints
    stacks = adapter.stacks
    flask_app = adapter.flask_app
    set_pushing = pushing.set
    reset_pushing = pushing.reset

    def push(self: Any) -> None:
        token = set_pushing(self)
        # Reported by whichever comes first: open_session, match_request, the end of push.
        self._ctxscope_pending = True
        if flask_app.session_interface is not adapter._session_wrapper:
            adapter._check_session_interface()
        try:
            base_push(self)
        finally:
            if self._ctxscope_pending:
                flush_push(adapter, self)
            reset_pushing(token)

    def pop(self: Any, *args: Any, **kwargs: Any) -> None:
        exc = args[0] if args else kwargs.get("exc", _SENTINEL)
        tokens = getattr(self, "_cv_tokens", None)
        if exc is _SENTINEL:
            # Flask resolves a missing error from sys.exc_info() only on the last pop.
            exc = sys.exc_info()[1] if tokens is None or len(tokens) == 1 else None
        self._ctxscope_popping = (exc,)  # reported once the ContextVar is reset
        try:
            # The app context this push pushed for it (Flask keeps ``(token, app_ctx or
            # None)`` per push): it tears down right after the reset, and reports the pop.
            app_ctx = tokens[-1][1]  # type: ignore[index]
        except (TypeError, IndexError, KeyError):
            app_ctx = None
        if app_ctx is not None:
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
                    None if rule is None else rule.endpoint,
                    None if rule is None else rule.rule,
                    summary_of(request.view_args),  # the preprocessors may change them next
                    None if error is None else _http_error(error),
                )
                if breakpoints.armed or stacks.read:
                    adapter._refresh()
                bus.emit(UrlMatched, self._ctxscope_rid, None, None, extras)
            except Exception:
                adapter.internal_error(UrlMatched)

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
        _ctxscope_cookie_name=None,  # the session cookie's name, read when it was opened
        _ctxscope_session_before=None,  # the session's summary when it was opened
    )
    return type(base.__name__, (base,), namespace)


def _app_subclass(adapter: FlaskAdapter, base: type) -> type:
    base_push = base.push
    base_pop = base.pop
    bus = adapter.events
    breakpoints = adapter._breakpoints
    stacks = adapter.stacks
    flask_app = adapter.flask_app
    app_dict = flask_app.__dict__
    get_pushing = pushing.get

    def push(self: Any) -> None:
        tokens = getattr(self, "_cv_tokens", None)
        before = len(tokens) if tokens is not None else -1
        try:
            base_push(self)  # sets the ContextVar, then sends appcontext_pushed
        finally:
            # Also when an appcontext_pushed receiver raised: the context stays pushed.
            if tokens is None or len(tokens) > before:
                if adapter._scan_pending:
                    adapter._maybe_scan()
                request_ctx = get_pushing()
                if request_ctx is not None and request_ctx._ctxscope_adapter is adapter:
                    # Remembered on the context: stream_with_context pushes it again later.
                    rid = self._ctxscope_rid = request_ctx._ctxscope_rid
                else:
                    rid = self._ctxscope_rid
                ident = stacks.ident()
                # Flask's ``name`` is a werkzeug cached_property, whose ``__get__`` runs in
                # Python even once cached: read the cached value directly.
                name = app_dict.get("name")
                if name is None:
                    name = flask_app.name
                app = stacks.push_app(ident, self, name, rid)
                frame = app[-1]
                g = getattr(self, "g", None)
                if g is not None and g.__dict__:  # pushed again, or set by a receiver
                    refresh_app(frame)
                if bus.active:
                    try:
                        if breakpoints.armed:
                            adapter._refresh()
                        emit = bus.emit
                        value = (frame.label,) if len(app) == 1 else labels(app)
                        emit(LocalSet, rid, "stack", None, (APP_STACK, ident, value))
                        emit(AppCtxPushed, rid, None, None, (name,))
                    except Exception:
                        adapter.internal_error(AppCtxPushed)

    def pop(self: Any, *args: Any, **kwargs: Any) -> None:
        tokens = getattr(self, "_cv_tokens", None)
        before = len(tokens) if tokens is not None else -1
        finished = False
        try:
            base_pop(self, *args, **kwargs)  # teardown, reset, then appcontext_popped
            finished = True
        finally:
            # Flask resets the ContextVar even when a teardown function raised (and then sends
            # no appcontext_popped): keep the stacks right, report no pop event.
            if finished or (tokens is not None and len(tokens) < before):
                request_ctx = self._ctxscope_after
                if request_ctx is not None:  # no teardown ran (pushed more than once)
                    self._ctxscope_after = None
                    flush_pop(adapter, request_ctx)
                ident = stacks.ident()
                frame, rest = stacks.pop(ident, self, 0)
                # Not on the stack: pushed before attaching.
                if frame is not None and bus.active:
                    rid = frame.request_id
                    try:
                        if breakpoints.armed:
                            adapter._refresh()
                        emit = bus.emit
                        if rest:
                            emit(LocalSet, rid, "stack", None, (APP_STACK, ident, labels(rest)))
                        else:
                            emit(LocalReleased, rid, None, None, (APP_STACK, ident))
                        if finished:
                            name = app_dict.get("name")
                            if name is None:
                                name = flask_app.name
                            emit(AppCtxPopped, rid, None, None, (name, frame.error))
                    except Exception:
                        adapter.internal_error(AppCtxPopped)

    namespace = _namespace(
        base,
        adapter,
        push=push,
        pop=pop,
        _ctxscope_after=None,  # the request context whose pop it reports at its teardown
    )
    return type(base.__name__, (base,), namespace)


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
    method = request.method
    path = request.path
    req = stacks.push_request(ident, ctx, f"<RequestContext {method} {path}>", rid)
    frame = req[-1]
    if getattr(ctx, SESSION_KEY, None) is not None:  # pushed again (copy, stream_with_context)
        refresh_request(frame)
    bus = adapter.events
    if bus.active:
        try:
            if adapter._breakpoints.armed:
                adapter._refresh()
            emit = bus.emit
            nested = len(req) > 1
            value = labels(req) if nested else (frame.label,)
            emit(LocalSet, rid, "stack", None, (REQUEST_STACK, ident, value))
            # engine.ctx.pushed_fields written out (the engine's own events carry the same
            # values; the differential tests compare them field by field).
            environ = request.environ
            host = environ.get("HTTP_HOST") or request.host  # the Host header as sent
            url = (
                f"{environ.get('wsgi.url_scheme', 'http')}://{host}"
                f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}"
            )
            query = environ.get("QUERY_STRING")
            if query:
                url = f"{url}?{query}"
            client_id = environ.get("HTTP_X_REQUEST_ID")
            extras = (method, path, url, nested, client_id[:200] if client_id else None)
            emit(RequestCtxPushed, rid, None, None, extras)
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
    frame, rest = stacks.pop(ident, ctx, 1)
    bus = adapter.events
    if frame is None or not bus.active:
        return
    rid = frame.request_id
    try:
        if adapter._breakpoints.armed:
            adapter._refresh()
        emit = bus.emit
        if rest:
            emit(LocalSet, rid, "stack", None, (REQUEST_STACK, ident, labels(rest)))
        else:
            emit(LocalReleased, rid, None, None, (REQUEST_STACK, ident))
        exc = popping[0]
        extras = _NO_ERROR if exc is None else (describe_error(exc),)
        emit(RequestCtxPopped, rid, None, None, extras)
    except Exception:
        adapter.internal_error(RequestCtxPopped)
