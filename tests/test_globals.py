"""The global proxies and stacks: Flask's errors outside contexts, depth and snapshots."""

from __future__ import annotations

import threading
from typing import Any

import flask
import pytest

import engine
from engine import App, current_app, g, has_app_context, has_request_context, request, session
from engine.globals import _app_ctx_stack, _request_ctx_stack, depth, snapshot


def _flask_error(func: Any) -> str:
    with pytest.raises(RuntimeError) as info:
        func()
    return str(info.value)


@pytest.mark.parametrize(
    ("name", "use"),
    [
        ("request", lambda mod: mod.request.method),
        ("session", lambda mod: mod.session.get("x")),
        ("current_app", lambda mod: mod.current_app.name),
        ("g", lambda mod: mod.g.get("x")),
        ("request attribute set", lambda mod: setattr(mod.request, "x", 1)),
        ("g attribute set", lambda mod: setattr(mod.g, "x", 1)),
        ("session item", lambda mod: mod.session["x"]),
    ],
)
def test_outside_context_errors_are_flasks(name: str, use: Any) -> None:
    expected = _flask_error(lambda: use(flask))
    assert expected.startswith("Working outside of")
    with pytest.raises(RuntimeError) as info:
        use(engine)
    assert str(info.value) == expected


def test_messages_name_the_missing_context() -> None:
    assert _flask_error(lambda: engine.request.path).startswith(
        "Working outside of request context.\n"
    )
    assert _flask_error(lambda: engine.current_app.name).startswith(
        "Working outside of application context.\n"
    )


def test_unbound_proxies_are_falsy_and_have_a_repr() -> None:
    assert not request
    assert not current_app
    assert "unbound" in repr(session)
    assert not has_request_context()
    assert not has_app_context()


def _app() -> App:
    app = App("globals_app")
    app.secret_key = "k"

    @app.route("/<name>")
    def view(name: str) -> str:
        return name

    return app


def test_implicit_app_context() -> None:
    app = _app()
    assert depth() == {"app": 0, "request": 0}
    with app.test_request_context("/x?a=1"):
        assert has_request_context() and has_app_context()
        assert current_app._get_current_object() is app  # type: ignore[attr-defined]
        assert request.args["a"] == "1"
        assert isinstance(request, engine.Request)
        assert request.view_args == {"name": "x"}
        assert depth() == {"app": 1, "request": 1}
        g.user = "ann"
        assert g.user == "ann"
    assert depth() == {"app": 0, "request": 0}
    assert threading.get_ident() not in snapshot()
    assert _app_ctx_stack.top is None and _request_ctx_stack.top is None


def test_request_context_reuses_pushed_app_context() -> None:
    app = _app()
    with app.app_context() as app_ctx:
        g.x = 1
        with app.test_request_context("/y"):
            assert depth() == {"app": 1, "request": 1}
            assert g.x == 1  # the same g: the app context was reused
            assert _app_ctx_stack.top is app_ctx
        assert depth() == {"app": 1, "request": 0}
    assert depth() == {"app": 0, "request": 0}


def test_request_context_of_other_app_pushes_its_own() -> None:
    one, two = _app(), App("other")
    with one.app_context(), two.test_request_context("/"):
        assert depth() == {"app": 2, "request": 1}
        assert current_app._get_current_object() is two  # type: ignore[attr-defined]
    assert depth() == {"app": 0, "request": 0}


def test_g_belongs_to_the_app_context() -> None:
    app = _app()
    with app.app_context():
        g.value = "outer"
        assert "value" in g
        assert g.get("missing", 5) == 5
        assert g.setdefault("new", 1) == 1
        assert sorted(g) == ["new", "value"]
        assert g.pop("new") == 1
        with app.app_context():
            assert g.get("value") is None  # a new app context, a new g
        assert g.value == "outer"
        del g.value
        with pytest.raises(AttributeError):
            _ = g.value


def test_each_thread_has_its_own_contexts() -> None:
    app = _app()
    ready = threading.Barrier(2)
    seen: dict[str, Any] = {}

    def worker() -> None:
        with app.test_request_context("/thread"):
            g.who = "thread"
            ready.wait(5)  # main thread now has its own context pushed
            seen["path"] = request.path
            seen["g"] = g.who
            seen["depth"] = depth()
            ready.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    with app.test_request_context("/main"):
        g.who = "main"
        ready.wait(5)
        ready.wait(5)
        assert request.path == "/main"
        assert g.who == "main"
    t.join(5)
    assert seen == {"path": "/thread", "g": "thread", "depth": {"app": 1, "request": 1}}


def test_snapshot_from_another_thread_shows_a_held_request() -> None:
    app = _app()
    inside = threading.Event()
    leave = threading.Event()

    @app.route("/held/<int:n>")
    def held(n: int) -> str:
        g.n = n
        session["user"] = "ann"
        inside.set()
        leave.wait(5)
        return "ok"

    idents: dict[str, int] = {}

    def run() -> None:
        idents["worker"] = threading.get_ident()
        app.test_client().get("/held/7?q=1")

    t = threading.Thread(target=run)
    t.start()
    try:
        assert inside.wait(5)
        snap = snapshot()
        stacks = snap[idents["worker"]]
        assert [c["type"] for c in stacks["app"]] == ["AppContext"]
        assert stacks["app"][0]["app"] == "globals_app"
        assert stacks["app"][0]["g"] == {"n": 7}
        (req,) = stacks["request"]
        assert req["type"] == "RequestContext"
        assert (req["method"], req["path"], req["endpoint"]) == ("GET", "/held/7", "held")
        assert req["view_args"] == {"n": 7}
        assert req["session"] == {"user": "ann"}
        assert isinstance(req["request_id"], int)
        assert threading.get_ident() not in snap  # this thread holds no context
    finally:
        leave.set()
        t.join(5)
    assert idents["worker"] not in snapshot()


def test_snapshot_is_consistent_under_concurrent_requests() -> None:
    """Whatever the moment, a thread with a request context also has its app context."""
    app = _app()
    stop = threading.Event()
    errors: list[BaseException] = []

    def hammer() -> None:
        client = app.test_client()
        try:
            while not stop.is_set():
                assert client.get("/x").status_code == 200
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for _ in range(2000):
            for stacks in snapshot().values():
                if stacks["request"]:
                    assert len(stacks["app"]) == 1
                assert len(stacks["request"]) <= 1
    finally:
        stop.set()
        for t in threads:
            t.join(5)
    assert not errors
    assert snapshot() == {}
