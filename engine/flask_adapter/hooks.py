"""Wrapping the hook functions of an attached Flask app where Flask keeps them.

Flask reads its hooks from plain dicts on the app at every request (``before_request_funcs``,
``after_request_funcs``, ``teardown_request_funcs``, ``url_value_preprocessors``,
``teardown_appcontext_funcs``, ``view_functions``, ``error_handler_spec``), with blueprint
hooks merged in under their dotted names at registration. Each entry is replaced in place by
a wrapper that calls the original and reports one event, so the order of events is Flask's
order by construction.

Wrappers are transparent: ``functools.update_wrapper`` copies the name, doc, ``__dict__``
(``view_class``, ``methods``...) and sets ``__wrapped__``; a wrapper compares and hashes equal
to its function, so Flask's "overwriting an existing endpoint" check and ``list.remove(f)`` see
the user's function; async functions get an ``async def`` wrapper so ``ensure_sync`` still
runs them through ``async_to_sync``.

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

__all__ = ["Hook", "unwrap_all", "wrap_after_this_request", "wrap_all"]


class Hook:
    """A registered function, reporting one event per call."""

    event_class: type[Event] = Event

    def __init__(self, func: Callable[..., Any], adapter: FlaskAdapter,
                 blueprint: str | None) -> None:
        update_wrapper(self, func)  # name, doc, __dict__, __wrapped__
        self._ctxscope_adapter = adapter  # where to report
        self._ctxscope_name = qualname(func)  # the name events carry
        self._ctxscope_blueprint = blueprint  # dotted blueprint name, None for the app's own

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        adapter = self._ctxscope_adapter
        if not adapter.events.active:
            return self.__wrapped__(*args, **kwargs)  # type: ignore[attr-defined]
        try:
            rv = self.__wrapped__(*args, **kwargs)  # type: ignore[attr-defined]
        except Exception as e:
            self.report(args, kwargs, None, e)
            raise
        self.report(args, kwargs, rv, None)
        return rv

    def report(self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any,
               error: BaseException | None) -> None:
        adapter = self._ctxscope_adapter
        adapter.emit(self.event_class, self._ctxscope_name, self._ctxscope_blueprint,
                     self.fields(args, kwargs, rv, error))

    def fields(self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any,
               error: BaseException | None) -> dict[str, Any]:
        raise NotImplementedError

    # Flask compares registered functions (``old_func != view_func`` in add_url_rule).
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Hook):
            other = other.__wrapped__  # type: ignore[attr-defined]
        return bool(self.__wrapped__ == other)  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self.__wrapped__)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return repr(self.__wrapped__)  # type: ignore[attr-defined]


def _status(response: Any) -> int:
    return int(getattr(response, "status_code", 0) or 0)


class _CallsAfterThisRequest(Hook):
    # Functions that may call after_this_request: wrap what they added, for the next step.
    def report(self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any,
               error: BaseException | None) -> None:
        super().report(args, kwargs, rv, error)
        wrap_after_this_request(self._ctxscope_adapter)


class BeforeRequestHook(_CallsAfterThisRequest):
    event_class = BeforeRequest

    def fields(self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any,
               error: BaseException | None) -> dict[str, Any]:
        if error is not None:
            return {"returned": None, "short_circuit": False, "error": describe_error(error)}
        return {"returned": summarize(rv), "short_circuit": rv is not None, "error": None}


class UrlValueHook(_CallsAfterThisRequest):
    event_class = UrlValuePreprocessor

    def fields(self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any,
               error: BaseException | None) -> dict[str, Any]:
        values = args[1] if len(args) > 1 else kwargs.get("values")
        return {"view_args": summarize(values), "error": describe_error(error)}


class ViewHook(_CallsAfterThisRequest):
    event_class = View

    def __init__(self, func: Callable[..., Any], adapter: FlaskAdapter, endpoint: str) -> None:
        blueprint = endpoint.rpartition(".")[0] or None  # what request.blueprint will say
        super().__init__(func, adapter, blueprint)
        self._ctxscope_endpoint = endpoint  # the endpoint the view is registered under

    def fields(self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any,
               error: BaseException | None) -> dict[str, Any]:
        return {
            "endpoint": self._ctxscope_endpoint,
            "view_args": summarize(kwargs),
            "returned": None if error is not None else summarize(rv),
            "error": describe_error(error),
        }


class ErrorHandlerHook(_CallsAfterThisRequest):
    event_class = ErrorHandler

    def fields(self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any,
               error: BaseException | None) -> dict[str, Any]:
        handled = args[0] if args else None
        returned = describe_error(error) if error is not None else summarize(rv)
        return {"error": describe_error(handled) or "", "returned": returned}


class AfterRequestHook(Hook):
    event_class = AfterRequest

    def fields(self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any,
               error: BaseException | None) -> dict[str, Any]:
        response = args[0] if error is not None and args else rv
        return {"status": _status(response), "error": describe_error(error)}


class AfterThisRequestHook(AfterRequestHook):
    event_class = AfterThisRequest


class TeardownRequestHook(Hook):
    event_class = TeardownRequest

    def fields(self, args: tuple[Any, ...], kwargs: dict[str, Any], rv: Any,
               error: BaseException | None) -> dict[str, Any]:
        exc = args[0] if args else None
        return {"error": describe_error(exc), "raised": describe_error(error)}


class TeardownAppHook(TeardownRequestHook):
    event_class = TeardownAppcontext

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # The implicit app context tears down after the request context left: report that pop.
        flush_pop(self._ctxscope_adapter)
        return super().__call__(*args, **kwargs)


def _wrap(kind: type[Hook], func: Callable[..., Any], adapter: FlaskAdapter, key: Any) -> Any:
    if isinstance(func, Hook) or getattr(func, "_ctxscope_hook", False):
        return func
    hook = kind(func, adapter, key)
    if not inspect.iscoroutinefunction(func):
        return hook

    async def async_hook(*args: Any, **kwargs: Any) -> Any:
        if not adapter.events.active:
            return await func(*args, **kwargs)
        if kind is TeardownAppHook:
            flush_pop(adapter)
        try:
            rv = await func(*args, **kwargs)
        except Exception as e:
            hook.report(args, kwargs, None, e)
            raise
        hook.report(args, kwargs, rv, None)
        return rv

    update_wrapper(async_hook, func)
    async_hook._ctxscope_hook = True  # type: ignore[attr-defined]
    return async_hook


_KEYED_LISTS: tuple[tuple[str, type[Hook]], ...] = (
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
        if isinstance(func, Hook) or getattr(func, "_ctxscope_hook", False):
            continue
        views[endpoint] = _wrap_view(func, adapter, endpoint)
    for key, by_code in list(app.error_handler_spec.items()):
        for handlers in list(by_code.values()):
            for cls, func in list(handlers.items()):
                wrapped = _wrap(ErrorHandlerHook, func, adapter, key)
                if wrapped is not func:
                    handlers[cls] = wrapped


def _wrap_view(func: Callable[..., Any], adapter: FlaskAdapter, endpoint: str) -> Any:
    hook = ViewHook(func, adapter, endpoint)
    if not inspect.iscoroutinefunction(func):
        return hook

    async def async_view(*args: Any, **kwargs: Any) -> Any:
        if not adapter.events.active:
            return await func(*args, **kwargs)
        try:
            rv = await func(*args, **kwargs)
        except Exception as e:
            hook.report(args, kwargs, None, e)
            raise
        hook.report(args, kwargs, rv, None)
        return rv

    update_wrapper(async_view, func)
    async_view._ctxscope_hook = True  # type: ignore[attr-defined]
    return async_view


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
    if isinstance(func, Hook) or getattr(func, "_ctxscope_hook", False):
        return func.__wrapped__
    return func


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
