"""The application: Flask's request lifecycle, step for step, reporting every step.

The order of everything follows Flask 3.1 (``shared/REFERENCE.md`` §2): push contexts, open the
session, match the URL, ``request_started``, URL value preprocessors, ``before_request``
(app first, then outer to inner blueprint), the view, error handlers, ``after_this_request``,
``after_request`` (reverse, inner to outer, app last), save the session, ``request_finished``,
and on pop the teardown functions (reverse) and signals. Each step is published on
``app.events`` only when somebody listens.
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from datetime import timedelta
from itertools import chain
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.exceptions import (
    Aborter,
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
)
from werkzeug.routing import Map, MapAdapter, RoutingException, Rule
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Response as BaseResponse
from werkzeug.wsgi import get_host

from .blueprints import Blueprint
from .bus import EventBus, Subscription
from .config import DEFAULT_CONFIG, Config
from .ctx import AppContext, RequestContext, _AppCtxGlobals
from .events import (
    AfterRequest,
    AfterThisRequest,
    AppcontextTearingDown,
    BeforeRequest,
    ErrorHandler,
    Event,
    ExceptionRaised,
    GotRequestException,
    RequestFinished,
    RequestStarted,
    RequestTearingDown,
    SessionSaved,
    TeardownAppcontext,
    TeardownRequest,
    UrlValuePreprocessor,
    View,
)
from .globals import _request_ctx_stack, depth
from .jsonprovider import JSONProvider
from .scaffold import Scaffold, endpoint_from_view_func
from .sessions import SecureCookieSessionInterface, SessionInterface
from .signals import (
    appcontext_tearing_down,
    got_request_exception,
    request_finished,
    request_started,
    request_tearing_down,
)
from .summary import describe_error, qualname, summarize
from .wrappers import Request, Response

__all__ = ["App"]

_sentinel: Any = object()


def _status_of(response: Any) -> int:
    return getattr(response, "status_code", 0)


class App(Scaffold):
    """A Flask-compatible WSGI application whose lifecycle can be watched and paused."""

    request_class = Request
    response_class = Response
    app_ctx_globals_class = _AppCtxGlobals
    url_rule_class = Rule
    url_map_class = Map
    json_provider_class = JSONProvider

    def __init__(self, import_name: str) -> None:
        super().__init__(import_name)
        self.config = Config(DEFAULT_CONFIG)  # Flask's settings and defaults
        self.url_map = self.url_map_class()  # Werkzeug routing
        self.url_map.host_matching = False
        self.subdomain_matching = False  # as Flask's default
        self.blueprints: dict[str, Blueprint] = {}  # dotted name -> blueprint
        self.teardown_appcontext_funcs: list[Callable[..., Any]] = []  # run on app ctx pop
        self.session_interface: SessionInterface = SecureCookieSessionInterface()  # cookies
        self.json = self.json_provider_class(self)  # dumps/loads/response
        self.aborter = Aborter()  # raises HTTPExceptions by code
        self.extensions: dict[str, Any] = {}  # for extensions, as in Flask
        self.logger = logging.getLogger(import_name)  # where unhandled errors are logged
        self.events = EventBus(depth)  # every step, to subscribers and breakpoints
        self.breakpoints = self.events.breakpoints  # pause points, driven by the window

    # --- identity and settings --------------------------------------------------------------

    @property
    def name(self) -> str:
        if self.import_name == "__main__":
            fn = getattr(sys.modules["__main__"], "__file__", None)
            if fn is None:
                return "__main__"
            return os.path.splitext(os.path.basename(fn))[0]
        return self.import_name

    @property
    def debug(self) -> bool:
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value

    @property
    def testing(self) -> bool:
        return bool(self.config["TESTING"])

    @testing.setter
    def testing(self, value: bool) -> None:
        self.config["TESTING"] = value

    @property
    def secret_key(self) -> str | bytes | None:
        return self.config["SECRET_KEY"]  # type: ignore[no-any-return]

    @secret_key.setter
    def secret_key(self, value: str | bytes | None) -> None:
        self.config["SECRET_KEY"] = value

    @property
    def permanent_session_lifetime(self) -> timedelta:
        value = self.config["PERMANENT_SESSION_LIFETIME"]
        return value if isinstance(value, timedelta) else timedelta(seconds=value)

    @permanent_session_lifetime.setter
    def permanent_session_lifetime(self, value: timedelta | int) -> None:
        self.config["PERMANENT_SESSION_LIFETIME"] = value

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Hooks and views are called through this; coroutine functions need asgiref."""
        if inspect.iscoroutinefunction(func):
            return self.async_to_sync(func)
        return func

    def async_to_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            from asgiref.sync import async_to_sync as asgiref_async_to_sync
        except ImportError:
            raise RuntimeError(
                "Install Flask with the 'async' extra in order to use async views."
            ) from None
        return asgiref_async_to_sync(func)  # type: ignore[no-any-return]

    # --- observation ------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], object]) -> Subscription:
        """Call ``callback(event)`` for every step, on the thread where it happened."""
        return self.events.subscribe(callback)

    # --- registration ----------------------------------------------------------------------

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        if endpoint is None:
            endpoint = endpoint_from_view_func(view_func)
        options["endpoint"] = endpoint
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, for"
                ' example: @app.route(..., methods=["POST"])'
            )
        methods = {item.upper() for item in methods}
        required_methods = set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        if provide_automatic_options is None:
            if "OPTIONS" not in methods and self.config["PROVIDE_AUTOMATIC_OPTIONS"]:
                provide_automatic_options = True
                required_methods.add("OPTIONS")
            else:
                provide_automatic_options = False
        methods |= required_methods
        rule_obj = self.url_rule_class(rule, methods=methods, **options)
        rule_obj.provide_automatic_options = provide_automatic_options  # type: ignore[attr-defined]
        self.url_map.add(rule_obj)
        if view_func is not None:
            old_func = self.view_functions.get(endpoint)
            if old_func is not None and old_func != view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing"
                    f" endpoint function: {endpoint}"
                )
            self.view_functions[endpoint] = view_func

    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        blueprint.register(self, options)

    def teardown_appcontext(self, f: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``f(error)`` when the app context is popped."""
        self.teardown_appcontext_funcs.append(f)
        return f

    # --- contexts --------------------------------------------------------------------------

    def app_context(self) -> AppContext:
        return AppContext(self)

    def request_context(self, environ: dict[str, Any]) -> RequestContext:
        return RequestContext(self, environ)

    def test_request_context(self, *args: Any, **kwargs: Any) -> RequestContext:
        """A request context for a request built from ``EnvironBuilder`` arguments."""
        kwargs.setdefault("base_url", self._test_base_url(kwargs))
        builder = EnvironBuilder(*args, **kwargs)
        try:
            return self.request_context(builder.get_environ())
        finally:
            builder.close()

    def _test_base_url(self, kwargs: dict[str, Any]) -> str:
        http_host = self.config["SERVER_NAME"] or "localhost"
        app_root = self.config["APPLICATION_ROOT"]
        scheme = kwargs.pop("url_scheme", None) or self.config["PREFERRED_URL_SCHEME"]
        return f"{scheme}://{http_host}/{app_root.lstrip('/')}"

    def test_client(self, use_cookies: bool = True) -> Client:
        return Client(self, use_cookies=use_cookies)

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        if request is not None:
            if (trusted_hosts := self.config["TRUSTED_HOSTS"]) is not None:
                request.trusted_hosts = trusted_hosts
            request.host = get_host(request.environ, request.trusted_hosts)  # type: ignore[misc]
            subdomain = None
            server_name = self.config["SERVER_NAME"]
            if self.url_map.host_matching:
                server_name = None
            elif not self.subdomain_matching:
                subdomain = self.url_map.default_subdomain or ""
            return self.url_map.bind_to_environ(
                request.environ, server_name=server_name, subdomain=subdomain
            )
        if self.config["SERVER_NAME"] is not None:
            return self.url_map.bind(
                self.config["SERVER_NAME"],
                script_name=self.config["APPLICATION_ROOT"],
                url_scheme=self.config["PREFERRED_URL_SCHEME"],
            )
        return None

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
            if error is not None and self.should_ignore_error(error):
                error = None
            ctx.pop(error)

    def should_ignore_error(self, error: BaseException | None) -> bool:
        return False

    def full_dispatch_request(self) -> Response:
        try:
            request_started.send(self, _async_wrapper=self.ensure_sync)
            bus = self.events
            if bus.active:
                bus.emit(RequestStarted, _request_id(), None, None, {})
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as e:
            rv = self.handle_user_exception(e)
        return self.finalize_request(rv)

    def preprocess_request(self) -> Any:
        """URL value preprocessors, then before_request functions (app, outer → inner)."""
        req = _request_ctx_stack.top.request  # type: ignore[union-attr]
        names = (None, *reversed(req.blueprints))
        bus = self.events
        for name in names:
            if name in self.url_value_preprocessors:
                for url_func in self.url_value_preprocessors[name]:
                    if not bus.active:
                        url_func(req.endpoint, req.view_args)
                        continue
                    try:
                        url_func(req.endpoint, req.view_args)
                    except Exception as e:
                        bus.emit(
                            UrlValuePreprocessor,
                            _request_id(),
                            qualname(url_func),
                            name,
                            {"view_args": summarize(req.view_args), "error": describe_error(e)},
                        )
                        raise
                    bus.emit(
                        UrlValuePreprocessor,
                        _request_id(),
                        qualname(url_func),
                        name,
                        {"view_args": summarize(req.view_args), "error": None},
                    )
        for name in names:
            if name in self.before_request_funcs:
                for before_func in self.before_request_funcs[name]:
                    if not bus.active:
                        rv = self.ensure_sync(before_func)()
                    else:
                        try:
                            rv = self.ensure_sync(before_func)()
                        except Exception as e:
                            bus.emit(
                                BeforeRequest,
                                _request_id(),
                                qualname(before_func),
                                name,
                                {
                                    "returned": None,
                                    "short_circuit": False,
                                    "error": describe_error(e),
                                },
                            )
                            raise
                        bus.emit(
                            BeforeRequest,
                            _request_id(),
                            qualname(before_func),
                            name,
                            {
                                "returned": summarize(rv),
                                "short_circuit": rv is not None,
                                "error": None,
                            },
                        )
                    if rv is not None:
                        return rv
        return None

    def raise_routing_exception(self, request: Request) -> None:
        raise request.routing_exception  # type: ignore[misc]

    def dispatch_request(self) -> Any:
        req = _request_ctx_stack.top.request  # type: ignore[union-attr]
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
        try:
            rv = self.ensure_sync(view)(**view_args)
        except Exception as e:
            bus.emit(
                View,
                _request_id(),
                qualname(view),
                req.blueprint,
                {
                    "endpoint": rule.endpoint,
                    "view_args": summarize(view_args),
                    "returned": None,
                    "error": describe_error(e),
                },
            )
            raise
        bus.emit(
            View,
            _request_id(),
            qualname(view),
            req.blueprint,
            {
                "endpoint": rule.endpoint,
                "view_args": summarize(view_args),
                "returned": summarize(rv),
                "error": None,
            },
        )
        return rv

    def make_default_options_response(self) -> Response:
        adapter = _request_ctx_stack.top.url_adapter  # type: ignore[union-attr]
        methods = adapter.allowed_methods()
        rv = self.response_class()
        rv.allow.update(methods)
        return rv

    # --- errors ------------------------------------------------------------------------------

    def trap_http_exception(self, e: Exception) -> bool:
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_request is None and self.debug and isinstance(e, BadRequestKeyError):
            return True
        if trap_bad_request:
            return isinstance(e, BadRequestKeyError)
        return False

    def _find_error_handler(
        self, e: Exception, blueprints: list[str]
    ) -> Callable[[Exception], Any] | None:
        exc_class, code = self._get_exc_class_and_code(type(e))
        names = (*blueprints, None)
        for c in (code, None) if code is not None else (None,):
            for name in names:
                handler_map = self.error_handler_spec[name][c]
                if not handler_map:
                    continue
                for cls in exc_class.__mro__:
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return handler
        return None

    def handle_http_exception(self, e: HTTPException) -> Any:
        if e.code is None:
            return e
        if isinstance(e, RoutingException):
            return e
        handler = self._find_error_handler(e, _current_request().blueprints)
        self.report_exception(e, handled=True, handler=handler)
        if handler is None:
            return e
        return self._run_error_handler(handler, e)

    def handle_user_exception(self, e: Exception) -> Any:
        if isinstance(e, BadRequestKeyError) and (
            self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]
        ):
            e.show_exception = True
        if isinstance(e, HTTPException) and not self.trap_http_exception(e):
            return self.handle_http_exception(e)
        handler = self._find_error_handler(e, _current_request().blueprints)
        self.report_exception(e, handled=handler is not None, handler=handler)
        if handler is None:
            raise
        return self._run_error_handler(handler, e)

    def _run_error_handler(self, handler: Callable[[Any], Any], e: Exception) -> Any:
        bus = self.events
        if not bus.active:
            return self.ensure_sync(handler)(e)
        try:
            rv = self.ensure_sync(handler)(e)
        except Exception as raised:
            bus.emit(
                ErrorHandler,
                _request_id(),
                qualname(handler),
                _handler_blueprint(self, handler),
                {"error": describe_error(e), "returned": describe_error(raised)},
            )
            raise
        bus.emit(
            ErrorHandler,
            _request_id(),
            qualname(handler),
            _handler_blueprint(self, handler),
            {"error": describe_error(e), "returned": summarize(rv)},
        )
        return rv

    def report_exception(
        self, e: BaseException, handled: bool, handler: Callable[..., Any] | None
    ) -> None:
        """Publish an ``exception`` event (once per error per request context)."""
        bus = self.events
        if not bus.active:
            return
        ctx = _request_ctx_stack.top
        if ctx is not None:
            if getattr(ctx, "_reported_error", None) is e:
                return
            ctx._reported_error = e  # type: ignore[attr-defined]
        is_http = isinstance(e, HTTPException)
        bus.emit(
            ExceptionRaised,
            _request_id(),
            None,
            None,
            {
                "error": describe_error(e),
                "error_type": f"{type(e).__module__}.{type(e).__qualname__}",
                "http_code": e.code if is_http else None,  # type: ignore[attr-defined]
                "handled": handled,
                "handler": qualname(handler) if handler is not None else None,
                "traceback": None if is_http else "".join(traceback.format_exception(e)),
            },
        )

    def handle_exception(self, e: Exception) -> Response:
        """An exception no handler took: ``got_request_exception``, then a 500 (or re-raise)."""
        exc_info = sys.exc_info()
        self.report_exception(e, handled=False, handler=None)
        got_request_exception.send(self, _async_wrapper=self.ensure_sync, exception=e)
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.testing or self.debug
        bus = self.events
        if bus.active:
            bus.emit(
                GotRequestException,
                _request_id(),
                None,
                None,
                {"error": describe_error(e), "propagated": bool(propagate)},
            )
        if propagate:
            if exc_info[1] is e:
                raise
            raise e
        self.log_exception(exc_info)
        server_error: Any = InternalServerError(original_exception=e)
        handler = self._find_error_handler(server_error, _current_request().blueprints)
        if handler is not None:
            server_error = self._run_error_handler(handler, server_error)
        return self.finalize_request(server_error, from_error_handler=True)

    def log_exception(self, exc_info: Any) -> None:
        req = _current_request()
        self.logger.error(f"Exception on {req.path} [{req.method}]", exc_info=exc_info)

    # --- the response ------------------------------------------------------------------------

    def finalize_request(self, rv: Any, from_error_handler: bool = False) -> Response:
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
            request_finished.send(self, _async_wrapper=self.ensure_sync, response=response)
            bus = self.events
            if bus.active:
                bus.emit(
                    RequestFinished,
                    _request_id(),
                    None,
                    None,
                    {
                        "status": response.status_code,
                        "headers": [[k, v] for k, v in response.headers.items()],
                    },
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
                f"The view function for {_current_request().endpoint!r} did not"
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
                        _current_request().environ,  # type: ignore[arg-type]
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
            response = self._run_response_hook(AfterThisRequest, func, None, response)
        for name in chain(ctx.request.blueprints, (None,)):
            if name in self.after_request_funcs:
                for func in reversed(self.after_request_funcs[name]):
                    response = self._run_response_hook(AfterRequest, func, name, response)
        session = ctx._session
        interface = self.session_interface
        if not interface.is_null_session(session):
            interface.save_session(self, session, response)  # type: ignore[arg-type]
            if bus.active:
                self._emit_session_saved(ctx, response)
        return response

    def _run_response_hook(
        self,
        cls: type[AfterRequest] | type[AfterThisRequest],
        func: Callable[[Response], Response],
        blueprint: str | None,
        response: Response,
    ) -> Response:
        bus = self.events
        if not bus.active:
            return self.ensure_sync(func)(response)  # type: ignore[no-any-return]
        try:
            response = self.ensure_sync(func)(response)
        except Exception as e:
            bus.emit(
                cls,
                _request_id(),
                qualname(func),
                blueprint,
                {"status": _status_of(response), "error": describe_error(e)},
            )
            raise
        bus.emit(
            cls,
            _request_id(),
            qualname(func),
            blueprint,
            {"status": _status_of(response), "error": None},
        )
        return response

    def _emit_session_saved(self, ctx: RequestContext, response: Response) -> None:
        session = ctx._session
        name = self.session_interface.get_cookie_name(self)
        set_cookie = None
        for header in response.headers.getlist("Set-Cookie"):
            if header.startswith(f"{name}="):
                set_cookie = header
        deleted = set_cookie is not None and "Max-Age=0" in set_cookie
        self.events.emit(
            SessionSaved,
            ctx.request_id,
            None,
            None,
            {
                "interface": type(self.session_interface).__qualname__,
                "before": ctx.session_before,
                "after": summarize(dict(session)),  # type: ignore[arg-type]
                "accessed": bool(getattr(session, "accessed", False)),
                "modified": bool(getattr(session, "modified", False)),
                "permanent": bool(session.permanent),  # type: ignore[union-attr]
                "set_cookie": set_cookie,
                "deleted": deleted,
            },
        )

    # --- teardown ----------------------------------------------------------------------------

    def do_teardown_request(self, exc: BaseException | None = _sentinel) -> None:
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        ctx = _request_ctx_stack.top
        assert ctx is not None
        bus = self.events
        error = describe_error(exc) if bus.active else None
        for name in chain(ctx.request.blueprints, (None,)):
            if name in self.teardown_request_funcs:
                for func in reversed(self.teardown_request_funcs[name]):
                    self._run_teardown(TeardownRequest, func, name, exc, error, ctx.request_id)
        request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)
        if bus.active:
            bus.emit(RequestTearingDown, ctx.request_id, None, None, {"error": error})

    def do_teardown_appcontext(
        self, exc: BaseException | None = _sentinel, request_id: int | None = None
    ) -> None:
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        bus = self.events
        error = describe_error(exc) if bus.active else None
        for func in reversed(self.teardown_appcontext_funcs):
            self._run_teardown(TeardownAppcontext, func, None, exc, error, request_id)
        appcontext_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)
        if bus.active:
            bus.emit(AppcontextTearingDown, request_id, None, None, {"error": error})

    def _run_teardown(
        self,
        cls: type[TeardownRequest] | type[TeardownAppcontext],
        func: Callable[[BaseException | None], Any],
        blueprint: str | None,
        exc: BaseException | None,
        error: str | None,
        request_id: int | None,
    ) -> None:
        bus = self.events
        if not bus.active:
            self.ensure_sync(func)(exc)
            return
        try:
            self.ensure_sync(func)(exc)
        except Exception as raised:
            bus.emit(
                cls,
                request_id,
                qualname(func),
                blueprint,
                {"error": error, "raised": describe_error(raised)},
            )
            raise
        bus.emit(cls, request_id, qualname(func), blueprint, {"error": error, "raised": None})

    # --- helpers used by views ---------------------------------------------------------------

    def redirect(self, location: str, code: int = 302) -> BaseResponse:
        from werkzeug.utils import redirect as _redirect

        return _redirect(location, code=code, Response=self.response_class)

    def url_for(
        self,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        ctx = _request_ctx_stack.top
        if ctx is not None and ctx.app is self:
            url_adapter = ctx.url_adapter
            blueprint_name = ctx.request.blueprint
            if endpoint[:1] == ".":
                endpoint = f"{blueprint_name}{endpoint}" if blueprint_name else endpoint[1:]
            if _external is None:
                _external = _scheme is not None
        else:
            url_adapter = self.create_url_adapter(None)
            if url_adapter is None:
                raise RuntimeError(
                    "Unable to build URLs outside an active request"
                    " without 'SERVER_NAME' configured. Also configure"
                    " 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME' as"
                    " needed."
                )
            if _external is None:
                _external = True
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        names: tuple[str | None, ...] = (None,)
        if "." in endpoint:
            names = (None, *reversed(_split_names(endpoint.rpartition(".")[0])))
        for name in names:
            for func in self.url_default_functions.get(name, ()):
                func(endpoint, values)
        rv = url_adapter.build(  # type: ignore[union-attr]
            endpoint, values, method=_method, url_scheme=_scheme, force_external=_external
        )
        if _anchor is not None:
            from urllib.parse import quote

            safe = "%!#$&'()*+,/:;=?@"
            rv = f"{rv}#{quote(_anchor, safe=safe)}"
        return rv  # type: ignore[no-any-return]

    def iter_routes(self) -> list[Rule]:
        """The URL rules, sorted by path, for route listings and completion."""
        return sorted(self.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def _split_names(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))][::-1]


def _current_request() -> Request:
    ctx = _request_ctx_stack.top
    assert ctx is not None, "no request context"
    return ctx.request


def _request_id() -> int | None:
    ctx = _request_ctx_stack.top
    return ctx.request_id if ctx is not None else None


def _handler_blueprint(app: App, handler: Callable[..., Any]) -> str | None:
    for name, by_code in app.error_handler_spec.items():
        for handlers in by_code.values():
            if handler in handlers.values():
                return name
    return None
