"""The Flask adapter against Flask itself and against the engine.

Three independent witnesses, on the differential app of ``tests.diff_apps`` (nested blueprints,
every hook kind, error handlers by code and class, sessions):
- Flask's own log (plain hooks, signal receivers and a logging session interface registered by
  the app) must list the same steps in the same order as the adapter's events;
- the adapter's events must equal, field for field, what the engine publishes for the same app
  built on the engine (only sequence numbers, times, thread ids and tracebacks differ);
- responses must be byte-identical with and without ctxscope attached (time frozen).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from engine.flask_adapter import attach
from tests.diff_apps import ENGINE, FLASK, build, call, disconnect, freeze_time
from tests.flask_version import SESSION_ACCESSED_313

CASES = [
    ("GET", "/"),
    ("HEAD", "/"),
    ("OPTIONS", "/"),
    ("GET", "/?short=app#2"),
    ("GET", "/parent/?short=parent#1"),
    ("GET", "/parent/child/fr/page?short=child#2"),
    ("GET", "/parent/"),
    ("GET", "/parent/child/fr/page"),
    ("GET", "/once"),
    ("GET", "/leaf"),
    ("GET", "/boom"),
    ("GET", "/none"),
    ("GET", "/abort/403"),
    ("GET", "/abort/404"),
    ("GET", "/abort/410"),
    ("GET", "/parent/child/mid"),
    ("GET", "/parent/child/leaf"),
    ("GET", "/parent/child/abort/404"),
    ("GET", "/parent/child/abort/409"),
    ("GET", "/parent/child/boom"),
    ("GET", "/no/such/page"),
    ("PUT", "/post-only"),
    ("POST", "/multi"),
    ("GET", "/slash"),
    ("GET", "/session/read"),
    ("GET", "/session/set?user=ann&role=admin"),
    ("GET", "/session/permanent"),
    ("GET", "/session/clear"),
    ("GET", "/session/big"),
    ("GET", "/flash"),
    ("GET", "/nested"),
    ("GET", "/abort-response"),
    ("GET", "/?raise=app#2"),
    ("GET", "/parent/child/fr/page?raise=child#1"),
    ("GET", "/?after_raise=app#2"),
    ("GET", "/parent/child/fr/page?after_raise=parent#1"),
]

# Event kinds that are a step Flask's own log also records, and how that log words it.
_SIGNAL_KINDS = {
    "app_ctx_pushed": "signal appcontext_pushed",
    "request_started": "signal request_started",
    "request_finished": "signal request_finished",
    "got_request_exception": "signal got_request_exception",
    "request_tearing_down": "signal request_tearing_down",
    "appcontext_tearing_down": "signal appcontext_tearing_down",
    "app_ctx_popped": "signal appcontext_popped",
    "message_flashed": "signal message_flashed",
    "session_opened": "open_session",
    "session_saved": "save_session",
}
_HOOK_KINDS = {
    "url_value_preprocessor",
    "before_request",
    "after_request",
    "teardown_request",
    "teardown_appcontext",
    "after_this_request",
    "view",
    "error_handler",
}


def _flask_log_step(line: str) -> str | None:
    """The kind of step a line of Flask's log stands for (None: not a step of ours)."""
    head = line.split(" ", 2)
    if line.startswith("signal ") or line in ("open_session", "save_session"):
        return " ".join(head[:2]) if line.startswith("signal ") else line
    if head[0] == "errorhandler":
        return "error_handler"
    if head[0] in _HOOK_KINDS:
        return head[0]
    return None


def _event_step(event: Any) -> str | None:
    kind = event.kind
    if kind in _SIGNAL_KINDS:
        return _SIGNAL_KINDS[kind]
    if kind in _HOOK_KINDS:
        return kind
    return None


_VOLATILE = {"seq", "t_ns", "thread", "request_id", "ident", "traceback"}


def _comparable(event: Any) -> dict[str, Any]:
    return {k: v for k, v in event.to_json().items() if k not in _VOLATILE}


class Trio:
    """The differential app three times: Flask attached, Flask plain, the engine."""

    def __init__(self) -> None:
        self.attached_log: list[str] = []  # Flask's own log of the attached app
        self.plain_log: list[str] = []  # Flask's own log of the app left alone
        self.engine_log: list[str] = []  # the engine app's log
        self.attached = attach(build(FLASK, self.attached_log))  # observed Flask app
        self.plain = build(FLASK, self.plain_log)  # reference: Flask without ctxscope
        self.engine = build(ENGINE, self.engine_log)  # the engine's version of the app
        self.flask_events: list[Any] = []  # what the adapter published
        self.engine_events: list[Any] = []  # what the engine published
        self.attached.subscribe(self.flask_events.append)
        self.engine.subscribe(self.engine_events.append)

    def run(self, method: str, path: str, **kwargs: Any) -> tuple[Any, Any]:
        for log in (self.attached_log, self.plain_log, self.engine_log):
            log.clear()
        self.flask_events.clear()
        self.engine_events.clear()
        observed = call(self.attached, method, path, **kwargs)
        plain = call(self.plain, method, path, **kwargs)
        call(self.engine, method, path, **kwargs)
        return observed, plain

    def close(self) -> None:
        self.attached.detach()
        for app in (self.attached.flask_app, self.plain, self.engine):
            disconnect(app)


@pytest.fixture(scope="module")
def trio() -> Iterator[Trio]:
    # One set of apps for the module (building them is most of the cost); every app gets the
    # same requests in the same order, so their state stays the same too.
    with pytest.MonkeyPatch.context() as monkeypatch:
        freeze_time(monkeypatch)
        t = Trio()
        yield t
        t.close()


@pytest.mark.parametrize(("method", "path"), CASES)
def test_byte_identical_with_and_without_ctxscope(trio: Trio, method: str, path: str) -> None:
    observed, plain = trio.run(method, path)
    assert observed == plain  # status line, every header in order, body
    assert trio.attached_log == trio.plain_log  # the app did exactly the same things


# Events are reported when a step ends, log lines are written when it starts: a view that
# runs a nested request inside itself is checked on its own below, and one that flashes (its
# signals come before the view's own event) in test_flask_adapter_templates.py.
ORDER_CASES = [c for c in CASES if c[1] not in ("/nested", "/flash")]


@pytest.mark.parametrize(("method", "path"), ORDER_CASES)
def test_event_order_is_flasks_own(trio: Trio, method: str, path: str) -> None:
    trio.run(method, path)
    expected = [s for s in map(_flask_log_step, trio.attached_log) if s is not None]
    seen = [s for s in map(_event_step, trio.flask_events) if s is not None]
    assert seen == expected
    assert trio.flask_events, "nothing was reported"


# The engine reproduces Flask 3.1.3: before it, a session only iterated is not "accessed".
SAME_EVENT_CASES = [
    pytest.param(*case, marks=SESSION_ACCESSED_313) if case[1] == "/session/read" else case
    for case in CASES
]


@pytest.mark.parametrize(("method", "path"), SAME_EVENT_CASES)
def test_same_events_as_the_engine(trio: Trio, method: str, path: str) -> None:
    trio.run(method, path)
    assert [_comparable(e) for e in trio.flask_events] == [
        _comparable(e) for e in trio.engine_events
    ]


def test_one_request_id_per_request_and_stacks_balance(trio: Trio) -> None:
    trio.run("GET", "/parent/child/fr/page")
    first = trio.flask_events[0].request_id
    assert first is not None
    assert {e.request_id for e in trio.flask_events} == {first}
    assert [e.seq for e in trio.flask_events] == sorted(e.seq for e in trio.flask_events)
    assert trio.flask_events[-1].kind == "app_ctx_popped"
    assert trio.flask_events[-1].depth == {"app": 0, "request": 0}
    assert trio.attached.snapshot() == {}
    trio.run("GET", "/")
    assert trio.flask_events[0].request_id == first + 1


def test_session_cookie_round_trip_with_verdicts(trio: Trio) -> None:
    observed, _plain = trio.run("GET", "/session/set?user=ann")
    cookie = next(v for k, v in observed[1] if k == "Set-Cookie").split(";")[0].split("=", 1)[1]
    saved = next(e for e in trio.flask_events if e.kind == "session_saved")
    assert saved.set_cookie.startswith(f"session={cookie};")
    assert saved.after["user"] == "ann" and saved.modified and saved.accessed

    trio.run("GET", "/session/read", cookie=cookie)
    opened = next(e for e in trio.flask_events if e.kind == "session_opened")
    assert (opened.verdict, opened.cookie, opened.session["user"]) == ("valid", cookie, "ann")

    trio.run("GET", "/session/read", cookie=cookie[:-2] + "xx")
    opened = next(e for e in trio.flask_events if e.kind == "session_opened")
    assert (opened.verdict, opened.session) == ("bad_signature", {})
    engine_opened = next(e for e in trio.engine_events if e.kind == "session_opened")
    assert engine_opened.verdict == "bad_signature"


def test_nested_request_context_inside_a_view(trio: Trio) -> None:
    trio.run("GET", "/nested")
    kinds = [(e.kind, e.depth["request"]) for e in trio.flask_events]
    inner_push = kinds.index(("request_ctx_pushed", 2))
    inner_pop = kinds.index(("request_ctx_popped", 1))
    view = kinds.index(("view", 1))
    assert kinds.index(("before_request", 1)) < inner_push < inner_pop < view
    pushed = trio.flask_events[inner_push]
    assert (pushed.nested, pushed.path) == (True, "/inner")
    # The inner context reuses the app context (no second app push) and tears down itself.
    between = [k for k, _d in kinds[inner_push:inner_pop]]
    assert "app_ctx_pushed" not in between and "teardown_request" in between
    rids = {e.request_id for e in trio.flask_events[inner_push:inner_pop]}
    assert len(rids) == 1 and rids != {trio.flask_events[0].request_id}


def test_a_session_interface_patched_after_attaching_is_obeyed() -> None:
    """Flask asks ``is_null_session`` at every response; the adapter must ask the user's
    interface as it is now, not as it was when ctxscope attached."""
    import flask
    from flask.sessions import SecureCookieSessionInterface

    class Interface(SecureCookieSessionInterface):
        pass

    app = flask.Flask("patched")
    app.secret_key = "k"
    app.session_interface = Interface()

    @app.route("/")
    def index() -> str:
        flask.session["n"] = 1
        return "ok"

    attach(app).subscribe(lambda event: None)
    assert "Set-Cookie" in app.test_client().get("/").headers
    Interface.is_null_session = lambda self, obj: True  # type: ignore[method-assign]
    assert "Set-Cookie" not in app.test_client().get("/").headers  # as plain Flask would
