"""``FlaskAdapter``: a real ``flask.Flask`` app with the engine app's observation surface.

Attaching instruments the app without changing what it does (responses stay byte-identical):
the hook functions are wrapped where Flask keeps them (``hooks``), the session interface is
wrapped (``sessions``), and the request and app contexts the app creates report their pushes and
pops (``contexts``). Bound methods are shadowed on the instance and call the originals:
- ``request_context`` and ``app_context``, to make each context of a reporting subclass;
- ``full_dispatch_request`` (``request_started`` is sent first thing in it),
  ``finalize_request`` and ``process_response`` (``request_finished`` is sent right after
  ``process_response`` returns; the ``after_this_request`` functions are wrapped before it
  runs), ``do_teardown_request`` and ``do_teardown_appcontext`` (their signals are sent last
  thing in them): each step is reported where Flask sends its signal. Receiving the signals
  instead would cost a blinker dispatch each on every request, watched or not; only
  ``got_request_exception``, sent on failures alone, is received;
- ``ensure_sync``, which Flask asks of every hook and view at every call: ctxscope's wrappers
  are answered without inspecting them;
- ``handle_user_exception`` and ``handle_http_exception``, to report which error handler, if
  any, Flask is about to pick, before it runs.
``detach()`` undoes all of it.

Every step is published on ``adapter.events``, an ``engine.bus.EventBus``, with the engine's
event kinds and fields, so ``trace``, ``serve``, the window and captures work unchanged. The
contexts are tracked at every step; the events' fields are gathered only while ``events.active``.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from functools import update_wrapper
from typing import Any

from ..bus import EventBus, Subscription
from ..events import (
    AppcontextTearingDown,
    Event,
    ExceptionRaised,
    GotRequestException,
    RequestFinished,
    RequestStarted,
    RequestTearingDown,
)
from ..summary import describe_error, qualname
from . import contexts, hooks
from .locals import ReconstructedStacks, refresh_app, refresh_request
from .locals import register as register_stacks
from .sessions import ObservedSessionInterface, header_items, is_signed_cookie_interface

__all__ = ["EXTENSION_KEY", "FlaskAdapter"]

log = logging.getLogger("ctxscope")

EXTENSION_KEY = "ctxscope"
"""Where the adapter is kept in ``flask_app.extensions`` (one adapter per app)."""

_AUTO: Any = object()
_NO_ERROR = (None,)  # the fields of a step without error: shared, not made for each event


class FlaskAdapter:
    """An attached Flask app: ``subscribe``, ``events``, ``breakpoints``, WSGI, and the rest.

    Attributes not defined here are read from the Flask app (``app_context()``,
    ``test_request_context()``, ``view_functions``...).
    """

    locals_reconstructed = True
    """The context stacks are rebuilt from reported steps; Flask's ContextVars cannot be read."""

    def __init__(self, flask_app: Any) -> None:
        self.flask_app = flask_app  # the user's Flask instance, behaving as before
        self.stacks = ReconstructedStacks()  # per-thread contexts, as reported
        self.events = EventBus(self.stacks.depth_by_ident)  # every step, to subscribers
        self.events.ident = self.stacks.ident  # the same ident function for events and stacks
        self.breakpoints = self.events.breakpoints  # pause points, driven by the window
        # Read on every reported step, kept here to save the lookups. ``events.emit`` is not:
        # the bus may replace it when subscribers come and go, so it is read at each step.
        self._breakpoints = self.events.breakpoints  # armed: a held thread refreshes its view
        self._ident = self.stacks.ident  # the ident of the running thread
        self._rids = self.stacks.rid_by_ident  # the request each thread's next step belongs to
        self._session_wrapper: Any = None  # the ObservedSessionInterface currently installed
        self._ctx_classes: dict[type, type] = {}  # context class -> its reporting subclass
        self._shadowed: list[str] = []  # instance attributes set on the Flask app, for detach
        self._receivers: list[tuple[Any, Callable[..., Any]]] = []  # (signal, receiver)
        self._scan_pending = True  # hooks may still be registered (no request served yet)
        self._failed_once = False  # an internal error was logged; later ones are not
        import flask

        # Flask's own __call__ only calls wsgi_app: the adapter may call that directly.
        self._own_call = type(flask_app).__call__ is flask.Flask.__call__
        self._attach()

    # --- the engine app's surface ---------------------------------------------------------

    @property
    def name(self) -> str:
        return str(self.flask_app.name)

    @property
    def import_name(self) -> str:
        return str(self.flask_app.import_name)

    @property
    def config(self) -> Any:
        return self.flask_app.config

    @property
    def url_map(self) -> Any:
        return self.flask_app.url_map

    @property
    def secret_key(self) -> Any:
        return self.flask_app.secret_key

    @secret_key.setter
    def secret_key(self, value: Any) -> None:
        self.flask_app.secret_key = value

    @property
    def session_interface(self) -> Any:
        """The user's own session interface (ctxscope's wrapper stays out of sight)."""
        interface = self.flask_app.session_interface
        return getattr(interface, "_ctxscope_inner", interface)

    @property
    def signed_cookie_sessions(self) -> bool:
        """Sessions are Flask signed cookies: the workbench may decode them with the keys."""
        return is_signed_cookie_interface(self.session_interface)

    @property
    def wsgi_app(self) -> Any:
        return self.flask_app.wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self._own_call:
            # What Flask.__call__ does, one call fewer; wsgi_app read now (middleware may have
            # wrapped it since).
            return self.flask_app.wsgi_app(environ, start_response)
        return self.flask_app(environ, start_response)

    def subscribe(self, callback: Callable[[Event], object]) -> Subscription:
        """Call ``callback(event)`` for every step, on the thread where it happened."""
        return self.events.subscribe(callback)

    def iter_routes(self) -> list[Any]:
        """The URL rules, sorted by path, for route listings and completion."""
        return sorted(self.flask_app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))

    def test_client(self, *args: Any, **kwargs: Any) -> Any:
        return self.flask_app.test_client(*args, **kwargs)

    def snapshot(self) -> dict[int, dict[str, list[Any]]]:
        """``{ident: {"app": [...], "request": [...]}}`` as ``engine.globals.snapshot()``."""
        return self.stacks.snapshot()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "flask_app":
            raise AttributeError(name)
        return getattr(self.flask_app, name)

    def __repr__(self) -> str:
        return f"<FlaskAdapter {self.name!r}>"

    # --- attaching ------------------------------------------------------------------------

    def _attach(self) -> None:
        app = self.flask_app
        app.extensions[EXTENSION_KEY] = self
        register_stacks(self.stacks)
        contexts.load_flask_internals()
        supported = contexts.supported()
        if supported:
            self._shadow("request_context", self._wrap_request_context)
        else:
            log.warning("ctxscope: unknown Flask context layout; request contexts not shown")
        self._shadow("app_context", self._wrap_app_context)
        self._shadow("ensure_sync", self._wrap_ensure_sync)
        self._shadow("full_dispatch_request", self._wrap_full_dispatch_request)
        if supported:
            # request_finished is reported from the request context's finalize_request mark.
            self._shadow("finalize_request", self._wrap_finalize_request)
        self._shadow("process_response", self._wrap_process_response)
        self._shadow("do_teardown_request", self._wrap_do_teardown_request)
        self._shadow("do_teardown_appcontext", self._wrap_do_teardown_appcontext)
        self._shadow("handle_user_exception", self._wrap_handle_user_exception)
        self._shadow("handle_http_exception", self._wrap_handle_http_exception)
        self._check_session_interface()
        hooks.wrap_all(self)
        import flask.signals as fs

        # Sent only when a request fails: receiving it costs nothing on the usual path.
        receivers = [(fs.got_request_exception, self._receive_got_request_exception())]
        if not supported:
            receivers.append((fs.request_finished, self._receive_request_finished()))
        for signal, receiver in receivers:
            signal.connect(receiver, sender=app, weak=False)
            self._receivers.append((signal, receiver))

    def _shadow(self, attr: str, make: Callable[[Any], Callable[..., Any]]) -> None:
        original = getattr(self.flask_app, attr)
        wrapper = make(original)
        update_wrapper(wrapper, original)
        setattr(self.flask_app, attr, wrapper)
        self._shadowed.append(attr)

    def detach(self) -> None:
        """Undo the instrumentation; contexts already created keep reporting until popped."""
        app = self.flask_app
        for signal, receiver in self._receivers:
            signal.disconnect(receiver, sender=app)
        self._receivers.clear()
        for attr in self._shadowed:
            app.__dict__.pop(attr, None)
        self._shadowed.clear()
        interface = app.session_interface
        app.session_interface = getattr(interface, "_ctxscope_inner", interface)
        hooks.unwrap_all(self)
        if app.extensions.get(EXTENSION_KEY) is self:
            del app.extensions[EXTENSION_KEY]

    def _check_session_interface(self) -> None:
        # Extensions such as Flask-Session replace the interface at init; wrap the current one.
        interface = self.flask_app.session_interface
        if type(interface) is not ObservedSessionInterface:
            interface = ObservedSessionInterface(interface, self)
            self.flask_app.session_interface = interface
        self._session_wrapper = interface

    def _maybe_scan(self) -> None:
        if self._scan_pending:
            hooks.wrap_all(self)
            # Flask sets _got_first_request before request_started: after this scan, no more
            # setup methods can run.
            if getattr(self.flask_app, "_got_first_request", False):
                self._scan_pending = False

    # --- emitting -------------------------------------------------------------------------

    def publish(
        self,
        cls: type[Event],
        rid: int | None,
        name: object,
        blueprint: str | None,
        extras: tuple[Any, ...] | dict[str, Any],
        user_step: bool = False,
    ) -> None:
        """Publish one event of request ``rid`` (callers check ``events.active`` first).

        ``extras`` are the kind's own fields in declaration order, immutable snapshots (see
        ``EventBus.emit``). Only user code changes ``g`` and the session, so after a
        ``user_step`` (hooks, the view, the session steps) the reconstructed contexts are
        re-read, once somebody reads them (``snapshot()``; ``trace`` and ``serve`` never do); a
        held thread (breakpoints armed) refreshes at every step, so a paused request always
        shows what it holds right now.
        """
        try:
            if self._breakpoints.armed or (user_step and self.stacks.read):
                self._refresh()
            self.events.emit(cls, rid, name, blueprint, extras)
        except Exception:
            self.internal_error(cls)

    def step(
        self,
        cls: type[Event],
        name: object,
        blueprint: str | None,
        extras: tuple[Any, ...] | dict[str, Any],
        user_step: bool = True,
    ) -> None:
        """``publish`` for this thread's current request (hooks, signals, teardown steps)."""
        try:
            if self._breakpoints.armed or (user_step and self.stacks.read):
                self._refresh()
            self.events.emit(cls, self._rids.get(self._ident()), name, blueprint, extras)
        except Exception:
            self.internal_error(cls)

    def current_rid(self) -> int | None:
        """The request this thread's next step belongs to (None outside requests)."""
        return self._rids.get(self._ident())

    def emit(
        self,
        cls: type[Event],
        name: str | None,
        blueprint: str | None,
        fields: tuple[Any, ...] | dict[str, Any],
        request_id: Any = _AUTO,
        refresh: bool = False,
    ) -> None:
        """Publish one event of this thread's current request (or of ``request_id``)."""
        rid = self.current_rid() if request_id is _AUTO else request_id
        self.publish(cls, rid, name, blueprint, fields, refresh)

    def _refresh(self) -> None:
        # Re-read g and the session of this thread's innermost contexts, on this thread.
        frames = self.stacks.frames(self._ident())
        if frames is None:
            return
        app, req = frames
        if req:
            refresh_request(req[-1])
        if app:
            refresh_app(app[-1])

    def internal_error(self, cls: type[Event]) -> None:
        """Log a failure to report a step, once: observing must never break the request."""
        if not self._failed_once:
            self._failed_once = True
            log.exception("ctxscope: reporting a %s step failed; further errors hidden", cls.kind)

    def current_request_context(self) -> Any:
        ctx = contexts._cv_request.get(None) if contexts._cv_request is not None else None
        if ctx is None or getattr(ctx, "app", None) is not self.flask_app:
            return None
        return ctx

    def report_exception(self, e: BaseException, handled: bool, handler: Any) -> None:
        ctx = self.current_request_context()
        if ctx is not None:
            if ctx.__dict__.get("_ctxscope_reported") is e:
                return
            ctx._ctxscope_reported = e
        from werkzeug.exceptions import HTTPException

        is_http = isinstance(e, HTTPException)
        self.step(
            ExceptionRaised,
            None,
            None,
            (
                describe_error(e),
                f"{type(e).__module__}.{type(e).__qualname__}",
                getattr(e, "code", None) if is_http else None,
                handled,
                qualname(getattr(handler, "__wrapped__", handler)) if handler is not None else None,
                None if is_http else "".join(traceback.format_exception(e)),
            ),
            False,
        )

    # --- shadowed methods -----------------------------------------------------------------

    def _wrap_request_context(self, original: Callable[..., Any]) -> Callable[..., Any]:
        import flask.ctx

        app = self.flask_app
        instrument = contexts.instrument
        new_id = contexts.new_request_id  # itertools.count's __next__: a C call
        if _is_flask_method(original, app, "request_context"):
            # Flask's own method only does RequestContext(app, environ): build the reporting
            # subclass directly. Switching an instance's class afterwards costs more than the
            # call, and slows down every attribute read of the context for the whole request.
            cls = contexts.context_class(self, flask.ctx.RequestContext)

            def request_context(environ: Any) -> Any:
                ctx = cls(app, environ)
                ctx._ctxscope_rid = new_id()
                return ctx

            return request_context

        def request_context_any(environ: Any) -> Any:
            return instrument(self, original(environ))

        return request_context_any

    def _wrap_app_context(self, original: Callable[..., Any]) -> Callable[..., Any]:
        import flask.ctx

        app = self.flask_app
        instrument = contexts.instrument_app_context
        if _is_flask_method(original, app, "app_context"):
            cls = contexts.app_context_class(self, flask.ctx.AppContext)  # as request_context

            def app_context() -> Any:
                return cls(app)

            return app_context

        def app_context_any() -> Any:
            return instrument(self, original())

        return app_context_any

    def _wrap_ensure_sync(self, original: Callable[..., Any]) -> Callable[..., Any]:
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

    def _wrap_full_dispatch_request(self, original: Callable[..., Any]) -> Callable[..., Any]:
        bus = self.events
        breakpoints = self._breakpoints
        rids = self._rids
        ident = self._ident

        def full_dispatch_request() -> Any:
            # Flask sends request_started first thing in here: the step is reported there.
            if self._scan_pending:
                self._maybe_scan()
            if bus.active:
                try:
                    if breakpoints.armed:
                        self._refresh()
                    bus.emit(RequestStarted, rids.get(ident()), None, None, ())
                except Exception:
                    self.internal_error(RequestStarted)
            return original()

        return full_dispatch_request

    def _wrap_finalize_request(self, original: Callable[..., Any]) -> Callable[..., Any]:
        cv_request = contexts._cv_request

        def finalize_request(*args: Any, **kwargs: Any) -> Any:
            # Flask sends request_finished in here, right after process_response returns:
            # marked on the request context, which process_response reads anyway.
            ctx = cv_request.get(None)
            if getattr(ctx, "_ctxscope_adapter", None) is not self:
                return original(*args, **kwargs)
            saved = ctx._ctxscope_finalizing
            ctx._ctxscope_finalizing = True
            try:
                return original(*args, **kwargs)
            finally:
                ctx._ctxscope_finalizing = saved

        return finalize_request

    def _wrap_process_response(self, original: Callable[..., Any]) -> Callable[..., Any]:
        cv_request = contexts._cv_request
        wrap = hooks.wrap_after_this_request
        bus = self.events
        breakpoints = self._breakpoints
        rids = self._rids
        ident = self._ident

        def process_response(response: Any) -> Any:
            # Flask runs the after_this_request functions first in here: wrap the ones the
            # request registered, wherever it did.
            ctx = cv_request.get(None) if cv_request is not None else None
            if getattr(ctx, "_after_request_functions", None):
                wrap(self, ctx)
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
                        self._refresh()
                    bus.emit(RequestFinished, rids.get(ident()), None, None, extras)
                except Exception:
                    self.internal_error(RequestFinished)
            return response

        return process_response

    def _request_finished(self, response: Any) -> None:
        try:
            # (name, value) tuples: a snapshot as it is; the event lists them when read.
            headers = tuple(header_items(response.headers))
            status = response.status_code
        except Exception:
            self.internal_error(RequestFinished)
            return
        self.step(RequestFinished, None, None, (status, headers), False)

    def _wrap_do_teardown_request(self, original: Callable[..., Any]) -> Callable[..., Any]:
        bus = self.events
        breakpoints = self._breakpoints
        rids = self._rids
        ident = self._ident

        def do_teardown_request(*args: Any, **kwargs: Any) -> None:
            original(*args, **kwargs)
            # Flask sent request_tearing_down last thing in there.
            if bus.active:
                try:
                    # RequestContext.pop passes the error it resolved, positionally.
                    exc = args[0] if len(args) == 1 and not kwargs else _AUTO
                    if exc is not None and not isinstance(exc, BaseException):
                        exc = _resolve_exc(args, kwargs)
                    extras = _NO_ERROR if exc is None else (describe_error(exc),)
                    if breakpoints.armed:
                        self._refresh()
                    bus.emit(RequestTearingDown, rids.get(ident()), None, None, extras)
                except Exception:
                    self.internal_error(RequestTearingDown)

        return do_teardown_request

    def _wrap_do_teardown_appcontext(self, original: Callable[..., Any]) -> Callable[..., Any]:
        bus = self.events
        breakpoints = self._breakpoints
        stacks = self.stacks
        rids = self._rids
        ident = self._ident
        cv_app = contexts._cv_app
        flush_pop = contexts.flush_pop

        def do_teardown_appcontext(*args: Any, **kwargs: Any) -> None:
            # The request context (if any) was reset just before: report its pop first (it
            # told its implicit app context, the one tearing down now).
            ctx = cv_app.get(None) if cv_app is not None else None
            request_ctx = getattr(ctx, "_ctxscope_after", None)
            if request_ctx is not None:
                ctx._ctxscope_after = None
                flush_pop(self, request_ctx)
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
                        self._refresh()
                    extras = _NO_ERROR if error is None else (error,)
                    bus.emit(AppcontextTearingDown, rids.get(ident()), None, None, extras)
                except Exception:
                    self.internal_error(AppcontextTearingDown)

        return do_teardown_appcontext

    def _wrap_handle_user_exception(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def handle_user_exception(e: Exception) -> Any:
            if self.events.active:
                self._before_handling(e, http=False)
            return original(e)

        return handle_user_exception

    def _wrap_handle_http_exception(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def handle_http_exception(e: Any) -> Any:
            if self.events.active:
                self._before_handling(e, http=True)
            return original(e)

        return handle_http_exception

    def _before_handling(self, e: Exception, http: bool) -> None:
        # Which handler Flask is about to choose, found by Flask's own lookup (no side effects).
        try:
            from werkzeug.exceptions import HTTPException
            from werkzeug.routing import RoutingException

            app = self.flask_app
            if not http and isinstance(e, HTTPException) and not app.trap_http_exception(e):
                return  # handle_http_exception reports it
            if http and (e.code is None or isinstance(e, RoutingException)):  # type: ignore[attr-defined]
                return  # passed through as the response, as Flask does; never handled
            ctx = self.current_request_context()
            blueprints = ctx.request.blueprints if ctx is not None else []
            handler = app._find_error_handler(e, blueprints)
            self.report_exception(e, handled=http or handler is not None, handler=handler)
        except Exception:
            if not self._failed_once:
                self._failed_once = True
                log.exception("ctxscope: reporting an exception failed; further errors hidden")

    # --- signal receivers (sender is the app; they run on the request's thread) -------------
    # Plain functions rather than bound methods: blinker inspects each receiver at every send,
    # and a function is the quickest to inspect.

    def _receive_got_request_exception(self) -> Callable[..., None]:
        def on_got_request_exception(sender: Any, exception: BaseException, **extra: Any) -> None:
            if not self.events.active:
                return
            self.report_exception(exception, handled=False, handler=None)
            app = self.flask_app
            propagate = app.config.get("PROPAGATE_EXCEPTIONS")
            if propagate is None:
                propagate = app.testing or app.debug
            error = describe_error(exception)
            self.step(GotRequestException, None, None, (error, bool(propagate)), False)

        return on_got_request_exception

    def _receive_request_finished(self) -> Callable[..., None]:
        # Only without instrumented request contexts (an unknown Flask layout).
        def on_request_finished(sender: Any, response: Any, **extra: Any) -> None:
            if self.events.active:
                self._request_finished(response)

        return on_request_finished


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
