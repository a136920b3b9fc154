"""Flask's signals, under the same names, declared together (blinker; the sender is the app)."""

from __future__ import annotations

from blinker import Namespace

__all__ = [
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "got_request_exception",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "template_rendered",
]

_signals = Namespace()

template_rendered = _signals.signal("template-rendered")
before_render_template = _signals.signal("before-render-template")
request_started = _signals.signal("request-started")
request_finished = _signals.signal("request-finished")  # response=
request_tearing_down = _signals.signal("request-tearing-down")  # exc=
got_request_exception = _signals.signal("got-request-exception")  # exception=
appcontext_tearing_down = _signals.signal("appcontext-tearing-down")  # exc=
appcontext_pushed = _signals.signal("appcontext-pushed")
appcontext_popped = _signals.signal("appcontext-popped")
message_flashed = _signals.signal("message-flashed")  # message=, category=
