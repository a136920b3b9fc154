"""Errors in the lifecycle: finding the handler, Flask's order, and reporting what happened.

Handlers are looked up by HTTP code before class, blueprint (innermost first) before app, then
along the exception's MRO, as Flask does. An exception no handler takes becomes a 500 (or is
re-raised with ``PROPAGATE_EXCEPTIONS``), after ``got_request_exception``.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import BadRequestKeyError, HTTPException, InternalServerError
from werkzeug.routing import RoutingException

from .events import ErrorHandler, ExceptionRaised, GotRequestException
from .globals import _request_ctx_stack
from .lifecycle import current_request, current_request_id
from .signals import got_request_exception
from .summary import describe_error, qualname, summarize

if TYPE_CHECKING:
    from .bus import EventBus
    from .config import Config
    from .scaffold import HandlerSpec
    from .wrappers import Response

__all__ = ["ErrorHandling"]


class ErrorHandling:
    """The error-handling half of ``App``."""

    config: Config
    events: EventBus
    logger: logging.Logger
    error_handler_spec: HandlerSpec
    debug: bool
    testing: bool
    ensure_sync: Callable[[Callable[..., Any]], Callable[..., Any]]
    finalize_request: Callable[..., Response]
    call_hook: Callable[..., Any]
    _get_exc_class_and_code: Callable[..., tuple[type[BaseException], int | None]]

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
        handler = self._find_error_handler(e, current_request().blueprints)
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
        handler = self._find_error_handler(e, current_request().blueprints)
        self.report_exception(e, handled=handler is not None, handler=handler)
        if handler is None:
            raise
        return self._run_error_handler(handler, e)

    def _run_error_handler(self, handler: Callable[[Any], Any], e: Exception) -> Any:
        blueprint = _handler_blueprint(self, handler) if self.events.active else None
        return self.call_hook(ErrorHandler, handler, blueprint, (e,), _handler_fields)

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
            current_request_id(),
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
                current_request_id(),
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
        handler = self._find_error_handler(server_error, current_request().blueprints)
        if handler is not None:
            server_error = self._run_error_handler(handler, server_error)
        return self.finalize_request(server_error, from_error_handler=True)

    def log_exception(self, exc_info: Any) -> None:
        req = current_request()
        self.logger.error(f"Exception on {req.path} [{req.method}]", exc_info=exc_info)


def _handler_fields(args: tuple[Any, ...], rv: Any, raised: BaseException | None) -> dict:
    returned = describe_error(raised) if raised is not None else summarize(rv)
    return {"error": describe_error(args[0]), "returned": returned}


def _handler_blueprint(app: ErrorHandling, handler: Callable[..., Any]) -> str | None:
    for name, by_code in app.error_handler_spec.items():
        for handlers in by_code.values():
            if handler in handlers.values():
                return name
    return None
