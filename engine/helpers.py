"""Functions views call, as Flask's: abort, redirect, jsonify, url_for, streaming, flashing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import update_wrapper
from typing import Any, NoReturn

from werkzeug.exceptions import Aborter
from werkzeug.utils import redirect as _wz_redirect
from werkzeug.wrappers import Response as BaseResponse

from .events import MessageFlashed
from .globals import _app_ctx_stack, _request_ctx_stack, current_app
from .signals import message_flashed
from .summary import summarize

__all__ = [
    "abort",
    "flash",
    "get_flashed_messages",
    "jsonify",
    "make_response",
    "redirect",
    "stream_with_context",
    "url_for",
]

_aborter = Aborter()


def abort(code: int | BaseResponse, *args: Any, **kwargs: Any) -> NoReturn:
    """Raise the ``HTTPException`` for ``code`` (the app's aborter inside a context)."""
    top = _app_ctx_stack.top
    if top is not None:
        top.app.aborter(code, *args, **kwargs)
    _aborter(code, *args, **kwargs)
    raise AssertionError("unreachable")  # pragma: no cover


def redirect(location: str, code: int = 302, Response: type[BaseResponse] | None = None) -> Any:
    """A redirect response to ``location``."""
    top = _app_ctx_stack.top
    if top is not None and Response is None:
        return top.app.redirect(location, code=code)
    return _wz_redirect(location, code=code, Response=Response)


def jsonify(*args: Any, **kwargs: Any) -> Any:
    """A JSON response, exactly as Flask's ``jsonify`` writes it."""
    return current_app.json.response(*args, **kwargs)


def make_response(*args: Any) -> Any:
    """Turn view return values into a response object, to add headers before returning it."""
    if not args:
        return current_app.response_class()
    if len(args) == 1:
        args = args[0]
    return current_app.make_response(args)


def url_for(endpoint: str, **values: Any) -> str:
    """Build the URL of ``endpoint`` (``.name`` is relative to the current blueprint)."""
    return current_app.url_for(endpoint, **values)


def stream_with_context(
    generator_or_function: Iterator[Any] | Callable[..., Iterator[Any]],
) -> Any:
    """Push the request's contexts again while the response body is iterated.

    As in Flask 3.1.3: the contexts are only *recorded* inside the view. The request ends
    normally (full teardown), and when the server starts iterating the body, the app context
    and then the request context are pushed again (the session is kept, the URL matched
    again), and torn down a second time after the last chunk.
    """
    try:
        gen = iter(generator_or_function)  # type: ignore[arg-type]
    except TypeError:
        func = generator_or_function

        def decorator(*args: Any, **kwargs: Any) -> Any:
            return stream_with_context(func(*args, **kwargs))  # type: ignore[operator]

        return update_wrapper(decorator, generator_or_function)  # type: ignore[arg-type]

    def generator() -> Iterator[Any]:
        req_ctx = _request_ctx_stack.top
        if req_ctx is None:
            raise RuntimeError(
                "'stream_with_context' can only be used when a request"
                " context is active, such as in a view function."
            )
        app_ctx = _app_ctx_stack.top
        yield None  # the view runs us to here: the contexts are recorded, not pushed
        # The app context first, so the request context does not push a different one.
        with app_ctx, req_ctx:  # type: ignore[union-attr]
            try:
                yield from gen
            finally:
                close = getattr(gen, "close", None)
                if close is not None:
                    close()

    wrapped = generator()
    next(wrapped)
    return wrapped


def flash(message: str, category: str = "message") -> None:
    """Store a message in the session for the next request."""
    ctx = _request_ctx_stack.top
    assert ctx is not None, "flash() needs a request context"
    session = ctx.session
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    message_flashed.send(app, message=message, category=category)
    bus = app.events
    if bus.active:
        fields = (summarize(message), summarize(category))
        bus.emit(MessageFlashed, ctx.request_id, None, None, fields)


def get_flashed_messages(with_categories: bool = False) -> list[Any]:
    """Pop the flashed messages from the session (once per request)."""
    ctx = _request_ctx_stack.top
    assert ctx is not None, "get_flashed_messages() needs a request context"
    flashes = ctx.flashes
    if flashes is None:
        flashes = ctx.session.pop("_flashes") if "_flashes" in ctx.session else []
        ctx.flashes = flashes
    if not with_categories:
        return [x[1] for x in flashes]
    return list(flashes)
