"""How the adapter instruments a Flask app: the cheap paths keep Flask's behaviour and the view.

The adapter reports Flask's steps from shadowed methods and context subclasses rather than
blinker receivers, and builds events only while somebody listens; these tests pin what that
must not change: the reconstructed stacks when a subscriber joins mid-request or a teardown
raises, no event Flask would not signal, ``ensure_sync`` for the user's own functions, Flask
subclasses that override the context factories, and ``detach``.
"""

from __future__ import annotations

import threading
from typing import Any

import flask
import pytest
from flask import after_this_request, g, session, stream_with_context

from engine.flask_adapter import attach
from engine.flask_adapter.adapter import FlaskAdapter

_SHADOWED = (
    "request_context",
    "app_context",
    "ensure_sync",
    "full_dispatch_request",
    "finalize_request",
    "process_response",
    "do_teardown_request",
    "do_teardown_appcontext",
    "handle_user_exception",
    "handle_http_exception",
)


def _app(name: str = "instr") -> flask.Flask:
    app = flask.Flask(name)
    app.secret_key = "instr-secret"

    @app.before_request
    def load() -> None:
        g.user = session.get("user", "anon")

    @app.after_request
    def tag(response: Any) -> Any:
        response.headers["X-Tag"] = "1"
        return response

    @app.route("/hello/<name>")
    def hello(name: str) -> str:
        session["seen"] = name
        return f"hello {name}"

    return app


def _kinds(events: list[Any]) -> list[str]:
    return [e.kind for e in events]


def test_a_subscriber_joining_mid_request_sees_the_contexts_already_pushed() -> None:
    app = _app()
    adapter = attach(app)
    events: list[Any] = []
    seen: dict[str, Any] = {}

    @app.route("/join")
    def join() -> str:
        # Nobody listened while the contexts were pushed: the stacks were kept all the same.
        seen["snapshot"] = adapter.snapshot()[threading.get_ident()]
        adapter.subscribe(events.append)
        return "joined"

    assert adapter.test_client().get("/join").data == b"joined"
    stacks = seen["snapshot"]
    assert [len(stacks["app"]), len(stacks["request"])] == [1, 1]
    rid = stacks["request"][0]["request_id"]
    assert stacks["app"][0]["request_id"] == rid
    kinds = _kinds(events)
    # The view began before anybody listened: its report is the first one missed.
    assert kinds[0] == "after_request" and kinds[-1] == "app_ctx_popped"
    assert {e.request_id for e in events} == {rid}
    depths = {e.kind: (e.depth["app"], e.depth["request"]) for e in events}
    assert depths["after_request"] == (1, 1) and depths["request_finished"] == (1, 1)
    assert depths["request_ctx_popped"] == (1, 0) and depths["app_ctx_popped"] == (0, 0)
    assert [e.local for e in events if e.kind == "local_released"] == [
        "_request_ctx_stack",
        "_app_ctx_stack",
    ]
    assert adapter.snapshot() == {}


def test_events_carry_snapshots_in_their_json_form() -> None:
    adapter = attach(_app())
    events: list[Any] = []
    adapter.subscribe(events.append)
    response = adapter.test_client().get("/hello/ann")
    by_kind = {e.kind: e for e in events}
    stack_set = next(e for e in events if e.kind == "local_set")
    assert stack_set.value == ["<AppContext instr>"]
    finished = by_kind["request_finished"]
    assert finished.status == 200
    assert finished.headers == [[k, v] for k, v in response.headers.items()]
    assert by_kind["view"].view_args == {"name": "ann"}
    assert by_kind["view"].returned == "hello ann"
    saved = by_kind["session_saved"]
    assert saved.after == {"seen": "ann"} and saved.set_cookie.startswith("session=")


def test_a_raising_teardown_appcontext_leaves_no_stale_context() -> None:
    app = _app()

    @app.teardown_appcontext
    def broken(exc: BaseException | None) -> None:
        raise RuntimeError("teardown failed")

    adapter = attach(app)
    events: list[Any] = []
    adapter.subscribe(events.append)
    client = adapter.test_client()
    with pytest.raises(RuntimeError, match="teardown failed"):
        client.get("/hello/ann")
    # Flask reset the ContextVar anyway (and sent no appcontext_popped): nothing is left over.
    assert adapter.snapshot() == {}
    kinds = _kinds(events)
    assert kinds[-1] == "local_released" and "app_ctx_popped" not in kinds
    events.clear()
    app.teardown_appcontext_funcs.clear()
    assert client.get("/hello/bob").data == b"hello bob"
    assert events[0].depth == {"app": 1, "request": 0}
    assert events[-1].kind == "app_ctx_popped" and events[-1].depth == {"app": 0, "request": 0}


def test_process_response_called_by_hand_reports_no_request_finished() -> None:
    app = _app()
    adapter = attach(app)
    events: list[Any] = []
    adapter.subscribe(events.append)
    with app.test_request_context("/hello/ann"):
        response = app.process_response(app.make_response("by hand"))
    assert response.headers["X-Tag"] == "1"
    kinds = _kinds(events)
    assert "after_request" in kinds and "request_finished" not in kinds


def test_after_this_request_functions_are_reported_in_order() -> None:
    app = _app()

    @app.route("/later")
    def later() -> str:
        @after_this_request
        def add(response: Any) -> Any:
            response.headers["X-Later"] = "1"
            return response

        return "later"

    adapter = attach(app)
    events: list[Any] = []
    adapter.subscribe(events.append)
    response = adapter.test_client().get("/later")
    assert response.headers["X-Later"] == "1"
    kinds = _kinds(events)
    assert kinds.index("view") < kinds.index("after_this_request") < kinds.index("after_request")
    assert next(e for e in events if e.kind == "after_this_request").name.endswith("add")


def test_ensure_sync_keeps_answering_for_the_users_own_functions() -> None:
    app = _app()
    attach(app)

    def plain() -> None:
        return None

    assert app.ensure_sync(plain) is plain
    with app.test_request_context("/hello/x"):
        assert app.ensure_sync(app.view_functions["hello"])(name="x") == "hello x"
    pytest.importorskip("asgiref")

    async def coro() -> str:
        return "async"

    runner = app.ensure_sync(coro)
    assert runner is not coro and runner() == "async"


def test_a_flask_subclass_with_its_own_context_factories() -> None:
    calls: list[str] = []

    class MyFlask(flask.Flask):
        def request_context(self, environ: Any) -> Any:
            calls.append("request_context")
            return super().request_context(environ)

        def app_context(self) -> Any:
            calls.append("app_context")
            return super().app_context()

    app = MyFlask("sub")

    @app.route("/")
    def index() -> str:
        return "sub"

    adapter = attach(app)
    events: list[Any] = []
    adapter.subscribe(events.append)
    assert adapter.test_client().get("/").data == b"sub"
    assert calls == ["request_context", "app_context"]
    kinds = _kinds(events)
    assert kinds[:4] == ["local_set", "app_ctx_pushed", "local_set", "request_ctx_pushed"]
    assert kinds[-1] == "app_ctx_popped" and adapter.snapshot() == {}


def test_streamed_response_pushes_again_and_balances() -> None:
    app = _app()

    @app.route("/stream")
    def stream() -> Any:
        def gen() -> Any:
            yield "a"
            yield flask.request.path

        return stream_with_context(gen())

    adapter = attach(app)
    events: list[Any] = []
    adapter.subscribe(events.append)
    response = adapter.test_client().get("/stream")
    assert response.data == b"a/stream"
    pushes = [e for e in events if e.kind == "request_ctx_pushed"]
    pops = [e for e in events if e.kind == "request_ctx_popped"]
    assert len(pushes) == len(pops) >= 2
    assert {e.request_id for e in events} == {pushes[0].request_id}
    assert adapter.snapshot() == {}


def test_detach_removes_every_shadowed_method() -> None:
    app = _app()
    adapter = attach(app)
    assert isinstance(adapter, FlaskAdapter)
    assert all(name in app.__dict__ for name in _SHADOWED)
    adapter.detach()
    assert not [name for name in _SHADOWED if name in app.__dict__]
    assert type(app.app_context()) is flask.ctx.AppContext
    assert app.test_client().get("/hello/ann").data == b"hello ann"


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        2.5,
        "short",
        "x" * 500,
        {},
        {"name": "ann", "n": 7, "ok": False, "none": None},
        {"long": "y" * 300},
        {"nested": {"a": 1}},
        {1: "int key"},
        {f"k{i}": i for i in range(20)},
        [1, 2],
        (1, "a"),
        b"bytes",
        object,
    ],
)
def test_summary_of_is_summarize(value: Any) -> None:
    from engine.flask_adapter.locals import summary_of
    from engine.summary import summarize

    assert summary_of(value) == summarize(value)
    if isinstance(value, dict):
        assert summary_of(value) is not value  # a snapshot, never the live dict
