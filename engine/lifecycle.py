"""The request lifecycle, in the order Flask 3.1 runs it, publishing each step.

Push contexts, open the session, match the URL (``ctx.py``); then ``request_started``, URL value
preprocessors, ``before_request`` (app first, then outer to inner blueprint), the view, error
handlers (``errors.py``), ``after_this_request``, ``after_request`` (reverse, inner to outer, app
last), save the session, ``request_finished``; on pop the teardown functions (reverse) and
signals. ``shared/REFERENCE.md`` §2 is the map. Each step is published on ``app.events`` only when
somebody listens, so an unobserved app pays one attribute read per step. Signals are sent only
when they have receivers, for the same reason (blinker's ``send`` walks a generator even for
nobody).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from itertools import chain
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response as BaseResponse

from .events import (
    AfterRequest,
    AfterThisRequest,
    AppcontextTearingDown,
    BeforeRequest,
    Event,
    RequestFinished,
    RequestStarted,
    RequestTearingDown,
    SessionSaved,
    TeardownAppcontext,
    TeardownRequest,
    UrlValuePreprocessor,
    View,
)
from .globals import _app_ctx_stack, _request_ctx_stack
from .signals import (
    appcontext_tearing_down,
    request_finished,
    request_started,
    request_tearing_down,
)
from .summary import MAX_STR, describe_error, summarize
from .wrappers import Request, Response

if TYPE_CHECKING:
    from .bus import EventBus
    from .config import Config
    from .ctx import RequestContext
    from .jsonprovider import JSONProvider
    from .sessions import SessionInterface

__all__ = ["Lifecycle"]

_sentinel: Any = object()


def _status_of(response: Any) -> int:
    return getattr(response, "status_code", 0)


def current_request() -> Request:
    ctx = _request_ctx_stack.top
    assert ctx is not None, "no request context"
    return ctx.request


def current_request_id() -> int | None:
    ctx = _request_ctx_stack.top
    return ctx.request_id if ctx is not None else None


FieldsOf = Callable[[tuple[Any, ...], Any, "BaseException | None"], tuple[Any, ...]]
"""Builds a hook event's own fields, in order, from (args, return value, exception raised)."""

_BEFORE_PASSED = (None, False, None)  # returned None, no short circuit, no error
_NO_ERRORS = (None, None)  # a teardown function called without an error, and not raising


def _preprocessor_fields(args: tuple[Any, ...], rv: Any, e: BaseException | None) -> tuple:
    return (summarize(args[1]), describe_error(e))


def _before_fields(args: tuple[Any, ...], rv: Any, e: BaseException | None) -> tuple:
    if rv is None and e is None:
        return _BEFORE_PASSED
    return (summarize(rv), rv is not None, describe_error(e))


def _response_hook_fields(args: tuple[Any, ...], rv: Any, e: BaseException | None) -> tuple:
    if e is None:
        return (getattr(rv, "status_code", 0), None)
    return (_status_of(args[0]), describe_error(e))


def _view_fields(req: Request, rv: Any, e: BaseException | None) -> tuple:
    rule = req.url_rule
    if e is not None:
        returned, error = None, describe_error(e)
    else:
        # Most views return a short string: no call needed to summarize it.
        returned = rv if type(rv) is str and len(rv) <= MAX_STR else summarize(rv)
        error = None
    return (
        rule.endpoint if rule is not None else None,
        summarize(req.view_args or {}),
        returned,
        error,
    )


def _teardown_fields(args: tuple[Any, ...], rv: Any, e: BaseException | None) -> tuple:
    if args[0] is None and e is None:
        return _NO_ERRORS
    return (describe_error(args[0]), describe_error(e))


class Lifecycle:
    """The request-handling half of ``App`` (Flask's ``wsgi_app`` and what it calls)."""

    config: Config
    events: EventBus
    json: JSONProvider
    session_interface: SessionInterface
    response_class: type[Response]
    view_functions: dict[str, Callable[..., Any]]
    before_request_funcs: dict[str | None, list[Callable[..., Any]]]
    after_request_funcs: dict[str | None, list[Callable[..., Any]]]
    teardown_request_funcs: dict[str | None, list[Callable[..., Any]]]
    teardown_appcontext_funcs: list[Callable[..., Any]]
    url_value_preprocessors: dict[str | None, list[Callable[..., Any]]]
    request_context: Callable[[dict[str, Any]], RequestContext]
    ensure_sync: Callable[[Callable[..., Any]], Callable[..., Any]]
    handle_exception: Callable[[Exception], Response]
    handle_user_exception: Callable[[Exception], Any]

    def call_hook(
        self,
        cls: type[Event],
        func: Callable[..., Any],
        blueprint: str | None,
        args: tuple[Any, ...],
        fields: FieldsOf,
        request_id: int | None = None,
    ) -> Any:
        """Call a hook; when somebody listens, report it (also when it raises)."""
        call = self.ensure_sync(func)
        bus = self.events
        if not bus.active:
            return call(*args)
        if request_id is None:
            request_id = current_request_id()
        try:
            rv = call(*args)
        except Exception as e:
            bus.emit(cls, request_id, func, blueprint, fields(args, None, e))
            raise
        # The hook itself stands for its name: the event looks the name up only when read.
        bus.emit(cls, request_id, func, blueprint, fields(args, rv, None))
        return rv

    # --- the request, step by step -----------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterator[bytes]:
        return self.wsgi_app(environ, start_response)

    def wsgi_app(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterator[bytes]:
        ctx = self.request_context(environ)
        error: BaseException | None = None
        try:
            try:
                ctx.push()
                response = self.full_dispatch_request()
            except Exception as e:
                error = e
                response = self.handle_exception(e)
            except:
                error = sys.exc_info()[1]
                raise
            return response(environ, start_response)  # type: ignore[no-any-return]
        finally:
            if "werkzeug.debug.preserve_context" in environ:
                # The test client (``with client:``) pushes these again after the request.
                preserve = environ["werkzeug.debug.preserve_context"]
                preserve(_app_ctx_stack.top)
                preserve(_request_ctx_stack.top)
            if error is not None and self.should_ignore_error(error):
                error = None
            ctx.pop(error)

    def should_ignore_error(self, error: BaseException | None) -> bool:
        return False

    def full_dispatch_request(self) -> Response:
        try:
            if request_started.receivers:
                request_started.send(self, _async_wrapper=self.ensure_sync)
            bus = self.events
            if bus.active:
                bus.emit(RequestStarted, current_request_id(), None, None, ())
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as e:
            rv = self.handle_user_exception(e)
        return self.finalize_request(rv)

    def preprocess_request(self) -> Any:
        """URL value preprocessors, then before_request functions (app, outer → inner)."""
        ctx = _request_ctx_stack.top
        assert ctx is not None
        req, rid = ctx.request, ctx.request_id
        names = (None, *reversed(req.blueprints))
        for name in names:
            for url_func in self.url_value_preprocessors.get(name, ()):
                self.call_hook(
                    UrlValuePreprocessor,
                    url_func,
                    name,
                    (req.endpoint, req.view_args),
                    _preprocessor_fields,
                    rid,
                )
        for name in names:
            for before_func in self.before_request_funcs.get(name, ()):
                rv = self.call_hook(BeforeRequest, before_func, name, (), _before_fields, rid)
                if rv is not None:
                    return rv
        return None

    def raise_routing_exception(self, request: Request) -> None:
        raise request.routing_exception  # type: ignore[misc]

    def dispatch_request(self) -> Any:
        ctx = _request_ctx_stack.top
        assert ctx is not None
        req = ctx.request
        if req.routing_exception is not None:
            self.raise_routing_exception(req)
        rule = req.url_rule
        assert rule is not None
        if getattr(rule, "provide_automatic_options", False) and req.method == "OPTIONS":
            return self.make_default_options_response()
        view = self.view_functions[rule.endpoint]
        view_args = req.view_args or {}
        bus = self.events
        if not bus.active:
            return self.ensure_sync(view)(**view_args)
        return self._call_view(bus, view, req, ctx.request_id, view_args)

    def _call_view(
        self,
        bus: EventBus,
        view: Callable[..., Any],
        req: Request,
        request_id: int | None,
        view_args: dict[str, Any],
    ) -> Any:
        """Call the view and report it, with the view arguments as it leaves them."""
        try:
            rv = self.ensure_sync(view)(**view_args)
        except Exception as e:
            bus.emit(View, request_id, view, req.blueprint, _view_fields(req, None, e))
            raise
        bus.emit(View, request_id, view, req.blueprint, _view_fields(req, rv, None))
        return rv

    def make_default_options_response(self) -> Response:
        adapter = _request_ctx_stack.top.url_adapter  # type: ignore[union-attr]
        methods = adapter.allowed_methods()
        rv = self.response_class()
        rv.allow.update(methods)
        return rv

    # --- the response ------------------------------------------------------------------------

    def finalize_request(self, rv: Any, from_error_handler: bool = False) -> Response:
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
            if request_finished.receivers:
                request_finished.send(self, _async_wrapper=self.ensure_sync, response=response)
            bus = self.events
            if bus.active:
                # Werkzeug keeps headers as (name, value) tuples: a tuple of them is a snapshot.
                bus.emit(
                    RequestFinished,
                    current_request_id(),
                    None,
                    None,
                    (response.status_code, tuple(response.headers)),
                )
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception("Request finalizing failed with an error while handling an error")
        return response

    def make_response(self, rv: Any) -> Response:
        """Turn a view's return value into a response (str, bytes, dict, list, tuple, ...)."""
        status = headers = None
        if isinstance(rv, tuple):
            len_rv = len(rv)
            if len_rv == 3:
                rv, status, headers = rv
            elif len_rv == 2:
                if isinstance(rv[1], Headers | dict | tuple | list):
                    rv, headers = rv
                else:
                    rv, status = rv
            else:
                raise TypeError(
                    "The view function did not return a valid response tuple."
                    " The tuple must have the form (body, status, headers),"
                    " (body, status), or (body, headers)."
                )
        if rv is None:
            raise TypeError(
                f"The view function for {current_request().endpoint!r} did not"
                " return a valid response. The function either returned"
                " None or ended without a return statement."
            )
        if not isinstance(rv, self.response_class):
            if isinstance(rv, str | bytes | bytearray | Iterator):
                rv = self.response_class(rv, status=status, headers=headers)
                status = headers = None
            elif isinstance(rv, dict | list):
                rv = self.json.response(rv)
            elif isinstance(rv, BaseResponse) or callable(rv):
                try:
                    rv = self.response_class.force_type(
                        rv,
                        current_request().environ,  # type: ignore[arg-type]
                    )
                except TypeError as e:
                    raise TypeError(
                        f"{e}\nThe view function did not return a valid"
                        " response. The return type must be a string,"
                        " dict, list, tuple with headers or status,"
                        " Response instance, or WSGI callable, but it"
                        f" was a {type(rv).__name__}."
                    ).with_traceback(sys.exc_info()[2]) from None
            else:
                raise TypeError(
                    "The view function did not return a valid"
                    " response. The return type must be a string,"
                    " dict, list, tuple with headers or status,"
                    " Response instance, or WSGI callable, but it was a"
                    f" {type(rv).__name__}."
                )
        if status is not None:
            if isinstance(status, str | bytes | bytearray):
                rv.status = status
            else:
                rv.status_code = status
        if headers:
            rv.headers.update(headers)
        return rv  # type: ignore[no-any-return]

    def process_response(self, response: Response) -> Response:
        """after_this_request, after_request (reverse, inner → outer → app), save session."""
        ctx = _request_ctx_stack.top
        assert ctx is not None
        bus = self.events
        for func in ctx._after_request_functions:
            response = self.call_hook(
                AfterThisRequest, func, None, (response,), _response_hook_fields, ctx.request_id
            )
        for name in chain(ctx.request.blueprints, (None,)):
            if name in self.after_request_funcs:
                for func in reversed(self.after_request_funcs[name]):
                    response = self.call_hook(
                        AfterRequest, func, name, (response,), _response_hook_fields, ctx.request_id
                    )
        session = ctx._session
        interface = self.session_interface
        if not interface.is_null_session(session):
            interface.save_session(self, session, response)  # type: ignore[arg-type]
            if bus.active:
                self._emit_session_saved(ctx, response)
        return response

    def _emit_session_saved(self, ctx: RequestContext, response: Response) -> None:
        session = ctx._session
        prefix = f"{self.session_interface.get_cookie_name(self)}="
        set_cookie = None
        for key, value in reversed(response.headers._list):  # the last one written counts
            if key == "Set-Cookie" and value.startswith(prefix):
                set_cookie = value
                break
        deleted = set_cookie is not None and "Max-Age=0" in set_cookie
        self.events.emit(
            SessionSaved,
            ctx.request_id,
            None,
            None,
            (
                type(self.session_interface).__qualname__,
                ctx.session_before,
                summarize(dict(session)),  # type: ignore[arg-type]
                bool(getattr(session, "accessed", False)),
                bool(getattr(session, "modified", False)),
                bool(session.permanent),  # type: ignore[union-attr]
                set_cookie,
                deleted,
            ),
        )

    # --- teardown ----------------------------------------------------------------------------

    def do_teardown_request(self, exc: BaseException | None = _sentinel) -> None:
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        ctx = _request_ctx_stack.top
        assert ctx is not None
        bus = self.events
        error = describe_error(exc) if exc is not None and bus.active else None
        for name in chain(ctx.request.blueprints, (None,)):
            if name in self.teardown_request_funcs:
                for func in reversed(self.teardown_request_funcs[name]):
                    self.call_hook(
                        TeardownRequest, func, name, (exc,), _teardown_fields, ctx.request_id
                    )
        if request_tearing_down.receivers:
            request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)
        if bus.active:
            bus.emit(RequestTearingDown, ctx.request_id, None, None, (error,))

    def do_teardown_appcontext(
        self, exc: BaseException | None = _sentinel, request_id: int | None = None
    ) -> None:
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        bus = self.events
        error = describe_error(exc) if exc is not None and bus.active else None
        for func in reversed(self.teardown_appcontext_funcs):
            self.call_hook(TeardownAppcontext, func, None, (exc,), _teardown_fields, request_id)
        if appcontext_tearing_down.receivers:
            appcontext_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)
        if bus.active:
            bus.emit(AppcontextTearingDown, request_id, None, None, (error,))
