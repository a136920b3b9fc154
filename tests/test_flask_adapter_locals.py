"""The reconstructed context stacks of an attached Flask app, over real sockets and threads.

Flask's ContextVars cannot be listed from outside; the adapter rebuilds every thread's stacks
from the steps reported on that thread. These tests hold real requests at breakpoints on a
real HTTP server and look at the rebuilt picture, and check that registering, comparing and
detaching hooks behaves as without ctxscope.
"""

from __future__ import annotations

import inspect
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import flask
import pytest
from flask import copy_current_request_context, g, session

from engine.flask_adapter import attach, snapshot
from engine.flask_adapter.adapter import FlaskAdapter
from engine.serving import Server


def _app() -> flask.Flask:
    app = flask.Flask("locals_app")
    app.secret_key = "locals-secret"

    @app.route("/work")
    def work() -> str:
        g.user = "ada"
        session["n"] = session.get("n", 0) + 1
        return "worked"

    @app.route("/spawn")
    def spawn() -> str:
        seen: list[str] = []

        @copy_current_request_context
        def in_thread() -> None:
            seen.append(flask.request.path)

        t = threading.Thread(target=in_thread)
        t.start()
        t.join()
        return ",".join(seen)

    return app


@pytest.fixture
def served() -> Iterator[tuple[FlaskAdapter, Server]]:
    adapter = attach(_app())
    server = Server(adapter).start()
    yield adapter, server
    adapter.breakpoints.clear()
    server.stop()
    adapter.detach()


def _get(url: str, out: list[Any]) -> threading.Thread:
    def run() -> None:
        with urllib.request.urlopen(url, timeout=10) as r:
            out.append((r.status, r.read(), r.headers.get_all("Set-Cookie")))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _wait(predicate: Any, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError("timed out")


def test_snapshot_of_a_request_held_at_a_breakpoint(served: tuple[FlaskAdapter, Server]) -> None:
    adapter, server = served
    events: list[Any] = []
    adapter.subscribe(events.append)
    adapter.breakpoints.set_kinds({"view"})
    out: list[Any] = []
    client = _get(server.url + "/work", out)
    step = _wait(adapter.breakpoints.paused)[0]
    assert step.event.kind == "view"

    snap = adapter.snapshot()
    assert list(snap) == [step.thread]  # only the serving thread holds contexts
    stacks = snap[step.thread]
    (app_ctx,) = stacks["app"]
    (req_ctx,) = stacks["request"]
    assert app_ctx == {
        "type": "AppContext",
        "app": "locals_app",
        "request_id": step.request_id,
        "g": {"user": "ada"},
    }
    assert req_ctx["method"] == "GET" and req_ctx["path"] == "/work"
    assert req_ctx["endpoint"] == "work" and req_ctx["request_id"] == step.request_id
    assert req_ctx["session"] == {"n": 1} and req_ctx["session_modified"] is True
    assert snapshot()[step.thread] == stacks  # the module-level view of all attached apps
    assert step.thread != threading.get_ident()
    assert {e.thread for e in events if e.request_id == step.request_id} == {step.thread}

    adapter.breakpoints.resume(step.thread)
    client.join(5)
    assert out[0][0] == 200 and out[0][1] == b"worked"
    _wait(lambda: not adapter.snapshot())  # popped: the thread holds nothing any more
    assert events[-1].kind == "app_ctx_popped"


def test_concurrent_requests_each_on_their_own_thread(served: tuple[FlaskAdapter, Server]) -> None:
    adapter, server = served
    adapter.breakpoints.set_kinds({"request_started"})
    out: list[Any] = []
    clients = [_get(server.url + "/work", out) for _ in range(3)]
    paused = _wait(lambda: len(adapter.breakpoints.paused()) == 3 and adapter.breakpoints.paused())
    snap = adapter.snapshot()
    assert set(snap) == {p.thread for p in paused}
    assert sorted(s["request"][0]["request_id"] for s in snap.values()) == sorted(
        p.request_id for p in paused
    )
    adapter.breakpoints.resume_all()
    adapter.breakpoints.set_kinds(())
    for c in clients:
        c.join(5)
    assert [o[0] for o in out] == [200, 200, 200]


def test_copied_request_context_in_another_thread(served: tuple[FlaskAdapter, Server]) -> None:
    adapter, server = served
    events: list[Any] = []
    adapter.subscribe(events.append)
    out: list[Any] = []
    _get(server.url + "/spawn", out).join(5)
    assert out[0][1] == b"/spawn"
    rid = next(e.request_id for e in events if e.kind == "request_ctx_pushed")
    pushes = [e for e in events if e.kind == "request_ctx_pushed"]
    assert len(pushes) == 2 and pushes[1].thread != pushes[0].thread
    assert {e.request_id for e in events} == {rid}  # the copy is the same request
    other = [e for e in events if e.thread == pushes[1].thread]
    kinds = [e.kind for e in other]
    # The copy pushes its own app context, runs teardown_request when it leaves, and pops.
    assert kinds[:4] == ["local_set", "app_ctx_pushed", "local_set", "request_ctx_pushed"]
    assert "request_tearing_down" in kinds and kinds[-1] == "app_ctx_popped"
    _wait(lambda: not adapter.snapshot())


def test_app_context_outside_requests() -> None:
    adapter = attach(flask.Flask("bare"))
    events: list[Any] = []
    adapter.subscribe(events.append)
    ident = threading.get_ident()
    with adapter.app_context():
        g.x = 1
        assert adapter.snapshot()[ident]["app"][0]["request_id"] is None
        with adapter.test_request_context("/inner"):
            assert [len(adapter.snapshot()[ident][k]) for k in ("app", "request")] == [1, 1]
    assert adapter.snapshot() == {}
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["local_set", "app_ctx_pushed"] and kinds[-1] == "app_ctx_popped"
    assert events[kinds.index("request_ctx_pushed")].nested is False
    assert events[-1].request_id is None


# --- hooks: registered later, compared, detached ------------------------------------------


def test_hooks_registered_after_attaching_are_reported() -> None:
    app = flask.Flask("late")
    adapter = attach(app)

    @app.before_request
    def late_before() -> None:
        return None

    @app.route("/")
    def index() -> str:
        return "late"

    @app.teardown_appcontext
    def late_teardown(exc: BaseException | None) -> None:
        return None

    events: list[Any] = []
    adapter.subscribe(events.append)
    assert adapter.test_client().get("/").data == b"late"
    names = [
        (e.kind, e.name.rsplit(".", 1)[-1]) for e in events if e.name and e.kind != "local_set"
    ]
    assert names == [
        ("before_request", "late_before"),
        ("view", "index"),
        ("teardown_appcontext", "late_teardown"),
    ]


def test_wrappers_are_transparent() -> None:
    app = flask.Flask("transparent")

    def view() -> str:
        """The docstring."""
        return "v"

    view.custom = "kept"  # type: ignore[attr-defined]

    async def async_view() -> str:
        return "a"

    app.add_url_rule("/", view_func=view)
    app.add_url_rule("/async", view_func=async_view)
    attach(app)
    wrapped = app.view_functions["view"]
    assert wrapped is not view and wrapped == view and hash(wrapped) == hash(view)
    assert (wrapped.__name__, wrapped.__doc__, wrapped.custom, wrapped.__wrapped__) == (
        "view",
        "The docstring.",
        "kept",
        view,
    )
    assert inspect.signature(wrapped) == inspect.signature(view)
    # Registering the same function again is not "overwriting an existing endpoint".
    app.add_url_rule("/again", endpoint="view", view_func=view)
    # An async view is run through the app's own ensure_sync by its wrapper, so Flask must see
    # a plain function (a coroutine function would be wrapped a second time).
    async_wrapped = app.view_functions["async_view"]
    assert async_wrapped.__wrapped__ is async_view
    assert not inspect.iscoroutinefunction(async_wrapped)


def test_async_hooks_report_on_the_request_thread() -> None:
    pytest.importorskip("asgiref")  # Flask's async support (flask[async])
    app = flask.Flask("async_app")

    @app.before_request
    async def load() -> None:
        g.x = 1

    @app.route("/")
    async def index() -> str:
        return f"async {g.x}"

    adapter = attach(app)
    events: list[Any] = []
    adapter.subscribe(events.append)
    assert adapter.test_client().get("/").data == b"async 1"
    steps = [e for e in events if e.kind in ("before_request", "view")]
    assert [(e.kind, e.name.rsplit(".", 1)[-1]) for e in steps] == [
        ("before_request", "load"),
        ("view", "index"),
    ]
    assert {e.thread for e in events} == {threading.get_ident()}
    assert {e.request_id for e in steps} == {events[0].request_id}


def test_detach_restores_everything() -> None:
    app = _app()
    original_views = dict(app.view_functions)
    original_interface = app.session_interface
    adapter = attach(app)
    events: list[Any] = []
    adapter.subscribe(events.append)
    adapter.detach()
    assert app.view_functions == original_views
    assert all(app.view_functions[k] is v for k, v in original_views.items())
    assert app.session_interface is original_interface
    assert "request_context" not in app.__dict__ and "ctxscope" not in app.extensions
    assert app.test_client().get("/work").data == b"worked"
    assert events == []


def test_a_failing_subscriber_never_breaks_the_request() -> None:
    adapter = attach(_app())

    def broken(event: Any) -> None:
        raise RuntimeError("observer bug")

    adapter.subscribe(broken)
    assert adapter.test_client().get("/work").data == b"worked"


def test_a_context_pushed_inside_a_push_keeps_each_request_apart() -> None:
    # An appcontext_pushed receiver runs inside the request context's push, before the implicit
    # app context is on the rebuilt stack: a request context it pushes and pops there is a
    # request of its own, and the outer app context still belongs to the outer request.
    app = _app()
    inner_paths: list[str] = []

    def receiver(sender: flask.Flask, **extra: Any) -> None:
        if not inner_paths:
            with sender.test_request_context("/inner"):
                inner_paths.append(flask.request.path)

    adapter = attach(app)
    events: list[Any] = []
    adapter.subscribe(events.append)
    flask.appcontext_pushed.connect(receiver, app)
    try:
        assert adapter.test_client().get("/work").data == b"worked"
    finally:
        flask.appcontext_pushed.disconnect(receiver, app)
    assert inner_paths == ["/inner"]
    pushed = [e for e in events if e.kind == "request_ctx_pushed"]
    assert [e.path for e in pushed] == ["/inner", "/work"]
    inner_id, outer_id = (e.request_id for e in pushed)
    assert inner_id != outer_id
    app_pushed = [e for e in events if e.kind == "app_ctx_pushed"]
    assert [e.request_id for e in app_pushed] == [outer_id]
    view = next(e for e in events if e.kind == "view")
    assert view.request_id == outer_id
    assert adapter.snapshot().get(threading.get_ident(), {"app": [], "request": []}) == {
        "app": [],
        "request": [],
    }
