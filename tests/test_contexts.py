"""Context pushing and popping as Flask does it: nesting, copies, streaming, teardown."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import flask
import pytest

from engine import (
    App,
    Response,
    after_this_request,
    copy_current_request_context,
    g,
    request,
    stream_with_context,
)
from engine.events import Event
from engine.globals import depth, snapshot


def _app(**config: Any) -> tuple[App, list[Event]]:
    app = App("ctx_app")
    app.secret_key = "k"
    app.config.update(config)
    events: list[Event] = []
    app.subscribe(events.append)
    return app, events


def _kinds(events: list[Event], request_id: int | None = None) -> list[str]:
    return [e.kind for e in events if request_id is None or e.request_id == request_id]


def test_nested_test_request_context_inside_a_view() -> None:
    app, events = _app()
    torn: list[tuple[str, Any]] = []
    seen: dict[str, Any] = {}

    @app.teardown_request
    def down(exc: BaseException | None) -> None:
        torn.append((request.path, exc))

    @app.route("/outer")
    def outer() -> str:
        with app.test_request_context("/inner") as inner:
            seen["depth"] = depth()
            seen["path"] = request.path
            seen["inner_id"] = inner.request_id
            seen["stack"] = [c["path"] for c in snapshot()[threading.get_ident()]["request"]]
            seen["apps"] = len(snapshot()[threading.get_ident()]["app"])
        # The nested context has popped, with its own teardown, before the view returns.
        seen["torn_in_view"] = list(torn)
        seen["after"] = depth()
        return request.path

    response = app.test_client().get("/outer")
    assert response.data == b"/outer"
    assert seen["depth"] == {"app": 1, "request": 2}  # the app context is reused
    assert seen["path"] == "/inner"
    assert seen["stack"] == ["/outer", "/inner"]
    assert seen["apps"] == 1
    assert seen["torn_in_view"] == [("/inner", None)]
    assert seen["after"] == {"app": 1, "request": 1}
    assert torn == [("/inner", None), ("/outer", None)]
    # Events: the nested push says so, and its teardown belongs to the nested request id.
    nested = [e for e in events if e.kind == "request_ctx_pushed" and e.nested]
    assert len(nested) == 1 and nested[0].request_id == seen["inner_id"]
    assert nested[0].depth == {"app": 1, "request": 2}
    inner_kinds = _kinds(events, seen["inner_id"])
    assert "teardown_request" in inner_kinds
    assert "app_ctx_pushed" not in inner_kinds


def test_copy_current_request_context_in_another_thread() -> None:
    app, events = _app()
    result: dict[str, Any] = {}

    @app.route("/copy")
    def copy() -> str:
        g.marker = "from view"

        @copy_current_request_context
        def work() -> None:
            result["path"] = request.path
            result["depth"] = depth()
            result["ident"] = threading.get_ident()
            result["g"] = g.get("marker")

        t = threading.Thread(target=work)
        t.start()
        t.join(5)
        result["view_ident"] = threading.get_ident()
        return "ok"

    app.test_client().get("/copy?x=1")
    assert result["path"] == "/copy"
    # The copy pushes its own app context in the new thread (Flask 3.1 does the same).
    assert result["depth"] == {"app": 1, "request": 1}
    assert result["g"] is None
    assert result["ident"] != result["view_ident"]
    request_id = next(e.request_id for e in events if e.kind == "request_started")
    from_copy = [e for e in events if e.thread == result["ident"]]
    assert from_copy, "the copy's pushes and pops are reported"
    assert {e.request_id for e in from_copy} == {request_id}
    kinds = [e.kind for e in from_copy]
    assert kinds[0] == "local_set"
    assert "request_ctx_pushed" in kinds and kinds[-1] == "app_ctx_popped"
    assert "session_opened" not in kinds  # the copy shares the session already opened


def test_copy_current_request_context_matches_flask() -> None:
    # Same observable facts on real Flask: the copy sees the request, not the view's g.
    fapp = flask.Flask("f")
    out: dict[str, Any] = {}

    @fapp.route("/copy")
    def copy() -> str:
        flask.g.marker = "x"

        @flask.copy_current_request_context
        def work() -> None:
            out["path"] = flask.request.path
            out["g"] = flask.g.get("marker")

        t = threading.Thread(target=work)
        t.start()
        t.join(5)
        return "ok"

    fapp.test_client().get("/copy")
    assert out == {"path": "/copy", "g": None}


def test_copy_outside_context_fails() -> None:
    with pytest.raises(RuntimeError, match="copy_current_request_context"):
        copy_current_request_context(lambda: None)


def test_stream_with_context_keeps_the_context_for_the_body() -> None:
    app, events = _app()
    inside: list[Any] = []

    @app.teardown_request
    def down(exc: BaseException | None) -> None:
        inside.append("teardown")

    @app.route("/stream")
    def stream() -> Response:
        @stream_with_context
        def generate() -> Iterator[str]:
            for i in range(3):
                inside.append((i, request.args["q"], depth()))
                yield f"{i};"

        return Response(generate())

    response = app.test_client().get("/stream?q=z")
    assert response.data == b"0;1;2;"
    chunks = [x for x in inside if isinstance(x, tuple)]
    assert chunks == [(i, "z", {"app": 1, "request": 1}) for i in range(3)]
    assert inside[-1] == "teardown"  # the last teardown follows the last chunk
    assert inside.index((2, "z", {"app": 1, "request": 1})) < len(inside) - 1
    kinds = _kinds(events)
    assert kinds[-1] == "app_ctx_popped"
    assert kinds.index("request_finished") < kinds.index("teardown_request")
    assert depth() == {"app": 0, "request": 0}
    assert snapshot() == {}


def test_stream_with_context_closed_early_still_tears_down() -> None:
    app, _ = _app()
    torn: list[Any] = []

    @app.teardown_request
    def down(exc: BaseException | None) -> None:
        torn.append(exc)

    @app.route("/stream")
    def stream() -> Response:
        def generate() -> Iterator[str]:
            yield from ("a", "b", "c")

        return Response(stream_with_context(generate()))

    response = app.test_client().get("/stream", buffered=False)
    it = iter(response.response)
    assert next(it) == b"a"
    response.close()
    # Closing the body raises GeneratorExit inside the `with ctx:`; Flask 3.1.3 hands that to
    # its (last) teardown too.
    assert torn and isinstance(torn[-1], GeneratorExit)
    assert snapshot() == {}

    fapp = flask.Flask("f")
    ftorn: list[Any] = []
    fapp.teardown_request(ftorn.append)

    @fapp.route("/stream")
    def fstream() -> Any:
        def generate() -> Iterator[str]:
            yield from ("a", "b", "c")

        return flask.Response(flask.stream_with_context(generate()))

    fresponse = fapp.test_client().get("/stream", buffered=False)
    assert next(iter(fresponse.response)) == b"a"
    fresponse.close()
    assert type(ftorn[-1]) is type(torn[-1])


def test_stream_with_context_outside_a_request_fails() -> None:
    def gen() -> Iterator[str]:
        yield "x"

    with pytest.raises(RuntimeError, match="stream_with_context"):
        stream_with_context(gen())


@pytest.mark.parametrize("propagate", [False, True])
def test_teardown_receives_the_error(propagate: bool) -> None:
    app, events = _app(PROPAGATE_EXCEPTIONS=propagate)
    app.logger.disabled = True
    got: list[Any] = []
    app.teardown_request(lambda exc: got.append(("request", exc)))
    app.teardown_appcontext(lambda exc: got.append(("app", exc)))

    @app.route("/fail")
    def fail() -> str:
        raise ZeroDivisionError("nope")

    client = app.test_client()
    if propagate:
        with pytest.raises(ZeroDivisionError):
            client.get("/fail")
    else:
        assert client.get("/fail").status_code == 500
    assert [kind for kind, _ in got] == ["request", "app"]
    assert all(isinstance(exc, ZeroDivisionError) for _, exc in got)
    down = [e for e in events if e.kind in ("teardown_request", "teardown_appcontext")]
    assert [e.error for e in down] == ["ZeroDivisionError: nope"] * 2
    assert snapshot() == {}


def test_teardown_of_a_handled_error_gets_none() -> None:
    app, _ = _app()
    got: list[Any] = []
    app.teardown_request(got.append)

    @app.errorhandler(KeyError)
    def handled(e: KeyError) -> tuple[str, int]:
        return "handled", 400

    @app.route("/k")
    def k() -> str:
        raise KeyError("k")

    assert app.test_client().get("/k").status_code == 400
    assert got == [None]  # a handled error is not the request's error


def test_after_this_request() -> None:
    app, events = _app()
    order: list[str] = []

    @app.after_request
    def after(response: Response) -> Response:
        order.append("after_request")
        return response

    @app.route("/")
    def index() -> str:
        @after_this_request
        def first(response: Response) -> Response:
            order.append("first")
            response.headers["X-First"] = "1"
            return response

        @after_this_request
        def second(response: Response) -> Response:
            order.append("second")
            return Response("replaced", 202)

        return "original"

    response = app.test_client().get("/")
    assert order == ["first", "second", "after_request"]
    assert response.status_code == 202 and response.data == b"replaced"
    assert "X-First" not in response.headers  # the second callback replaced the response
    assert _kinds(events).count("after_this_request") == 2
    order.clear()
    app.test_client().get("/")
    assert order == ["first", "second", "after_request"]  # not carried over


def test_after_this_request_outside_context_is_flasks_error() -> None:
    with pytest.raises(RuntimeError) as flask_info:
        flask.after_this_request(lambda r: r)
    with pytest.raises(RuntimeError) as engine_info:
        after_this_request(lambda r: r)
    assert str(engine_info.value) == str(flask_info.value)


def test_popping_the_wrong_context_is_an_error() -> None:
    app, _ = _app()
    one = app.test_request_context("/1")
    two = app.test_request_context("/2")
    one.push()
    two.push()
    with pytest.raises(AssertionError, match="Popped wrong request context"):
        one.pop()
    # Clean up whatever is left so later tests start empty.
    while depth()["request"]:
        from engine.globals import _request_ctx_stack

        _request_ctx_stack.pop()
    while depth()["app"]:
        from engine.globals import _app_ctx_stack

        _app_ctx_stack.pop()
    assert snapshot() == {}


def test_app_context_signals_and_events() -> None:
    from engine import appcontext_popped, appcontext_pushed

    app, events = _app()
    seen: list[str] = []

    def pushed(sender: Any) -> None:
        seen.append("pushed")

    def popped(sender: Any) -> None:
        seen.append("popped")

    appcontext_pushed.connect(pushed, app)
    appcontext_popped.connect(popped, app)
    try:
        with app.app_context():
            assert seen == ["pushed"]
        assert seen == ["pushed", "popped"]
    finally:
        appcontext_pushed.disconnect(pushed, app)
        appcontext_popped.disconnect(popped, app)
    assert _kinds(events) == [
        "local_set",
        "app_ctx_pushed",
        "appcontext_tearing_down",
        "local_released",
        "app_ctx_popped",
    ]
    assert all(e.request_id is None for e in events)
