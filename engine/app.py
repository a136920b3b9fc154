"""The application object: configuration, registration, contexts, URL building.

Running a request lives in ``lifecycle.py`` (``Lifecycle``) and handling its errors in
``errors.py`` (``ErrorHandling``); ``App`` combines them with the registration API shared with
blueprints (``scaffold.py``). The public surface is Flask's.
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from types import FunctionType
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import (
    Aborter,
)
from werkzeug.routing import Map, MapAdapter, Rule
from werkzeug.wrappers import Response as BaseResponse
from werkzeug.wsgi import get_host

from .blueprints import Blueprint
from .bus import EventBus, Subscription
from .config import DEFAULT_CONFIG, Config
from .ctx import AppContext, RequestContext, _AppCtxGlobals
from .errors import ErrorHandling
from .events import (
    Event,
)
from .fastpaths import bind_request, speed_up
from .globals import _depth_by_ident, _request_ctx_stack
from .jsonprovider import JSONProvider
from .lifecycle import Lifecycle
from .scaffold import Scaffold, endpoint_from_view_func
from .sessions import SecureCookieSessionInterface, SessionInterface
from .wrappers import Request, Response

if TYPE_CHECKING:
    from .testing import EngineClient

if TYPE_CHECKING:
    pass

__all__ = ["App"]


_sentinel: Any = object()


class App(Scaffold, Lifecycle, ErrorHandling):
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
        speed_up(self.url_map._matcher)  # the same URL matching, cheaper per request
        self.subdomain_matching = False  # as Flask's default
        self.blueprints: dict[str, Blueprint] = {}  # dotted name -> blueprint
        self.teardown_appcontext_funcs: list[Callable[..., Any]] = []  # run on app ctx pop
        self.session_interface: SessionInterface = SecureCookieSessionInterface()  # cookies
        self.json = self.json_provider_class(self)  # dumps/loads/response
        self.aborter = Aborter()  # raises HTTPExceptions by code
        self.extensions: dict[str, Any] = {}  # for extensions, as in Flask
        self.logger = logging.getLogger(import_name)  # where unhandled errors are logged
        self.events = EventBus(_depth_by_ident)  # every step, to subscribers and breakpoints
        self.breakpoints = self.events.breakpoints  # pause points, driven by the window
        self._sync_functions: set[Callable[..., Any]] = set()  # known not to be coroutines

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
        plain = type(func) is FunctionType
        if plain and func in self._sync_functions:
            return func
        if inspect.iscoroutinefunction(func):
            return self.async_to_sync(func)
        if plain:
            # Every hook passes here on every request; asking inspect once per function is
            # enough (a plain function's code flags do not change).
            if len(self._sync_functions) > 4096:
                self._sync_functions.clear()
            self._sync_functions.add(func)
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
        from .testing import EnvironBuilder

        builder = EnvironBuilder(self, *args, **kwargs)
        try:
            return self.request_context(builder.get_environ())
        finally:
            builder.close()

    def test_client(self, use_cookies: bool = True, **kwargs: Any) -> EngineClient:
        """A test client with Flask's extras (``session_transaction``, ``with client:``)."""
        from .testing import EngineClient

        return EngineClient(self, self.response_class, use_cookies=use_cookies, **kwargs)

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        threaded: bool = True,
    ) -> None:
        """Serve the app until Ctrl+C, as ``flask run`` would (127.0.0.1:5000 by default)."""
        from .serving import Server

        if debug is not None:
            self.debug = bool(debug)
        server = Server(
            self, host=host or "127.0.0.1", port=5000 if port is None else port, threaded=threaded
        )
        print(f" * Serving '{self.name}' on {server.url} (ctxscope engine); Ctrl+C to quit")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        if request is not None:
            if (trusted_hosts := self.config["TRUSTED_HOSTS"]) is not None:
                request.trusted_hosts = trusted_hosts
            host = get_host(request.environ, request.trusted_hosts)
            request.host = host  # type: ignore[misc]
            subdomain = None
            server_name = self.config["SERVER_NAME"]
            url_map = self.url_map
            if url_map.host_matching:
                server_name = None
            elif not self.subdomain_matching:
                subdomain = url_map.default_subdomain or ""
            if server_name is None:
                # Everything bind_to_environ would work out again follows from the host just
                # validated; it builds the same adapter (or None: Werkzeug's path decides).
                adapter = bind_request(url_map, request.environ, host, subdomain)
                if adapter is not None:
                    return adapter
            return url_map.bind_to_environ(
                request.environ, server_name=server_name, subdomain=subdomain
            )
        if self.config["SERVER_NAME"] is not None:
            return self.url_map.bind(
                self.config["SERVER_NAME"],
                script_name=self.config["APPLICATION_ROOT"],
                url_scheme=self.config["PREFERRED_URL_SCHEME"],
            )
        return None

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
