"""Wrapping the hook functions of an attached Flask app where Flask keeps them.

Flask reads its hooks from plain dicts on the app at every request (``before_request_funcs``,
``after_request_funcs``, ``teardown_request_funcs``, ``url_value_preprocessors``,
``teardown_appcontext_funcs``, ``view_functions``, ``error_handler_spec``), with blueprint
hooks merged in under their dotted names at registration. Each entry is replaced in place by
a wrapper that calls the original and reports one event, so the order of events is Flask's
order by construction.

Wrappers are transparent: ``functools.update_wrapper`` copies the name, doc, ``__dict__``
(``view_class``, ``methods``...) and sets ``__wrapped__``. Hooks are wrapped in plain functions;
views in an object that compares and hashes equal to the view, so Flask's "overwriting an
existing endpoint" check still sees the user's function. Flask calls every hook and view through
``ensure_sync``, which the adapter shadows: for a wrapper it answers ``_ctxscope_run`` (the
wrapper itself, or a view wrapper's plain function) without inspecting anything. An async
function's wrapper runs it through the app's own ``ensure_sync`` (as Flask would), on the
request's thread, so its event lands there too. Whether a function is async is asked once, when
it is wrapped.

While nobody listens a wrapper only calls the function; its fields are gathered, as immutable
snapshots in declaration order, only for an event somebody receives.

Later registrations are picked up by scanning again when a context is pushed, until the app
has served its first request: from then on Flask refuses new hooks (``_check_setup_finished``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import update_wrapper
from typing import TYPE_CHECKING, Any

from ..events import (
    AfterRequest,
    AfterThisRequest,
    BeforeRequest,
    ErrorHandler,
    Event,
    TeardownAppcontext,
    TeardownRequest,
    UrlValuePreprocessor,
    View,
)
from ..summary import MAX_STR, describe_error, qualname
from .locals import _PLAIN, summary_of

if TYPE_CHECKING:
    from .adapter import FlaskAdapter

__all__ = [
    "Reporter",
    "ViewHook",
    "is_wrapped",
    "unwrap_all",
    "wrap_after_this_request",
    "wrap_all",
]


class Reporter:
    """What one registered function reports: its event kind, name, blueprint and fields."""

    event_class: type[Event] = Event

    def __init__(
        self, func: Callable[..., Any], adapter: FlaskAdapter, blueprint: str | None
    ) -> None:
        self._ctxscope_adapter = adapter  # where to report
        self._ctxscope_name = qualname(func)  # the name events carry
        self._ctxscope_blueprint = blueprint  # dotted blueprint name, None for the app's own
        # Asked once here, not at every call: a function does not turn into a coroutine.
        self._ctxscope_async = inspect.iscoroutinefunction(func)  # run through ensure_sync
        self._ctxscope_target = _sync_target(func, adapter) if self._ctxscope_async else func

    def report(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> None:
        """Publish the call that just ended (only while somebody listens)."""
        adapter = self._ctxscope_adapter
        try:
            extras = self.fields(args, kwargs, rv, error)
        except Exception:  # a value whose summary fails must not break the request
            adapter.internal_error(self.event_class)
            return
        adapter.step(self.event_class, self._ctxscope_name, self._ctxscope_blueprint, extras)

    def fields(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> tuple[Any, ...]:
        """The event's own fields, in declaration order, as immutable snapshots."""
        raise NotImplementedError


def _hook_function(reporter: Reporter, func: Callable[..., Any]) -> Callable[..., Any]:
    """A plain function around ``func``, transparent to whoever inspects it (the adapter's
    ``ensure_sync`` hands Flask ``_ctxscope_run`` without inspecting it)."""
    hook = _runner(reporter)
    update_wrapper(hook, func)  # name, doc, __dict__, __wrapped__
    hook._ctxscope_hook = reporter  # type: ignore[attr-defined]
    hook._ctxscope_run = hook  # type: ignore[attr-defined]  # what ensure_sync hands Flask
    return hook


# How a normal return's fields are made, for the kinds every request runs (``_runner``).
_OTHER, _BEFORE, _VIEW, _AFTER = range(4)


def _runner(reporter: Reporter) -> Callable[..., Any]:
    # Calls the function and reports the call while somebody listens. A normal return is
    # reported right here (``Reporter.report``, ``fields`` of the usual kinds and
    # ``adapter.step`` written out, with what they read bound once): this runs for every hook
    # and view of every request.
    target = reporter._ctxscope_target
    adapter = reporter._ctxscope_adapter
    bus = adapter.events
    report = reporter.report
    fields = reporter.fields
    cls = reporter.event_class
    name = reporter._ctxscope_name
    blueprint = reporter._ctxscope_blueprint
    breakpoints = adapter._breakpoints
    stacks = adapter.stacks
    rids = adapter._rids
    ident = adapter._ident
    endpoint = getattr(reporter, "_ctxscope_endpoint", None)
    mode = _MODES.get(type(reporter), _OTHER)

    def run(*args: Any, **kwargs: Any) -> Any:
        if not bus.active:
            return target(*args, **kwargs)
        try:
            rv = target(*args, **kwargs)
        except Exception as e:
            report(args, kwargs, None, e)
            raise
        try:
            rkind = type(rv)
            # A returned short string, number or None is its own summary (``summary_of``).
            plain = rkind in _PLAIN or (rkind is str and len(rv) <= MAX_STR)
            if mode == _VIEW:  # (endpoint, view_args, returned, error)
                # kwargs is this call's own dict, never changed; its values may be live.
                extras = (endpoint, summary_of(kwargs), rv if plain else summary_of(rv), None)
            elif mode == _AFTER:  # (status, error)
                status = getattr(rv, "status_code", 0)
                extras = (status if type(status) is int else _status(rv), None)
            elif mode == _BEFORE:  # (returned, short_circuit, error)
                if rv is None:
                    extras = (None, False, None)
                else:
                    extras = (rv if plain else summary_of(rv), True, None)
            else:
                extras = fields(args, kwargs, rv, None)
            if breakpoints.armed or stacks.read:
                adapter._refresh()
            bus.emit(cls, rids.get(ident()), name, blueprint, extras)
        except Exception:  # a value whose summary fails must not break the request
            adapter.internal_error(cls)
        return rv

    return run


def is_wrapped(func: Any) -> bool:
    return getattr(func, "_ctxscope_hook", None) is not None


def _sync_target(func: Callable[..., Any], adapter: FlaskAdapter) -> Callable[..., Any]:
    # Flask would call ``ensure_sync(func)(...)``; doing it here keeps the call on the request's
    # thread, so the event is reported where the request's contexts are.
    def run(*args: Any, **kwargs: Any) -> Any:
        return adapter.flask_app.ensure_sync(func)(*args, **kwargs)

    return run


def _status(response: Any) -> int:
    status = getattr(response, "status_code", 0)
    return status if type(status) is int else int(status or 0)


def _error(error: BaseException | None) -> str | None:
    return None if error is None else describe_error(error)


class BeforeRequestHook(Reporter):
    event_class = BeforeRequest

    def fields(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> tuple[Any, ...]:
        # (returned, short_circuit, error)
        if error is not None:
            return (None, False, describe_error(error))
        return (None, False, None) if rv is None else (summary_of(rv), True, None)


class UrlValueHook(Reporter):
    event_class = UrlValuePreprocessor

    def fields(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> tuple[Any, ...]:
        # (view_args, error)
        values = args[1] if len(args) > 1 else kwargs.get("values")
        return (summary_of(values), _error(error))


class ViewHook(Reporter):
    """A view: a callable object rather than a function, because Flask compares views.

    ``add_url_rule`` refuses a different function for an existing endpoint (``old != new``):
    the wrapper compares and hashes equal to the user's function, so registering the same
    view again still works. Flask calls the view through ``ensure_sync``, which the adapter
    answers with ``_ctxscope_run``, a plain function doing what ``__call__`` does (calling an
    object costs more than calling a function).
    """

    event_class = View
    _ctxscope_hook = True  # a wrapper, as hook functions say (``is_wrapped``, ``ensure_sync``)

    def __init__(self, func: Callable[..., Any], adapter: FlaskAdapter, endpoint: str) -> None:
        blueprint = endpoint.rpartition(".")[0] or None  # what request.blueprint will say
        update_wrapper(self, func)  # name, doc, __dict__ (view_class, methods...), __wrapped__
        super().__init__(func, adapter, blueprint)
        self._ctxscope_endpoint = endpoint  # the endpoint the view is registered under
        self._ctxscope_run = _runner(self)  # the view and its report, as a function
        # The function's own code, so ``inspect.iscoroutinefunction`` (``ensure_sync``, at every
        # request) answers from it; plain attributes, as a function has, are the quickest to
        # read. An async view's wrapper is synchronous (it runs the view through
        # ``ensure_sync`` itself), so it has no code of its own to show.
        d = self.__dict__
        for attr in ("__code__", "__defaults__", "__kwdefaults__"):
            if hasattr(func, attr) and not (attr == "__code__" and self._ctxscope_async):
                d[attr] = getattr(func, attr)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._ctxscope_run(*args, **kwargs)

    def fields(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> tuple[Any, ...]:
        # (endpoint, view_args, returned, error)
        if error is not None:
            return (self._ctxscope_endpoint, summary_of(kwargs), None, describe_error(error))
        return (self._ctxscope_endpoint, summary_of(kwargs), summary_of(rv), None)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ViewHook):
            other = other.__wrapped__  # type: ignore[attr-defined]
        return bool(self.__wrapped__ == other)  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self.__wrapped__)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return repr(self.__wrapped__)  # type: ignore[attr-defined]


class ErrorHandlerHook(Reporter):
    event_class = ErrorHandler

    def fields(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> tuple[Any, ...]:
        # (error, returned)
        handled = args[0] if args else None
        returned = describe_error(error) if error is not None else summary_of(rv)
        return (_error(handled) or "", returned)


class AfterRequestHook(Reporter):
    event_class = AfterRequest

    def fields(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> tuple[Any, ...]:
        # (status, error)
        if error is not None:
            return (_status(args[0] if args else None), describe_error(error))
        return (_status(rv), None)


class AfterThisRequestHook(AfterRequestHook):
    event_class = AfterThisRequest


class TeardownRequestHook(Reporter):
    event_class = TeardownRequest

    def fields(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> tuple[Any, ...]:
        # (error, raised)
        return (_error(args[0] if args else None), _error(error))


class TeardownAppHook(TeardownRequestHook):
    event_class = TeardownAppcontext


# The kinds whose normal return ``_runner`` reports without calling ``fields``.
_MODES: dict[type[Reporter], int] = {
    BeforeRequestHook: _BEFORE,
    ViewHook: _VIEW,
    AfterRequestHook: _AFTER,
    AfterThisRequestHook: _AFTER,
}


def _wrap(kind: type[Reporter], func: Callable[..., Any], adapter: FlaskAdapter, key: Any) -> Any:
    if is_wrapped(func):
        return func
    return _hook_function(kind(func, adapter, key), func)


_KEYED_LISTS: tuple[tuple[str, type[Reporter]], ...] = (
    ("url_value_preprocessors", UrlValueHook),
    ("before_request_funcs", BeforeRequestHook),
    ("after_request_funcs", AfterRequestHook),
    ("teardown_request_funcs", TeardownRequestHook),
)


def wrap_all(adapter: FlaskAdapter) -> None:
    """Wrap every hook, view and error handler not wrapped yet, in place."""
    app = adapter.flask_app
    for attr, kind in _KEYED_LISTS:
        for key, funcs in list(getattr(app, attr, {}).items()):
            for i, func in enumerate(funcs):
                wrapped = _wrap(kind, func, adapter, key)
                if wrapped is not func:
                    funcs[i] = wrapped
    funcs = getattr(app, "teardown_appcontext_funcs", [])
    for i, func in enumerate(funcs):
        wrapped = _wrap(TeardownAppHook, func, adapter, None)
        if wrapped is not func:
            funcs[i] = wrapped
    views = app.view_functions
    for endpoint, func in list(views.items()):
        if not is_wrapped(func):
            views[endpoint] = _wrap_view(func, adapter, endpoint)
    for key, by_code in list(app.error_handler_spec.items()):
        for handlers in list(by_code.values()):
            for cls, func in list(handlers.items()):
                wrapped = _wrap(ErrorHandlerHook, func, adapter, key)
                if wrapped is not func:
                    handlers[cls] = wrapped


def _wrap_view(func: Callable[..., Any], adapter: FlaskAdapter, endpoint: str) -> Any:
    return func if is_wrapped(func) else ViewHook(func, adapter, endpoint)


def wrap_after_this_request(adapter: FlaskAdapter, ctx: Any = None) -> None:
    """Wrap the functions the request (``ctx``, else the current one) registered with
    ``after_this_request``."""
    if ctx is None:
        ctx = adapter.current_request_context()
    funcs = getattr(ctx, "_after_request_functions", None)
    if not funcs:
        return
    for i, func in enumerate(funcs):
        wrapped = _wrap(AfterThisRequestHook, func, adapter, None)
        if wrapped is not func:
            funcs[i] = wrapped


def _original(func: Any) -> Any:
    return func.__wrapped__ if is_wrapped(func) else func


def unwrap_all(adapter: FlaskAdapter) -> None:
    """Put the user's own functions back (``detach``)."""
    app = adapter.flask_app
    for attr, _kind in _KEYED_LISTS:
        for funcs in getattr(app, attr, {}).values():
            funcs[:] = [_original(f) for f in funcs]
    funcs = getattr(app, "teardown_appcontext_funcs", [])
    funcs[:] = [_original(f) for f in funcs]
    views = app.view_functions
    for endpoint, func in list(views.items()):
        views[endpoint] = _original(func)
    for by_code in app.error_handler_spec.values():
        for handlers in by_code.values():
            for cls, func in list(handlers.items()):
                handlers[cls] = _original(func)
