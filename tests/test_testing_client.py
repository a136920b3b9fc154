"""The engine's test client behaves as Flask's: session transactions, preserved contexts,
app-aware URLs and JSON, the same default environ."""

from __future__ import annotations

import sys
from typing import Any

import flask
import pytest

import engine


def _build(mod: Any, app_class: Any) -> Any:
    app = app_class("client_app")
    app.secret_key = "client-secret"
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/who")
    def who() -> Any:
        return {
            "user": mod.session.get("user"),
            "remote": mod.request.remote_addr,
            "agent": mod.request.user_agent.string.split("/")[0],
            "url": mod.request.url,
        }

    @app.route("/echo", methods=["POST"])
    def echo() -> Any:
        mod.g.seen = mod.request.get_json()
        return mod.jsonify(mod.request.get_json())

    return app


@pytest.mark.parametrize(("mod", "app_class"), [(flask, flask.Flask), (engine, engine.App)])
def test_client_features_match_flask(mod: Any, app_class: Any) -> None:
    app = _build(mod, app_class)
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["user"] = "ann"
    data = client.get("/who").get_json()
    assert data == {
        "user": "ann",
        "remote": "127.0.0.1",
        "agent": "Werkzeug",
        "url": "http://example.test/who",
    }
    with client:
        response = client.post("/echo", json={"b": 1, "a": [1, 2]})
        assert response.data == b'{"a":[1,2],"b":1}\n'
        # Inside the block the request's contexts are still there after the response.
        assert mod.request.path == "/echo"
        assert mod.g.seen == {"b": 1, "a": [1, 2]}
    assert not mod.has_request_context()
    with client.session_transaction() as sess:
        assert sess["user"] == "ann"


@pytest.mark.parametrize(("mod", "views"), [(flask, "flask.views"), (engine, "engine.views")])
def test_class_based_views_match_flask(mod: Any, views: str) -> None:
    import importlib

    v = importlib.import_module(views)

    class Counter(v.MethodView):
        def get(self, n: int) -> Any:
            return {"n": n, "method": mod.request.method}

        def post(self, n: int) -> Any:
            return {"n": n + 1}

    class Hello(v.View):
        init_every_request = False

        def dispatch_request(self, name: str) -> str:
            return f"hello {name}"

    app = mod.Flask("cbv") if mod is flask else mod.App("cbv")
    app.add_url_rule("/count/<int:n>", view_func=Counter.as_view("count"))
    app.add_url_rule("/hello/<name>", view_func=Hello.as_view("hello"))
    client = app.test_client()
    assert client.get("/count/2").get_json() == {"n": 2, "method": "GET"}
    assert client.post("/count/2").get_json() == {"n": 3}
    head = client.head("/count/2")
    assert head.status_code == 200 and head.data == b""
    assert client.delete("/count/2").status_code == 405
    assert sorted(client.options("/count/2").allow) == ["GET", "HEAD", "OPTIONS", "POST"]
    assert client.get("/hello/ada").data == b"hello ada"


@pytest.mark.parametrize(("mod", "app_class"), [(flask, flask.Flask), (engine, engine.App)])
def test_async_views_need_asgiref_like_flask(
    mod: Any, app_class: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_class("async_app")

    @app.route("/")
    async def index() -> str:
        return "async hello"

    # With asgiref (the test extra installs it) the coroutine view runs...
    assert app.test_client().get("/").data == b"async hello"
    # ...without it, Flask's own error, as a 500.
    monkeypatch.setitem(sys.modules, "asgiref.sync", None)
    errors: list[BaseException] = []
    mod.got_request_exception.connect(
        lambda sender, exception, **kw: errors.append(exception), app, weak=False
    )
    assert app.test_client().get("/").status_code == 500
    assert str(errors[0]) == "Install Flask with the 'async' extra in order to use async views."
