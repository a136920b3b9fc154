"""Wrapping the hook functions of an attached Flask app where Flask keeps them.

Flask reads its hooks from plain dicts on the app at every request (``before_request_funcs``,
``after_request_funcs``, ``teardown_request_funcs``, ``url_value_preprocessors``,
``teardown_appcontext_funcs``, ``view_functions``, ``error_handler_spec``), with blueprint
hooks merged in under their dotted names at registration. Each entry is replaced in place by
a wrapper that calls the original and reports one event, so the order of events is Flask's
order by construction.

Wrappers are transparent: ``functools.update_wrapper`` copies the name, doc, ``__dict__``
(``view_class``, ``methods``...) and sets ``__wrapped__``. Hooks are wrapped in plain functions
(``ensure_sync`` inspects each one at every call, and that is fastest for a function); views in
an object that compares and hashes equal to the view, so Flask's "overwriting an existing
endpoint" check still sees the user's function. An async function's wrapper runs it through
the app's own ``ensure_sync`` (as Flask would), on the request's thread, so its event lands
there too.

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
from ..summary import describe_error, qualname, summarize
from .contexts import flush_pop

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
    flush_before = False  # report a pending request-context pop before the call

    def __init__(
        self, func: Callable[..., Any], adapter: FlaskAdapter, blueprint: str | None
    ) -> None:
        self._ctxscope_adapter = adapter  # where to report
        self._ctxscope_name = qualname(func)  # the name events carry
        self._ctxscope_blueprint = blueprint  # dotted blueprint name, None for the app's own
        self._ctxscope_async = inspect.iscoroutinefunction(func)  # run through ensure_sync
        self._ctxscope_target = _sync_target(func, adapter) if self._ctxscope_async else func

    def report(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> None:
        adapter = self._ctxscope_adapter
        adapter.emit(
            self.event_class,
            self._ctxscope_name,
            self._ctxscope_blueprint,
            self.fields(args, kwargs, rv, error),
            refresh=True,
        )

    def fields(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> dict[str, Any]:
        raise NotImplementedError


def _hook_function(reporter: Reporter, func: Callable[..., Any]) -> Callable[..., Any]:
    """A plain function around ``func``: Flask's ``ensure_sync`` checks it at every call, and
    ``inspect.iscoroutinefunction`` answers fastest for a real function."""
    target = reporter._ctxscope_target
    bus = reporter._ctxscope_adapter.events
    report = reporter.report
    adapter = reporter._ctxscope_adapter
    flush_before = reporter.flush_before

    def hook(*args: Any, **kwargs: Any) -> Any:
        if flush_before:
            # The implicit app context tears down after the request context left.
            flush_pop(adapter)
        if not bus.active:
            return target(*args, **kwargs)
        try:
            rv = target(*args, **kwargs)
        except Exception as e:
            report(args, kwargs, None, e)
            raise
        report(args, kwargs, rv, None)
        return rv

    update_wrapper(hook, func)  # name, doc, __dict__, __wrapped__
    hook._ctxscope_hook = reporter  # type: ignore[attr-defined]
    return hook


def is_wrapped(func: Any) -> bool:
    return isinstance(func, ViewHook) or getattr(func, "_ctxscope_hook", None) is not None


def _sync_target(func: Callable[..., Any], adapter: FlaskAdapter) -> Callable[..., Any]:
    # Flask would call ``ensure_sync(func)(...)``; doing it here keeps the call on the request's
    # thread, so the event is reported where the request's contexts are.
    def run(*args: Any, **kwargs: Any) -> Any:
        return adapter.flask_app.ensure_sync(func)(*args, **kwargs)

    return run


def _status(response: Any) -> int:
    return int(getattr(response, "status_code", 0) or 0)


class _CallsAfterThisRequest(Reporter):
    # Functions that may call after_this_request: wrap what they added, for the next step.
    def report(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> None:
        super().report(args, kwargs, rv, error)
        wrap_after_this_request(self._ctxscope_adapter)


class BeforeRequestHook(_CallsAfterThisRequest):
    event_class = BeforeRequest

    def fields(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> dict[str, Any]:
        if error is not None:
            return {"returned": None, "short_circuit": False, "error": describe_error(error)}
        return {"returned": summarize(rv), "short_circuit": rv is not None, "error": None}


class UrlValueHook(_CallsAfterThisRequest):
    event_class = UrlValuePreprocessor

    def fields(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> dict[str, Any]:
        values = args[1] if len(args) > 1 else kwargs.get("values")
        return {"view_args": summarize(values), "error": describe_error(error)}


class ViewHook(_CallsAfterThisRequest):
    """A view: a callable object rather than a function, because Flask compares views.

    ``add_url_rule`` refuses a different function for an existing endpoint (``old != new``):
    the wrapper compares and hashes equal to the user's function, so registering the same
    view again still works. Views run once per request, so the slower ``ensure_sync`` check of
    a callable object costs little here.
    """

    event_class = View

    def __init__(self, func: Callable[..., Any], adapter: FlaskAdapter, endpoint: str) -> None:
        blueprint = endpoint.rpartition(".")[0] or None  # what request.blueprint will say
        update_wrapper(self, func)  # name, doc, __dict__ (view_class, methods...), __wrapped__
        super().__init__(func, adapter, blueprint)
        self._ctxscope_endpoint = endpoint  # the endpoint the view is registered under

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        target = self._ctxscope_target
        if not self._ctxscope_adapter.events.active:
            return target(*args, **kwargs)
        try:
            rv = target(*args, **kwargs)
        except Exception as e:
            self.report(args, kwargs, None, e)
            raise
        self.report(args, kwargs, rv, None)
        return rv

    def fields(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> dict[str, Any]:
        return {
            "endpoint": self._ctxscope_endpoint,
            "view_args": summarize(kwargs),
            "returned": None if error is not None else summarize(rv),
            "error": describe_error(error),
        }

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ViewHook):
            other = other.__wrapped__  # type: ignore[attr-defined]
        return bool(self.__wrapped__ == other)  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self.__wrapped__)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return repr(self.__wrapped__)  # type: ignore[attr-defined]

    # The function's own code, so ``inspect.iscoroutinefunction`` (``ensure_sync``) answers
    # from it. An async view's wrapper is synchronous (it runs the view through
    # ``ensure_sync`` itself), so it has no code of its own to show.
    @property
    def __code__(self) -> Any:
        if self._ctxscope_async:
            raise AttributeError("__code__")
        return self.__wrapped__.__code__  # type: ignore[attr-defined]

    @property
    def __defaults__(self) -> Any:
        return self.__wrapped__.__defaults__  # type: ignore[attr-defined]

    @property
    def __kwdefaults__(self) -> Any:
        return self.__wrapped__.__kwdefaults__  # type: ignore[attr-defined]


class ErrorHandlerHook(_CallsAfterThisRequest):
    event_class = ErrorHandler

    def fields(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> dict[str, Any]:
        handled = args[0] if args else None
        returned = describe_error(error) if error is not None else summarize(rv)
        return {"error": describe_error(handled) or "", "returned": returned}


class AfterRequestHook(Reporter):
    event_class = AfterRequest

    def fields(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> dict[str, Any]:
        response = args[0] if error is not None and args else rv
        return {"status": _status(response), "error": describe_error(error)}


class AfterThisRequestHook(AfterRequestHook):
    event_class = AfterThisRequest


class TeardownRequestHook(Reporter):
    event_class = TeardownRequest

    def fields(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any, error: BaseException | None
    ) -> dict[str, Any]:
        exc = args[0] if args else None
        return {"error": describe_error(exc), "raised": describe_error(error)}


class TeardownAppHook(TeardownRequestHook):
    event_class = TeardownAppcontext
    flush_before = True


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


def wrap_after_this_request(adapter: FlaskAdapter) -> None:
    """Wrap the functions the current request registered with ``after_this_request``."""
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
