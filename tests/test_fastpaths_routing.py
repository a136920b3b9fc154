"""``create_url_adapter``'s fast binding (engine.routing_fast) against Werkzeug and Flask.

For every environ, the engine's adapter must equal the one Werkzeug's ``bind_to_environ``
builds (and the one Flask 3.1's ``create_url_adapter`` builds), or both must raise the same.
"""

from __future__ import annotations

from typing import Any

import flask
import pytest
from werkzeug.routing import Map, MapAdapter, Rule
from werkzeug.sansio.utils import host_is_trusted
from werkzeug.test import EnvironBuilder

import engine
from engine.routing_fast import bind_request
from tests.flask_version import FLASK_VERSION


def _adapter_state(adapter: MapAdapter) -> dict[str, Any]:
    state = dict(vars(adapter))
    state.pop("map")
    return state


def _env(**overrides: Any) -> dict[str, Any]:
    environ = EnvironBuilder(path="/hello/ann").get_environ()
    environ.update(overrides)
    return {k: v for k, v in environ.items() if v is not _DROP}


_DROP = object()

ENVIRONS: list[dict[str, Any]] = [
    {},
    {"HTTP_HOST": "Example.COM:8080"},
    {"HTTP_HOST": "example.com:80"},
    {"HTTP_HOST": "example.com:443", "wsgi.url_scheme": "https"},
    {"HTTP_HOST": "[::1]:5000"},
    {"HTTP_HOST": "bad host!"},  # invalid characters: the host is ""
    {"HTTP_HOST": _DROP, "SERVER_NAME": "srv.local", "SERVER_PORT": "8000"},
    {"HTTP_HOST": _DROP, "SERVER_NAME": "::1", "SERVER_PORT": "80"},
    {"HTTP_HOST": _DROP, "SERVER_NAME": "/tmp/sock", "SERVER_PORT": ""},
    {"HTTP_HOST": "a." + "b" * 64 + ".com"},  # a label IDNA refuses: BadHost
    {"HTTP_HOST": "a..com"},  # an empty label
    {"HTTP_HOST": "x" * 64},  # the last label too long
    {"SCRIPT_NAME": "/root", "PATH_INFO": "/caf\u00c3\u00a9"},  # latin-1 tunnelled UTF-8
    {"PATH_INFO": "/\u20ac"},  # not latin-1: the decoding dance raises
    {"PATH_INFO": _DROP, "SCRIPT_NAME": _DROP, "QUERY_STRING": _DROP},
    {"QUERY_STRING": "a=1&b=%C3%A9"},
    {"HTTP_CONNECTION": "keep-alive, Upgrade", "HTTP_UPGRADE": "websocket"},
    {"HTTP_CONNECTION": "upgrade", "HTTP_UPGRADE": "WebSocket", "wsgi.url_scheme": "https"},
    {"HTTP_CONNECTION": "upgrade", "HTTP_UPGRADE": "h2c"},
    {"HTTP_CONNECTION": None},  # Werkzeug calls None.lower(): AttributeError on both sides
    {"REQUEST_METHOD": "post"},
    {"REQUEST_METHOD": _DROP},
]


def _outcome(fn: Any) -> Any:
    try:
        return ("ok", _adapter_state(fn()))
    except Exception as e:
        return ("raised", type(e), str(e))


@pytest.mark.parametrize("overrides", ENVIRONS)
@pytest.mark.parametrize("subdomain", ["", None, "www"])
@pytest.mark.parametrize("host_matching", [False, True])
def test_bind_request_matches_bind_to_environ(
    overrides: dict[str, Any], subdomain: str | None, host_matching: bool
) -> None:
    from werkzeug.wsgi import get_host

    url_map = Map([Rule("/hello/<name>", endpoint="hello")], host_matching=host_matching)
    environ = _env(**overrides)
    try:
        host = get_host(environ)
    except Exception:
        pytest.skip("no host to start from: create_url_adapter raised before binding")

    def fast() -> MapAdapter:
        adapter = bind_request(url_map, environ, host, subdomain)
        if adapter is None:
            return url_map.bind_to_environ(environ, server_name=None, subdomain=subdomain)
        return adapter

    assert _outcome(fast) == _outcome(
        lambda: url_map.bind_to_environ(environ, server_name=None, subdomain=subdomain)
    )


def test_bind_request_steps_aside() -> None:
    class MyMap(Map):
        def bind(self, *args: Any, **kwargs: Any) -> MapAdapter:
            return super().bind(*args, **kwargs)

    class Env(dict):  # type: ignore[type-arg]
        pass

    environ = _env()
    assert bind_request(MyMap(), environ, "localhost", "") is None
    assert bind_request(Map(), Env(environ), "localhost", "") is None
    assert bind_request(Map(), _env(PATH_INFO="/caf\u00e9"), "localhost", "") is not None
    assert bind_request(Map(), environ, "a..b", "") is None  # IDNA refuses it


def _apps(**config: Any) -> tuple[Any, Any]:
    def build(cls: Any) -> Any:
        app = cls("routing_fast")
        app.config.update(config)

        @app.route("/hello/<name>")
        def hello(name: str) -> str:
            return name

        return app

    return build(flask.Flask), build(engine.App)


CONFIGS: list[dict[str, Any]] = [
    {},
    {"SERVER_NAME": "example.com"},
    {"SERVER_NAME": "example.com:80"},
    {"TRUSTED_HOSTS": ["example.com", ".example.org"]},
    {"TRUSTED_HOSTS": []},
]


def _new_in_flask_31(config: dict[str, Any], host: str, subdomain_matching: bool) -> str | None:
    """Why Flask 3.0's create_url_adapter answers this case unlike 3.1's, if it does."""
    trusted = config.get("TRUSTED_HOSTS")
    if trusted and not host_is_trusted(host, trusted):
        return "TRUSTED_HOSTS is new in Flask 3.1 (3.0 does not refuse an untrusted host)"
    server_name = config.get("SERVER_NAME")
    elsewhere = server_name and host.lower().removesuffix(":80") != server_name.removesuffix(":80")
    if elsewhere and not subdomain_matching:
        return (
            "Flask 3.1's SERVER_NAME no longer limits routing to its host (no subdomain_matching)"
        )
    return None


# bind_to_environ warns about a host that does not match SERVER_NAME, on both sides alike.
@pytest.mark.filterwarnings("ignore:Current server name")
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize(
    "host",
    ["localhost", "example.com", "sub.example.org", "EXAMPLE.com:80", "evil.com", "bad host", None],
)
@pytest.mark.parametrize("subdomain_matching", [False, True])
def test_create_url_adapter_matches_flask(
    config: dict[str, Any], host: str | None, subdomain_matching: bool
) -> None:
    if FLASK_VERSION < (3, 1) and (
        reason := _new_in_flask_31(config, host or "localhost", subdomain_matching)
    ):
        pytest.skip(reason)
    flask_app, engine_app = _apps(**config)
    flask_app.subdomain_matching = subdomain_matching
    engine_app.subdomain_matching = subdomain_matching
    headers = {} if host is None else {"Host": host}
    environ = EnvironBuilder(path="/hello/ann", headers=headers).get_environ()

    def run(app: Any, request_class: Any) -> Any:
        request = request_class(dict(environ))
        try:
            adapter = app.create_url_adapter(request)
        except Exception as e:
            return ("raised", type(e), str(e))
        try:
            match = adapter.match(return_rule=True)
            matched: Any = (match[0].rule, match[1])
        except Exception as e:
            matched = ("raised", type(e), str(e))
        return ("ok", _adapter_state(adapter), request.host, matched)

    assert run(engine_app, engine.App.request_class) == run(flask_app, flask.Flask.request_class)


def test_host_matching_app_matches_flask() -> None:
    def build(cls: Any) -> Any:
        if cls is flask.Flask:
            app = cls("hm", host_matching=True, static_host="static.test")
        else:
            app = cls("hm")
            app.url_map.host_matching = True
        app.add_url_rule("/x", "x", lambda: "x", host="a.test")
        return app

    for host in ("a.test", "b.test"):
        environ = EnvironBuilder(path="/x", headers={"Host": host}).get_environ()
        f = build(flask.Flask)
        e = build(engine.App)
        fa = f.create_url_adapter(flask.Flask.request_class(dict(environ)))
        ea = e.create_url_adapter(engine.App.request_class(dict(environ)))
        assert _adapter_state(ea) == _adapter_state(fa)
