"""``FlaskAdapter``: a real ``flask.Flask`` app with the engine app's observation surface.

Attaching instruments the app without changing what it does (responses stay byte-identical):
Flask's blinker signals are received, the hook functions are wrapped where Flask keeps them
(``hooks``), the session interface is wrapped (``sessions``), and the request contexts the app
creates report their pushes and pops (``contexts``). Three bound methods are shadowed on the
instance and call the originals: ``request_context`` (to instrument each context),
``handle_user_exception`` and ``handle_http_exception`` (to report which error handler, if
any, Flask is about to pick, before it runs). ``detach()`` undoes all of it.

Every step is published on ``adapter.events``, an ``engine.bus.EventBus``, with the engine's
event kinds and fields, so ``trace``, ``serve``, the window and captures work unchanged.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from functools import update_wrapper
from typing import Any

from ..bus import EventBus, Subscription
from ..events import (
    AppcontextTearingDown,
    AppCtxPopped,
    AppCtxPushed,
    Event,
    ExceptionRaised,
    GotRequestException,
    LocalReleased,
    LocalSet,
    RequestFinished,
    RequestStarted,
    RequestTearingDown,
)
from ..summary import describe_error, qualname
from . import contexts, hooks
from .locals import APP_STACK, ReconstructedStacks, app_frame, refresh_app, refresh_request
from .locals import register as register_stacks
from .sessions import ObservedSessionInterface, is_signed_cookie_interface

__all__ = ["EXTENSION_KEY", "FlaskAdapter"]

log = logging.getLogger("ctxscope")

EXTENSION_KEY = "ctxscope"
"""Where the adapter is kept in ``flask_app.extensions`` (one adapter per app)."""

_AUTO: Any = object()


class _ThreadState(threading.local):
    """What a thread is in the middle of, for steps reported later on the same thread."""

    pushing: Any = None  # the request context whose push() is running
    pending_push: Any = None  # pushed request context not yet on the reconstructed stack
    pending_pop: tuple[Any, BaseException | None] | None = None  # (ctx, its error) being popped
    null_pending: Any = None  # context whose open_session returned None (null session next)


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
        self._state = _ThreadState()  # per-thread bookkeeping between two reported steps
        self._ctx_classes: dict[type, type] = {}  # context class -> its reporting subclass
        self._shadowed: list[str] = []  # instance attributes set on the Flask app, for detach
        self._receivers: list[tuple[Any, Callable[..., Any]]] = []  # (signal, receiver)
        self._scan_pending = True  # hooks may still be registered (no request served yet)
        self._failed_once = False  # an internal error was logged; later ones are not
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
        if contexts.supported():
            self._shadow("request_context", self._wrap_request_context)
        else:
            log.warning("ctxscope: unknown Flask context layout; request contexts not shown")
        self._shadow("handle_user_exception", self._wrap_handle_user_exception)
        self._shadow("handle_http_exception", self._wrap_handle_http_exception)
        self._check_session_interface()
        hooks.wrap_all(self)
        import flask.signals as fs

        for signal, receiver in (
            (fs.appcontext_pushed, self._on_appcontext_pushed),
            (fs.request_started, self._on_request_started),
            (fs.got_request_exception, self._on_got_request_exception),
            (fs.request_finished, self._on_request_finished),
            (fs.request_tearing_down, self._on_request_tearing_down),
            (fs.appcontext_tearing_down, self._on_appcontext_tearing_down),
            (fs.appcontext_popped, self._on_appcontext_popped),
        ):
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
            self.flask_app.session_interface = ObservedSessionInterface(interface, self)

    def _maybe_scan(self) -> None:
        if self._scan_pending:
            hooks.wrap_all(self)
            # Flask sets _got_first_request before request_started: after this scan, no more
            # setup methods can run.
            if getattr(self.flask_app, "_got_first_request", False):
                self._scan_pending = False

    # --- emitting -------------------------------------------------------------------------

    def emit(
        self,
        cls: type[Event],
        name: str | None,
        blueprint: str | None,
        fields: dict[str, Any],
        request_id: Any = _AUTO,
        refresh: bool = False,
    ) -> None:
        """Publish one event; with ``refresh``, first re-read this thread's ``g`` and session.

        Only user code changes ``g`` and the session, so the hooks, the view and the session
        steps refresh the reconstructed contexts, once somebody reads them (``snapshot()``;
        ``trace`` and ``serve`` never do); a held thread (breakpoints armed) refreshes at every
        step, so a paused request always shows what it holds right now.
        """
        try:
            events = self.events
            stacks = self.stacks.frames(self.stacks.ident())
            rid = None
            if stacks is not None:
                refresh = (refresh and self.stacks.read) or events.breakpoints.armed
                req = stacks["request"]
                if req:
                    rid = req[-1].request_id
                    if refresh:
                        refresh_request(req[-1])
                app = stacks["app"]
                if app:
                    if refresh:
                        refresh_app(app[-1])
                    if rid is None:
                        rid = app[-1].request_id
            if request_id is not _AUTO:
                rid = request_id
            events.emit(cls, rid, name, blueprint, fields)
        except Exception:
            # Observing must never break the request it observes.
            if not self._failed_once:
                self._failed_once = True
                log.exception(
                    "ctxscope: reporting a %s step failed; further errors hidden", cls.kind
                )

    def flush_push(self, ctx: Any) -> None:
        contexts.flush_push(self, ctx)

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
        self.emit(
            ExceptionRaised,
            None,
            None,
            {
                "error": describe_error(e),
                "error_type": f"{type(e).__module__}.{type(e).__qualname__}",
                "http_code": getattr(e, "code", None) if is_http else None,
                "handled": handled,
                "handler": qualname(getattr(handler, "__wrapped__", handler))
                if handler is not None
                else None,
                "traceback": None if is_http else "".join(traceback.format_exception(e)),
            },
        )

    # --- shadowed methods -----------------------------------------------------------------

    def _wrap_request_context(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def request_context(environ: Any) -> Any:
            return contexts.instrument(self, original(environ))

        return request_context

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

    def _on_appcontext_pushed(self, sender: Any, **extra: Any) -> None:
        self._maybe_scan()
        import flask.globals

        ctx = flask.globals._cv_app.get(None)
        pushing = self._state.pushing
        if pushing is not None:
            rid = pushing._ctxscope_rid
            try:
                # Remembered on the context: stream_with_context pushes it again later.
                ctx._ctxscope_rid = rid
            except AttributeError:
                pass
        else:
            rid = getattr(ctx, "_ctxscope_rid", None)
        stacks = self.stacks
        ident = stacks.ident()
        new = stacks.push(ident, "app", app_frame(ctx, self.name, rid))
        if self.events.active:
            self.emit(
                LocalSet,
                "stack",
                None,
                {"local": APP_STACK, "ident": ident, "value": [f.label for f in new]},
                request_id=rid,
            )
            self.emit(AppCtxPushed, None, None, {"app": self.name}, request_id=rid)

    def _on_request_started(self, sender: Any, **extra: Any) -> None:
        self._maybe_scan()
        if self.events.active:
            self.emit(RequestStarted, None, None, {})

    def _on_got_request_exception(
        self, sender: Any, exception: BaseException, **extra: Any
    ) -> None:
        if not self.events.active:
            return
        self.report_exception(exception, handled=False, handler=None)
        app = self.flask_app
        propagate = app.config.get("PROPAGATE_EXCEPTIONS")
        if propagate is None:
            propagate = app.testing or app.debug
        self.emit(
            GotRequestException,
            None,
            None,
            {"error": describe_error(exception), "propagated": bool(propagate)},
        )

    def _on_request_finished(self, sender: Any, response: Any, **extra: Any) -> None:
        if self.events.active:
            self.emit(
                RequestFinished,
                None,
                None,
                {
                    "status": response.status_code,
                    "headers": [[k, v] for k, v in response.headers.items()],
                },
            )

    def _on_request_tearing_down(
        self, sender: Any, exc: BaseException | None = None, **extra: Any
    ) -> None:
        if self.events.active:
            self.emit(RequestTearingDown, None, None, {"error": describe_error(exc)})

    def _on_appcontext_tearing_down(
        self, sender: Any, exc: BaseException | None = None, **extra: Any
    ) -> None:
        contexts.flush_pop(self)
        top = self.stacks.top(self.stacks.ident(), "app")
        error = describe_error(exc)
        if top is not None:
            top.error = error
        if self.events.active:
            self.emit(AppcontextTearingDown, None, None, {"error": error})

    def _on_appcontext_popped(self, sender: Any, **extra: Any) -> None:
        contexts.flush_pop(self)
        stacks = self.stacks
        ident = stacks.ident()
        top = stacks.top(ident, "app")
        if top is None:
            return  # pushed before attaching
        frame, rest = stacks.pop(ident, "app", top.ctx)
        if frame is None or not self.events.active:
            return
        rid = frame.request_id
        if rest:
            self.emit(
                LocalSet,
                "stack",
                None,
                {"local": APP_STACK, "ident": ident, "value": [f.label for f in rest]},
                request_id=rid,
            )
        else:
            self.emit(
                LocalReleased, None, None, {"local": APP_STACK, "ident": ident}, request_id=rid
            )
        self.emit(
            AppCtxPopped, None, None, {"app": self.name, "error": frame.error}, request_id=rid
        )
