"""The methods an attached Flask app has shadowed on its instance, each calling the original.

``FlaskAdapter`` sets these on the Flask app (``detach()`` removes them); each ``wrap_*`` takes
the adapter and the original bound method and returns the function put in its place:
- ``request_context`` and ``app_context``, to make each context of a reporting subclass;
- ``full_dispatch_request`` (``request_started`` is sent first thing in it),
  ``finalize_request`` and ``process_response`` (``request_finished`` is sent right after
  ``process_response`` returns; the ``after_this_request`` functions are wrapped before it
  runs), ``do_teardown_request`` and ``do_teardown_appcontext`` (their signals are sent last
  thing in them): each step is reported where Flask sends its signal. Receiving the signals
  instead would cost a blinker dispatch each on every request, watched or not;
- ``ensure_sync``, which Flask asks of every hook and view at every call: ctxscope's wrappers
  are answered without inspecting them;
- ``handle_user_exception`` and ``handle_http_exception``, to report which error handler, if
  any, Flask is about to pick, before it runs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..events import (
    AppcontextTearingDown,
    RequestFinished,
    RequestStarted,
    RequestTearingDown,
)
from ..summary import describe_error
from . import contexts, hooks

if TYPE_CHECKING:
    from .adapter import FlaskAdapter

__all__ = [
    "wrap_app_context",
    "wrap_do_teardown_appcontext",
    "wrap_do_teardown_request",
    "wrap_ensure_sync",
    "wrap_finalize_request",
    "wrap_full_dispatch_request",
    "wrap_handle_http_exception",
    "wrap_handle_user_exception",
    "wrap_process_response",
    "wrap_request_context",
]

log = logging.getLogger("ctxscope")

_NOT_GIVEN: Any = object()  # no error passed positionally: resolved as Flask does
_NO_ERROR = (None,)  # the fields of a step without error: shared, not made for each event


def wrap_request_context(adapter: FlaskAdapter, original: Callable[..., Any]) -> Callable[..., Any]:
    import flask.ctx

    app = adapter.flask_app
    instrument = contexts.instrument
    new_id = contexts.new_request_id  # itertools.count's __next__: a C call
    if _is_flask_method(original, app, "request_context"):
        # Flask's own method only does RequestContext(app, environ): build the reporting
        # subclass directly. Switching an instance's class afterwards costs more than the
        # call, and slows down every attribute read of the context for the whole request.
        cls = contexts.context_class(adapter, flask.ctx.RequestContext)

        def request_context(environ: Any) -> Any:
            ctx = cls(app, environ)
            ctx._ctxscope_rid = new_id()
            return ctx

        return request_context

    def request_context_any(environ: Any) -> Any:
        return instrument(adapter, original(environ))

    return request_context_any


def wrap_app_context(adapter: FlaskAdapter, original: Callable[..., Any]) -> Callable[..., Any]:
    import flask.ctx

    app = adapter.flask_app
    instrument = contexts.instrument_app_context
    if _is_flask_method(original, app, "app_context"):
        cls = contexts.app_context_class(adapter, flask.ctx.AppContext)  # as request_context

        def app_context() -> Any:
            return cls(app)

        return app_context

    def app_context_any() -> Any:
        return instrument(adapter, original())

    return app_context_any


def wrap_ensure_sync(adapter: FlaskAdapter, original: Callable[..., Any]) -> Callable[..., Any]:
    def ensure_sync(func: Any) -> Any:
        # Flask asks this of every hook and view at every call. ctxscope's wrappers are
        # synchronous (they run an async function through the original themselves), so
        # the answer for them is known without inspecting the function (and a view's
        # wrapper, an object, hands over the plain function that does its work).
        run = getattr(func, "_ctxscope_run", None)
        return run if run is not None else original(func)

    return ensure_sync


# The shadowed methods below run at every request: each reports its step itself (what
# ``step`` does, written out), with what it reads bound once.


def wrap_full_dispatch_request(
    adapter: FlaskAdapter, original: Callable[..., Any]
) -> Callable[..., Any]:
    bus = adapter.events
    breakpoints = adapter._breakpoints
    rids = adapter._rids
    ident = adapter._ident

    def full_dispatch_request() -> Any:
        # Flask sends request_started first thing in here: the step is reported there.
        if adapter._scan_pending:
            adapter._maybe_scan()
        if bus.active:
            try:
                if breakpoints.armed:
                    adapter._refresh()
                bus.emit(RequestStarted, rids.get(ident()), None, None, ())
            except Exception:
                adapter.internal_error(RequestStarted)
        return original()

    return full_dispatch_request


def wrap_finalize_request(
    adapter: FlaskAdapter, original: Callable[..., Any]
) -> Callable[..., Any]:
    cv_request = contexts._cv_request

    def finalize_request(*args: Any, **kwargs: Any) -> Any:
        # Flask sends request_finished in here, right after process_response returns:
        # marked on the request context, which process_response reads anyway.
        ctx = cv_request.get(None)
        if getattr(ctx, "_ctxscope_adapter", None) is not adapter:
            return original(*args, **kwargs)
        saved = ctx._ctxscope_finalizing
        ctx._ctxscope_finalizing = True
        try:
            return original(*args, **kwargs)
        finally:
            ctx._ctxscope_finalizing = saved

    return finalize_request


def wrap_process_response(
    adapter: FlaskAdapter, original: Callable[..., Any]
) -> Callable[..., Any]:
    cv_request = contexts._cv_request
    wrap = hooks.wrap_after_this_request
    bus = adapter.events
    breakpoints = adapter._breakpoints
    rids = adapter._rids
    ident = adapter._ident

    def process_response(response: Any) -> Any:
        # Flask runs the after_this_request functions first in here: wrap the ones the
        # request registered, wherever it did.
        ctx = cv_request.get(None) if cv_request is not None else None
        if getattr(ctx, "_after_request_functions", None):
            wrap(adapter, ctx)
        response = original(response)
        if bus.active and getattr(ctx, "_ctxscope_finalizing", False):
            # finalize_request sends request_finished next (receiving that signal would
            # cost a blinker dispatch on every request, watched or not).
            try:
                # (name, value) tuples: a snapshot as it is; the event lists them when read.
                headers = response.headers
                pairs = getattr(headers, "_list", None)  # as header_items(), inline
                pairs = tuple(pairs) if type(pairs) is list else tuple(headers.items())
                extras = (response.status_code, pairs)
                if breakpoints.armed:
                    adapter._refresh()
                bus.emit(RequestFinished, rids.get(ident()), None, None, extras)
            except Exception:
                adapter.internal_error(RequestFinished)
        return response

    return process_response


def wrap_do_teardown_request(
    adapter: FlaskAdapter, original: Callable[..., Any]
) -> Callable[..., Any]:
    bus = adapter.events
    breakpoints = adapter._breakpoints
    rids = adapter._rids
    ident = adapter._ident

    def do_teardown_request(*args: Any, **kwargs: Any) -> None:
        original(*args, **kwargs)
        # Flask sent request_tearing_down last thing in there.
        if bus.active:
            try:
                # RequestContext.pop passes the error it resolved, positionally.
                exc = args[0] if len(args) == 1 and not kwargs else _NOT_GIVEN
                if exc is not None and not isinstance(exc, BaseException):
                    exc = _resolve_exc(args, kwargs)
                extras = _NO_ERROR if exc is None else (describe_error(exc),)
                if breakpoints.armed:
                    adapter._refresh()
                bus.emit(RequestTearingDown, rids.get(ident()), None, None, extras)
            except Exception:
                adapter.internal_error(RequestTearingDown)

    return do_teardown_request


def wrap_do_teardown_appcontext(
    adapter: FlaskAdapter, original: Callable[..., Any]
) -> Callable[..., Any]:
    bus = adapter.events
    breakpoints = adapter._breakpoints
    stacks = adapter.stacks
    rids = adapter._rids
    ident = adapter._ident
    cv_app = contexts._cv_app
    flush_pop = contexts.flush_pop

    def do_teardown_appcontext(*args: Any, **kwargs: Any) -> None:
        # The request context (if any) was reset just before: report its pop first (it
        # told its implicit app context, the one tearing down now).
        ctx = cv_app.get(None) if cv_app is not None else None
        request_ctx = getattr(ctx, "_ctxscope_after", None)
        if request_ctx is not None:
            ctx._ctxscope_after = None
            flush_pop(adapter, request_ctx)
        original(*args, **kwargs)
        # Flask sent appcontext_tearing_down last thing in there.
        exc = args[0] if len(args) == 1 and not kwargs else _resolve_exc(args, kwargs)
        error = None
        if exc is not None:
            if not isinstance(exc, BaseException):  # Flask's "not given" sentinel
                exc = _resolve_exc((), {})
            error = None if exc is None else describe_error(exc)
            top = stacks.top(stacks.ident(), "app")
            if top is not None:
                top.error = error  # for the app context's pop event
        if bus.active:
            try:
                if breakpoints.armed:
                    adapter._refresh()
                extras = _NO_ERROR if error is None else (error,)
                bus.emit(AppcontextTearingDown, rids.get(ident()), None, None, extras)
            except Exception:
                adapter.internal_error(AppcontextTearingDown)

    return do_teardown_appcontext


def wrap_handle_user_exception(
    adapter: FlaskAdapter, original: Callable[..., Any]
) -> Callable[..., Any]:
    def handle_user_exception(e: Exception) -> Any:
        if adapter.events.active:
            _before_handling(adapter, e, http=False)
        return original(e)

    return handle_user_exception


def wrap_handle_http_exception(
    adapter: FlaskAdapter, original: Callable[..., Any]
) -> Callable[..., Any]:
    def handle_http_exception(e: Any) -> Any:
        if adapter.events.active:
            _before_handling(adapter, e, http=True)
        return original(e)

    return handle_http_exception


def _before_handling(adapter: FlaskAdapter, e: Exception, http: bool) -> None:
    # Which handler Flask is about to choose, found by Flask's own lookup (no side effects).
    try:
        from werkzeug.exceptions import HTTPException
        from werkzeug.routing import RoutingException

        app = adapter.flask_app
        if not http and isinstance(e, HTTPException) and not app.trap_http_exception(e):
            return  # handle_http_exception reports it
        if http and (e.code is None or isinstance(e, RoutingException)):  # type: ignore[attr-defined]
            return  # passed through as the response, as Flask does; never handled
        ctx = adapter.current_request_context()
        blueprints = ctx.request.blueprints if ctx is not None else []
        handler = app._find_error_handler(e, blueprints)
        adapter.report_exception(e, handled=http or handler is not None, handler=handler)
    except Exception:
        if not adapter._failed_once:
            adapter._failed_once = True
            log.exception("ctxscope: reporting an exception failed; further errors hidden")


def _is_flask_method(bound: Any, app: Any, name: str) -> bool:
    """``bound`` is ``flask.Flask``'s own method ``name`` bound to ``app`` (not overridden)."""
    import flask

    if getattr(bound, "__self__", None) is not app:
        return False
    return getattr(bound, "__func__", None) is getattr(flask.Flask, name, None)


def _resolve_exc(args: tuple[Any, ...], kwargs: dict[str, Any]) -> BaseException | None:
    # The error a do_teardown_* call ran with, resolved as Flask does when none was given
    # (missing, or Flask's "not given" sentinel, which is no exception).
    exc = args[0] if args else kwargs.get("exc")
    if exc is None or isinstance(exc, BaseException):
        return exc if args or "exc" in kwargs else sys.exc_info()[1]
    return sys.exc_info()[1]
