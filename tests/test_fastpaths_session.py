"""The session save's fast paths against Werkzeug and Flask 3.1.

``add_vary_cookie`` and ``set_session_cookie`` (engine.response_fast) must leave the headers
``response.vary.add("Cookie")`` and ``response.set_cookie(...)`` leave, warn and raise alike;
``cannot_shrink`` (engine.zlib_bound) may only ever skip a compression zlib would discard.
"""

from __future__ import annotations

import warnings
import zlib
from datetime import UTC, datetime
from typing import Any

import flask
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import Headers

import engine
from engine.response_fast import add_vary_cookie, set_session_cookie
from engine.wrappers import Response
from engine.zlib_bound import cannot_shrink
from tests.diff_apps import freeze_time
from tests.flask_version import needs_flask

# --- Vary: Cookie ------------------------------------------------------------------------------

VARY_HEADERS: list[list[tuple[str, str]]] = [
    [],
    [("X-A", "1")],
    [("Vary", "Accept")],
    [("vary", "accept-encoding")],
    [("Vary", "Cookie")],
    [("Vary", "cookie, Accept")],
    [("Vary", "")],
    [("Vary", "A"), ("X", "y"), ("Vary", "B")],
]


@pytest.mark.parametrize("initial", VARY_HEADERS)
def test_add_vary_cookie_matches_werkzeug(initial: list[tuple[str, str]]) -> None:
    fast, slow = Response("x", headers=initial), flask.Response("x", headers=initial)
    add_vary_cookie(fast)
    slow.vary.add("Cookie")
    assert list(fast.headers) == list(slow.headers)
    add_vary_cookie(fast)  # a second add changes nothing, as in Werkzeug
    slow.vary.add("Cookie")
    assert list(fast.headers) == list(slow.headers)


def test_add_vary_cookie_other_classes() -> None:
    class MyHeaders(Headers):
        pass

    class OwnVary(Response):
        @property
        def vary(self) -> Any:  # type: ignore[override]
            self.headers["X-Vary-Read"] = "1"
            return super().vary

    for fast in (Response("x", headers=MyHeaders()), OwnVary("x")):
        add_vary_cookie(fast)
        assert fast.headers.get("Vary") == "Cookie"
    assert OwnVary("x").headers.get("X-Vary-Read") is None
    own = OwnVary("x")
    add_vary_cookie(own)
    assert own.headers.get("X-Vary-Read") == "1"  # its property ran


# --- Set-Cookie --------------------------------------------------------------------------------

FROZEN_DT = datetime(2026, 11, 20, 12, 34, 56, tzinfo=UTC)

COOKIE_CASES: list[dict[str, Any]] = [
    {},
    {"httponly": True, "path": "/"},
    {"expires": FROZEN_DT},
    {"expires": 1_795_284_853},
    {"expires": "Thu, 01 Jan 2099 00:00:00 GMT"},
    {"domain": "example.com"},
    {"domain": ".Example.com:5000"},
    {"domain": "b\u00fccher.de"},
    {"domain": ""},
    {"path": None},
    {"path": "/a b;c/\u00e9"},
    {"path": ""},
    {"secure": True, "samesite": "lax"},
    {"secure": 1},  # not a bool: "Secure=1"
    {"httponly": 0},  # not a bool: "HttpOnly=0"
    {"samesite": "None", "partitioned": True},
    {"samesite": "strict"},
    {"samesite": "bogus"},  # ValueError on both sides
    {"partitioned": 1},
    {"value": 'needs "quoting"; yes'},
    {"value": "caf\u00e9"},
    {"value": ""},
    {"value": b"bytes"},  # TypeError on both sides
    {"value": "x" * 5000},  # over the size limit: warns on both sides
    {"key": "s\u00e9ssion"},
    {"key": "bad\nkey"},  # Headers refuses it on both sides
    {"expires": "bad\r\nvalue"},
]


def _cookie_outcome(response: Any, fast: bool, case: dict[str, Any]) -> Any:
    args = {
        "key": "session",
        "value": "eyJ2IjoxfQ.aRp7dQ.abc-_def",
        "expires": None,
        "httponly": False,
        "domain": None,
        "path": "/",
        "secure": False,
        "partitioned": False,
        "samesite": None,
        **case,
    }
    key, value = args.pop("key"), args.pop("value")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if fast:
                set_session_cookie(response, key, value, **args)
            else:
                response.set_cookie(key, value, **args)
        except Exception as e:  # the same exception on both sides
            return ("raised", type(e), str(e))
    return list(response.headers), [str(w.message) for w in caught]


@pytest.mark.parametrize("case", COOKIE_CASES)
def test_set_session_cookie_matches_werkzeug(case: dict[str, Any]) -> None:
    for _ in range(2):  # the second time from the cache of fixed parts
        assert _cookie_outcome(Response("x"), True, case) == _cookie_outcome(
            flask.Response("x"), False, case
        )


def test_set_session_cookie_respects_max_cookie_size() -> None:
    app = engine.App("size")
    app.config["MAX_COOKIE_SIZE"] = 40
    with app.app_context():
        fast = _cookie_outcome(Response("x"), True, {})
    slow = _cookie_outcome(type("R", (flask.Response,), {"max_cookie_size": 40})("x"), False, {})
    assert fast == slow
    assert fast[1]  # it warned


def test_set_session_cookie_other_classes() -> None:
    calls: list[str] = []

    class OwnSetCookie(Response):
        def set_cookie(self, *args: Any, **kwargs: Any) -> None:
            calls.append("set_cookie")
            super().set_cookie(*args, **kwargs)

    response = OwnSetCookie("x")
    set_session_cookie(response, "session", "v", None, True, None, "/", False, False, None)
    assert calls == ["set_cookie"]
    assert response.headers["Set-Cookie"] == "session=v; HttpOnly; Path=/"


# --- whole requests against Flask --------------------------------------------------------------


SESSION_CONFIGS: list[Any] = [
    {},
    {"SESSION_COOKIE_DOMAIN": "example.com", "SESSION_COOKIE_SAMESITE": "Lax"},
    pytest.param(
        {"SESSION_COOKIE_SECURE": True, "SESSION_COOKIE_PARTITIONED": True},
        marks=needs_flask((3, 1), "SESSION_COOKIE_PARTITIONED is new in Flask 3.1"),
    ),
    {"SESSION_COOKIE_HTTPONLY": False, "SESSION_COOKIE_PATH": "/app"},
    {"SESSION_COOKIE_NAME": "sid", "APPLICATION_ROOT": "/root"},
]


@pytest.mark.parametrize("config", SESSION_CONFIGS)
@pytest.mark.parametrize("permanent", [False, True])
@pytest.mark.parametrize("payload", ["small", "repetitive", "large", "clear", "read"])
def test_session_requests_match_flask(
    monkeypatch: pytest.MonkeyPatch, config: dict[str, Any], permanent: bool, payload: str
) -> None:
    freeze_time(monkeypatch)

    def build(mod: Any, cls: Any) -> Any:
        app = cls("sess")
        app.secret_key = "fast-paths"
        app.config.update(config)

        @app.route("/set")
        def set_() -> str:
            mod.session.permanent = permanent
            if payload == "small":
                mod.session["n"] = 1
            elif payload == "repetitive":
                mod.session["token"] = "ab" * 30
            elif payload == "large":
                mod.session["items"] = [{"i": i, "name": f"item {i}"} for i in range(40)]
            elif payload == "read":
                return str(mod.session.get("n"))
            else:
                mod.session["n"] = 1
                mod.session.clear()
            return "ok"

        @app.route("/plain")
        def plain() -> str:
            return "no session"

        return app

    for path in ("/set", "/plain"):
        e = build(engine, engine.App).test_client().get(path, headers={"Host": "example.com"})
        f = build(flask, flask.Flask).test_client().get(path, headers={"Host": "example.com"})
        assert (e.status, list(e.headers), e.data) == (f.status, list(f.headers), f.data)


# --- the compression bound ---------------------------------------------------------------------


def test_cannot_shrink_examples() -> None:
    assert cannot_shrink(b"")
    assert cannot_shrink(b'{"visits":15000}')
    assert not cannot_shrink(b'{"token":"abababababababababab"}')  # repeats
    assert not cannot_shrink(b"x" * 65)  # longer than the bound looks at
    for data in (b'{"visits":15000}', b"{}", b'{"a":1}'):
        assert len(zlib.compress(data)) >= len(data) - 1


@settings(max_examples=3000, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=80),
        st.text(alphabet='{}":,_abcdefghijklmnopqrstuvwxyz0123456789', max_size=80).map(str.encode),
        st.text(alphabet="ab", max_size=20).map(str.encode),
    )
)
def test_cannot_shrink_is_never_wrong(data: bytes) -> None:
    if cannot_shrink(data):
        assert len(zlib.compress(data)) >= len(data) - 1
