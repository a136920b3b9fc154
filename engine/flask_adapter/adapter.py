"""``FlaskAdapter``: a real ``flask.Flask`` app with the engine app's observation surface.

Attaching instruments the app without changing what it does (responses stay byte-identical):
the hook functions are wrapped where Flask keeps them (``hooks``), the session interface is
wrapped (``sessions``), and the request and app contexts the app creates report their pushes and
pops (``contexts``). Bound methods are shadowed on the instance and call the originals
(``shadows``): the contexts' factories, ``ensure_sync``, the error handling, and the request's
steps, each reported where Flask sends its signal. Receiving the signals instead would cost a
blinker dispatch each on every request, watched or not; only the signals sent off the usual
path are received (``got_request_exception``, ``message_flashed``, ``before_render_template``,
``template_rendered``). ``detach()`` undoes all of it.

Every step is published on ``adapter.events``, an ``engine.bus.EventBus``, with the engine's
event kinds and fields, so ``trace``, ``serve``, the window and captures work unchanged. The
contexts are tracked at every step; the events' fields are gathered only while ``events.active``.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from functools import update_wrapper
from typing import Any

from ..bus import EventBus, Subscription
from ..events import (
    BeforeRenderTemplate,
    Event,
    ExceptionRaised,
    GotRequestException,
    MessageFlashed,
    RequestFinished,
    TemplateRendered,
)
from ..summary import describe_error, qualname, summarize
from . import contexts, hooks, shadows
from .locals import ReconstructedStacks, refresh_app, refresh_request
from .locals import register as register_stacks
from .sessions import ObservedSessionInterface, header_items, is_signed_cookie_interface

__all__ = ["EXTENSION_KEY", "FlaskAdapter"]

log = logging.getLogger("ctxscope")

EXTENSION_KEY = "ctxscope"
"""Where the adapter is kept in ``flask_app.extensions`` (one adapter per app)."""

_AUTO: Any = object()


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
            self._shadow("request_context", shadows.wrap_request_context)
        else:
            log.warning("ctxscope: unknown Flask context layout; request contexts not shown")
        self._shadow("app_context", shadows.wrap_app_context)
        self._shadow("ensure_sync", shadows.wrap_ensure_sync)
        self._shadow("full_dispatch_request", shadows.wrap_full_dispatch_request)
        if supported:
            # request_finished is reported from the request context's finalize_request mark.
            self._shadow("finalize_request", shadows.wrap_finalize_request)
        self._shadow("process_response", shadows.wrap_process_response)
        self._shadow("do_teardown_request", shadows.wrap_do_teardown_request)
        self._shadow("do_teardown_appcontext", shadows.wrap_do_teardown_appcontext)
        self._shadow("handle_user_exception", shadows.wrap_handle_user_exception)
        self._shadow("handle_http_exception", shadows.wrap_handle_http_exception)
        self._check_session_interface()
        hooks.wrap_all(self)
        import flask.signals as fs

        # Sent only when a request fails, flashes or renders a template: receiving them costs
        # nothing on the usual path.
        receivers = [
            (fs.got_request_exception, self._receive_got_request_exception()),
            (fs.message_flashed, self._receive_message_flashed()),
            (fs.before_render_template, self._receive_template(BeforeRenderTemplate)),
            (fs.template_rendered, self._receive_template(TemplateRendered)),
        ]
        if not supported:
            receivers.append((fs.request_finished, self._receive_request_finished()))
        for signal, receiver in receivers:
            signal.connect(receiver, sender=app, weak=False)
            self._receivers.append((signal, receiver))

    def _shadow(self, attr: str, make: Callable[[Any, Any], Callable[..., Any]]) -> None:
        original = getattr(self.flask_app, attr)
        wrapper = make(self, original)
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

    def _receive_message_flashed(self) -> Callable[..., None]:
        def on_message_flashed(sender: Any, message: Any, category: Any, **extra: Any) -> None:
            if self.events.active:
                try:
                    fields = (summarize(message), summarize(category))
                except Exception:
                    self.internal_error(MessageFlashed)
                    return
                self.step(MessageFlashed, None, None, fields)

        return on_message_flashed

    def _receive_template(self, cls: type[Event]) -> Callable[..., None]:
        # before_render_template and template_rendered carry the same two fields.
        def on_template(sender: Any, template: Any, context: Any, **extra: Any) -> None:
            if self.events.active:
                try:
                    fields = (getattr(template, "name", None), _template_context(context))
                except Exception:
                    self.internal_error(cls)
                    return
                self.step(cls, None, None, fields)

        return on_template

    def _receive_request_finished(self) -> Callable[..., None]:
        # Only without instrumented request contexts (an unknown Flask layout).
        def on_request_finished(sender: Any, response: Any, **extra: Any) -> None:
            if self.events.active:
                self._request_finished(response)

        return on_request_finished

    def _request_finished(self, response: Any) -> None:
        try:
            # (name, value) tuples: a snapshot as it is; the event lists them when read.
            headers = tuple(header_items(response.headers))
            status = response.status_code
        except Exception:
            self.internal_error(RequestFinished)
            return
        self.step(RequestFinished, None, None, (status, headers), False)


# Put in every template context by Flask's default context processor: the live proxies, shown
# in the window's own panes already, and never what a template is being debugged for.
_FLASK_CONTEXT = frozenset({"g", "request", "session"})


def _template_context(context: Any) -> Any:
    """The template's context as the view passed it (and context processors added), summarized."""
    return summarize({k: v for k, v in context.items() if k not in _FLASK_CONTEXT})
