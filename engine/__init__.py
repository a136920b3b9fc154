"""ctxscope's engine: a Flask-faithful web framework that reports every lifecycle step.

The public names import from ``engine`` as Flask's do from ``flask``. Nothing here imports Qt.
"""

from __future__ import annotations

from . import signals
from .app import App
from .blueprints import Blueprint
from .ctx import (
    AppContext,
    RequestContext,
    after_this_request,
    copy_current_request_context,
    has_app_context,
    has_request_context,
)
from .events import Event
from .globals import current_app, g, request, session
from .helpers import (
    abort,
    flash,
    get_flashed_messages,
    jsonify,
    make_response,
    redirect,
    stream_with_context,
    url_for,
)
from .signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    got_request_exception,
    message_flashed,
    request_finished,
    request_started,
    request_tearing_down,
)
from .wrappers import Request, Response

__all__ = [
    "App",
    "AppContext",
    "Blueprint",
    "Event",
    "Request",
    "RequestContext",
    "Response",
    "abort",
    "after_this_request",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "copy_current_request_context",
    "current_app",
    "flash",
    "g",
    "get_flashed_messages",
    "got_request_exception",
    "has_app_context",
    "has_request_context",
    "jsonify",
    "make_response",
    "message_flashed",
    "redirect",
    "request",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "session",
    "signals",
    "stream_with_context",
    "url_for",
]
