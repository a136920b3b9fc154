"""Application and request contexts, pushed and popped by Flask's rules.

A request pushes an app context first when none of its app is on top (the *implicit* app
context), then itself; it opens the session and matches the URL. Popping runs the teardown
functions (with the error) only on the last pop of a context, so a context pushed twice
(``stream_with_context``, ``with ctx:`` inside a view) tears down once, when it finally leaves.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator
from functools import update_wrapper
from types import TracebackType
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException

from .events import (
    AppCtxPopped,
    AppCtxPushed,
    RequestCtxPopped,
    RequestCtxPushed,
    SessionOpened,
    UrlMatched,
)
from .globals import _app_ctx_stack, _request_ctx_stack
from .signals import appcontext_popped, appcontext_pushed
from .summary import describe_error, summarize

if TYPE_CHECKING:
    from .app import App
    from .sessions import SessionMixin
    from .wrappers import Request

__all__ = [
    "AppContext",
    "RequestContext",
    "after_this_request",
    "copy_current_request_context",
    "has_app_context",
    "has_request_context",
]

_sentinel: Any = object()
_request_ids = itertools.count(1)


class _AppCtxGlobals:
    """``g``: a plain namespace that lives as long as its app context."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self.__dict__[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default: Any = None) -> Any:
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: Any = _sentinel) -> Any:
        if default is _sentinel:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: Any = None) -> Any:
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        from .globals import _app_ctx_stack

        top = _app_ctx_stack.top
        if top is not None:
            return f"<engine.g of '{top.app.name}'>"
        return object.__repr__(self)


class AppContext:
    """The application context: binds ``current_app`` and ``g``."""

    def __init__(self, app: App, request_id: int | None = None) -> None:
        self.app = app  # the application
        self.url_adapter = app.create_url_adapter(None)  # for url_for outside requests
        self.g: _AppCtxGlobals = app.app_ctx_globals_class()  # per-context namespace
        self.request_id = request_id  # the request that pushed it implicitly, if any
        self.app_name = app.name  # the app's name as its events report it
        self.label = f"<AppContext {self.app_name}>"  # short form shown in stack events
        self._pushes = 0  # times pushed and not yet popped

    def push(self) -> None:
        self._pushes += 1
        _app_ctx_stack.push(self)
        if appcontext_pushed.receivers:
            appcontext_pushed.send(self.app, _async_wrapper=self.app.ensure_sync)
        bus = self.app.events
        if bus.active:
            bus.emit(AppCtxPushed, self.request_id, None, None, (self.app_name,))

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        try:
            if self._pushes == 1:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                self.app.do_teardown_appcontext(exc, self.request_id)
        finally:
            self._pushes -= 1
            rv = _app_ctx_stack.pop()
        if rv is not self:
            raise AssertionError(f"Popped wrong app context. ({rv!r} instead of {self!r})")
        if appcontext_popped.receivers:
            appcontext_popped.send(self.app, _async_wrapper=self.app.ensure_sync)
        bus = self.app.events
        if bus.active:
            bus.emit(
                AppCtxPopped,
                self.request_id,
                None,
                None,
                (self.app_name, None if exc is _sentinel or exc is None else describe_error(exc)),
            )

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        return self.label

    def __ctxscope_summary__(self) -> dict[str, Any]:
        return {
            "type": "AppContext",
            "app": self.app.name,
            "request_id": self.request_id,
            "g": {k: summarize(v, 1) for k, v in list(self.g.__dict__.items())},
        }


class RequestContext:
    """The request context: binds ``request`` and ``session`` for one request."""

    def __init__(
        self,
        app: App,
        environ: dict[str, Any],
        request: Request | None = None,
        session: SessionMixin | None = None,
    ) -> None:
        self.app = app  # the application
        if request is None:
            request = app.request_class(environ)
            request.json_module = app.json
        self.request: Request = request  # the request object
        self.url_adapter = None  # bound MapAdapter, None when the host is refused
        try:
            self.url_adapter = app.create_url_adapter(self.request)
        except HTTPException as e:
            self.request.routing_exception = e
        self.flashes: list[tuple[str, str]] | None = None  # flashed messages, loaded lazily
        self._session: SessionMixin | None = session  # opened on first push
        self.request_id = next(_request_ids)  # ties events of this request together
        self.label = f"<RequestContext {request.method} {request.path}>"  # for stack events
        self.session_before: Any = None  # summary when opened, for session_saved
        self._after_request_functions: list[Callable[[Any], Any]] = []  # after_this_request
        self._pushes: list[AppContext | None] = []  # per push: the implicit app ctx, if any

    def copy(self) -> RequestContext:
        """A context for the same request and session, to push in another thread."""
        copy = self.__class__(
            self.app,
            environ=self.request.environ,
            request=self.request,
            session=self._session,
        )
        copy.request_id = self.request_id  # the same request, seen from another thread
        return copy

    @property
    def session(self) -> SessionMixin:
        """The session; any access through the context marks it accessed (Flask 3.1.3)."""
        assert self._session is not None, "The session has not yet been opened."
        self._session.accessed = True
        return self._session

    def match_request(self) -> None:
        request = self.request
        try:
            result = self.url_adapter.match(return_rule=True)  # type: ignore[union-attr]
            request.url_rule, request.view_args = result  # type: ignore[assignment]
        except HTTPException as e:
            request.routing_exception = e
        bus = self.app.events
        if bus.active:
            rule = request.url_rule
            error = request.routing_exception
            bus.emit(
                UrlMatched,
                self.request_id,
                None,
                None,
                (
                    rule.endpoint if rule is not None else None,
                    rule.rule if rule is not None else None,
                    summarize(request.view_args),
                    None if error is None else _http_error(error),
                ),
            )

    def push(self) -> None:
        app_ctx = _app_ctx_stack.top
        if app_ctx is None or app_ctx.app is not self.app:
            app_ctx = self.app.app_context()
            app_ctx.request_id = self.request_id
            app_ctx.push()
        else:
            app_ctx = None
        nested = _request_ctx_stack.top is not None
        self._pushes.append(app_ctx)
        _request_ctx_stack.push(self)
        bus = self.app.events
        if bus.active:
            bus.emit(
                RequestCtxPushed, self.request_id, None, None, pushed_fields(self.request, nested)
            )

        if self._session is None:
            interface = self.app.session_interface
            self._session = interface.open_session(self.app, self.request)
            if self._session is None:
                self._session = interface.make_null_session(self.app)
            if bus.active:
                self._emit_session_opened(interface)

        if self.url_adapter is not None:
            self.match_request()

    def _emit_session_opened(self, interface: Any) -> None:
        session = self._session
        null = interface.is_null_session(session)
        self.session_before = summarize(dict(session)) if session is not None else None
        cookie = self.request.cookies.get(self.app.config["SESSION_COOKIE_NAME"])
        verdict = "null" if null else getattr(session, "open_verdict", "custom")
        self.app.events.emit(
            SessionOpened,
            self.request_id,
            None,
            None,
            (type(interface).__qualname__, null, cookie, self.session_before, verdict),
        )

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        clear_request = len(self._pushes) == 1
        try:
            if clear_request:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                self.app.do_teardown_request(exc)
                request_close = getattr(self.request, "close", None)
                if request_close is not None:
                    request_close()
        finally:
            app_ctx = self._pushes.pop()
            rv = _request_ctx_stack.pop()
            bus = self.app.events
            if bus.active:
                bus.emit(
                    RequestCtxPopped,
                    self.request_id,
                    None,
                    None,
                    (None if exc is _sentinel or exc is None else describe_error(exc),),
                )
            if clear_request:
                rv.request.environ["werkzeug.request"] = None  # type: ignore[union-attr]
            if app_ctx is not None:
                app_ctx.pop(exc)
            if rv is not self:
                raise AssertionError(f"Popped wrong request context. ({rv!r} instead of {self!r})")

    def __enter__(self) -> RequestContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        return f"<RequestContext {self.request.url!r} [{self.request.method}] of {self.app.name}>"

    def __ctxscope_summary__(self) -> dict[str, Any]:
        request = self.request
        session = self._session
        return {
            "type": "RequestContext",
            "request_id": self.request_id,
            "method": request.method,
            "path": request.path,
            "endpoint": request.url_rule.endpoint if request.url_rule is not None else None,
            "view_args": summarize(request.view_args),
            "session": None if session is None else summarize(dict(session)),
            "session_modified": getattr(session, "modified", False),
        }


def pushed_fields(request: Request, nested: bool) -> tuple[Any, ...]:
    """The own fields of ``request_ctx_pushed``, in order (the Flask adapter reports the same)."""
    return (
        request.method,
        request.path,
        raw_url(request),
        nested,
        client_request_id(request),
    )


def client_request_id(request: Request) -> str | None:
    """The request's ``X-Request-Id`` (a common way for clients to tag requests), capped."""
    value = request.environ.get("HTTP_X_REQUEST_ID")
    return value[:200] if value else None


def raw_url(request: Request) -> str:
    """The request URL as it came in (scheme, host, path, query), cheaply."""
    # request.url decodes to an IRI, which costs more than the rest of the event; the wire
    # form is what a user compares with the request they sent anyway.
    environ = request.environ
    query = environ.get("QUERY_STRING")
    host = environ.get("HTTP_HOST") or request.host  # the Host header as sent, when there is one
    url = (
        f"{environ.get('wsgi.url_scheme', 'http')}://{host}"
        f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}"
    )
    return f"{url}?{query}" if query else url


def _http_error(error: Exception) -> str:
    if isinstance(error, HTTPException):
        return f"{error.code} {error.name}"
    return describe_error(error) or type(error).__name__


def has_request_context() -> bool:
    """True inside a request context (inside a view, or a pushed test context)."""
    return _request_ctx_stack.top is not None


def has_app_context() -> bool:
    """True inside an application context."""
    return _app_ctx_stack.top is not None


def after_this_request(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Run ``f(response)`` after this request, before the ``after_request`` functions."""
    ctx = _request_ctx_stack.top
    if ctx is None:
        raise RuntimeError(
            "'after_this_request' can only be used when a request"
            " context is active, such as in a view function."
        )
    ctx._after_request_functions.append(f)
    return f


def copy_current_request_context(f: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``f`` so that it runs in a copy of the current request context (another thread)."""
    ctx = _request_ctx_stack.top
    if ctx is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a"
            " request context is active, such as in a view function."
        )
    ctx = ctx.copy()

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with ctx:
            return ctx.app.ensure_sync(f)(*args, **kwargs)

    return update_wrapper(wrapper, f)
