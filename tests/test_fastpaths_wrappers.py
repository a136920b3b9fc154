"""The request/response fast paths (engine.wrappers_fast) against Werkzeug and Flask.

Each fast path must leave exactly what Werkzeug's general code leaves (attributes in the same
order, headers in the same order, the same WSGI triple) and step aside, to the general code,
in every case it does not cover: those cases are listed here too.
"""

from __future__ import annotations

from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import flask
import pytest
from werkzeug.datastructures import Headers, ImmutableMultiDict, MultiDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse
from werkzeug.wsgi import ClosingIterator

import engine
from engine.wrappers import Request, Response
from engine.wrappers_fast import environ_cookie_values


def _state(response: Any) -> list[tuple[str, Any]]:
    """A response's attributes, in order, with the headers as their list."""
    out = []
    for key, value in vars(response).items():
        if isinstance(value, Headers):
            value = (type(value), list(value))
        out.append((key, value))
    return out


# --- Response.__init__ ------------------------------------------------------------------------

INIT_CASES: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("hello",), {}),
    ((b"hello",), {}),
    (("",), {}),
    (("h\u00e9llo \u2603",), {}),
    ((bytearray(b"ba"),), {}),  # not str/bytes: general path
    ((None,), {}),
    ((["a", b"b"],), {}),
    ((iter([b"x"]),), {}),
    (("x",), {"status": 201}),
    (("x",), {"status": 599}),  # unknown code
    (("x",), {"status": 0}),
    (("x",), {"status": True}),  # bool: general path
    (("x",), {"status": "404"}),
    (("x",), {"status": "418 I'm a teapot"}),
    (("x",), {"status": HTTPStatus.ACCEPTED}),
    (("x",), {"headers": {"X-A": "1"}}),
    (("x",), {"headers": [("Content-Type", "text/plain")]}),
    (("x",), {"headers": Headers([("X-B", "2")])}),
    (("x",), {"mimetype": "application/json"}),
    (("x",), {"content_type": "text/plain; charset=latin-1"}),
    (("x",), {"direct_passthrough": True}),
]


@pytest.mark.parametrize(("args", "kwargs"), INIT_CASES)
def test_response_init_matches_flask(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    def make(cls: type) -> Any:
        kw = dict(kwargs)
        if isinstance(kw.get("headers"), Headers):
            kw["headers"] = Headers(kw["headers"])  # each side its own object
        body = args[0]
        if isinstance(body, Iterator):
            body = iter([b"x"])
        return cls(body, *args[1:], **kw)

    engine_resp, flask_resp = make(Response), make(flask.Response)
    e_state, f_state = _state(engine_resp), _state(flask_resp)
    if isinstance(args[0], Iterator):
        e_state = [(k, v) for k, v in e_state if k != "response"]
        f_state = [(k, v) for k, v in f_state if k != "response"]
    assert e_state == f_state


class _Plain(Response):
    default_mimetype = "text/plain"


class _NoMime(Response):
    default_mimetype = None  # type: ignore[assignment]


class _BadMime(Response):
    default_mimetype = "text/x\nbad"


class _NoLength(Response):
    automatically_set_content_length = False


class _StrStatus(Response):
    default_status = "202 Accepted"  # type: ignore[assignment]


class _OwnSetData(Response):
    def set_data(self, value: Any) -> None:
        WerkzeugResponse.set_data(self, value)  # not super(): _reference copies this method
        self.headers["X-Set-Data"] = "1"


class _OwnStatus(Response):
    @property
    def status(self) -> str:  # type: ignore[override]
        return self._status

    @status.setter
    def status(self, value: Any) -> None:
        self._status, self._status_code = "299 MINE", 299


def _reference(cls: type) -> type:
    """The same subclass, built on Werkzeug's Response (no fast path anywhere)."""
    attrs = {k: v for k, v in vars(cls).items() if not k.startswith("__")}
    attrs.pop("_fast_init", None)
    attrs.pop("_fast_wsgi", None)
    return type(cls.__name__, (WerkzeugResponse,), {"default_mimetype": "text/html", **attrs})


@pytest.mark.parametrize("cls", [_Plain, _NoMime, _NoLength, _StrStatus, _OwnSetData, _OwnStatus])
@pytest.mark.parametrize("body", ["text", b"bytes"])
def test_response_subclasses_match_werkzeug(cls: type, body: Any) -> None:
    assert _state(cls(body)) == _state(_reference(cls)(body))


def test_response_subclass_flags() -> None:
    assert Response._fast_init and Response._fast_wsgi
    assert _Plain._fast_init and _NoLength._fast_init
    assert not _OwnSetData._fast_init
    assert not _OwnStatus._fast_init and not _OwnStatus._fast_wsgi


def test_bad_default_mimetype_raises_like_werkzeug() -> None:
    with pytest.raises(ValueError) as engine_error:
        _BadMime("x")
    with pytest.raises(ValueError) as werkzeug_error:
        _reference(_BadMime)("x")
    assert str(engine_error.value) == str(werkzeug_error.value)


# --- Response.get_wsgi_response -----------------------------------------------------------------


def _wsgi(response: Any, method: str = "GET") -> tuple[Any, ...]:
    environ = EnvironBuilder(method=method, path="/x").get_environ()
    app_iter, status, headers = response.get_wsgi_response(environ)
    kind = type(app_iter)
    callbacks = len(app_iter._callbacks) if isinstance(app_iter, ClosingIterator) else None
    body = b"".join(app_iter)
    close = getattr(app_iter, "close", None)
    if close is not None:
        close()
    return kind, callbacks, status, headers, body


WSGI_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("hello", {}, "GET"),
    ("hello", {}, "HEAD"),
    ("", {"status": 204}, "GET"),
    ("", {"status": 304}, "GET"),
    ("", {"status": 101}, "GET"),
    ("moved", {"status": 302, "headers": {"Location": "/t\u00e9st"}}, "GET"),
    ("moved", {"headers": {"content-location": "/caf\u00e9"}}, "GET"),
    ("x", {"headers": {"X-Multi": ["a", "b"]}}, "GET"),
    ("x", {"status": 500}, "GET"),
    ("x", {"direct_passthrough": True}, "GET"),
]


@pytest.mark.parametrize(("body", "kwargs", "method"), WSGI_CASES)
def test_wsgi_response_matches_flask(body: Any, kwargs: dict[str, Any], method: str) -> None:
    assert _wsgi(Response(body, **kwargs), method) == _wsgi(flask.Response(body, **kwargs), method)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_wsgi_response_without_content_length(method: str) -> None:
    # A generator body: no Content-Length, Werkzeug's path computes nothing (not a sequence).
    def gen() -> Iterator[bytes]:
        yield b"a"
        yield b"bc"

    assert _wsgi(Response(gen()), method) == _wsgi(flask.Response(gen()), method)
    # A list body whose Content-Length was removed: Werkzeug's path adds it back.
    e, f = Response(["ab", b"c"]), flask.Response(["ab", b"c"])
    for r in (e, f):
        del r.headers["Content-Length"]
    assert _wsgi(e, method) == _wsgi(f, method)


def test_wsgi_response_after_header_edits() -> None:
    def edited(cls: type) -> Any:
        r = cls("body")
        r.headers["X-Bench"] = "1"
        r.headers.add("Set-Cookie", "a=b; Path=/")
        r.vary.add("Cookie")
        r.status_code = 201
        return r

    assert _wsgi(edited(Response)) == _wsgi(edited(flask.Response))


def test_wsgi_response_custom_headers_class() -> None:
    class MyHeaders(Headers):
        pass

    e = Response("x", headers=MyHeaders([("X-A", "1")]))
    f = flask.Response("x", headers=MyHeaders([("X-A", "1")]))
    assert _wsgi(e) == _wsgi(f)


def test_wsgi_response_subclass_hooks_are_called() -> None:
    class Extra(Response):
        def get_wsgi_headers(self, environ: Any) -> Headers:
            headers = super().get_wsgi_headers(environ)
            headers["X-Extra"] = "1"
            return headers

    assert not Extra._fast_wsgi
    _, _, _, headers, _ = _wsgi(Extra("x"))
    assert ("X-Extra", "1") in headers


def test_closing_iterator_matches_werkzeug() -> None:
    environ = EnvironBuilder(path="/").get_environ()
    e_iter, _, _ = Response("abc").get_wsgi_response(environ)
    f_iter, _, _ = flask.Response("abc").get_wsgi_response(environ)
    assert type(e_iter) is type(f_iter) is ClosingIterator
    assert list(vars(e_iter)) == list(vars(f_iter))
    assert [getattr(cb, "__name__", None) for cb in e_iter._callbacks] == [
        getattr(cb, "__name__", None) for cb in f_iter._callbacks
    ]
    assert list(e_iter) == list(f_iter) == [b"abc"]
    closed: list[str] = []
    r = Response("abc")
    r.call_on_close(lambda: closed.append("closed"))
    it, _, _ = r.get_wsgi_response(environ)
    it.close()
    assert closed == ["closed"]


def test_engine_app_round_trip_matches_flask() -> None:
    def build(mod: Any, cls: Any) -> Any:
        app = cls("fp")

        @app.route("/t")
        def t() -> Any:
            return "text"

        @app.route("/b")
        def b() -> Any:
            return b"bytes", 203

        @app.route("/l")
        def loc() -> Any:
            return "", 301, {"Location": "/t"}

        return app

    for path in ("/t", "/b", "/l", "/missing"):
        for method in ("GET", "HEAD", "OPTIONS"):
            e = build(engine, engine.App).test_client().open(path, method=method)
            f = build(flask, flask.Flask).test_client().open(path, method=method)
            assert (e.status, list(e.headers), e.data) == (f.status, list(f.headers), f.data)


# --- Request.cookies ---------------------------------------------------------------------------


def _environ(**extra: Any) -> dict[str, Any]:
    environ = EnvironBuilder(path="/").get_environ()
    environ.update(extra)
    return environ


COOKIE_ENVIRONS: list[dict[str, Any]] = [
    {},
    {"HTTP_COOKIE": "a=1; b=2"},
    {"HTTP_COOKIE": ""},
    {"HTTP_COOKIE": 'q="x\\"y"; a=1; a=2'},
    {"HTTP_cookie": "lower=1"},
    {"HTTP_COOKIE": "a=1", "HTTP_Cookie": "b=2"},
    {"HTTP_COO\u212aIE": "kelvin=1"},  # the Kelvin sign lowercases to "k"
    {"HTTP_COOKIE": "a=1", "X_\u00e9": "non-ascii key, no match"},
    {"HTTP_CONTENT_TYPE": "text/plain", "HTTP_COOKIE": "c=3"},
    {"HTTP_X_HTTP_COOKIE": "not=it", "HTTP_COOKIES": "nor=this"},
]


@pytest.mark.parametrize("extra", COOKIE_ENVIRONS)
def test_cookies_match_werkzeug(extra: dict[str, Any]) -> None:
    environ = _environ(**extra)
    engine_cookies = Request(dict(environ)).cookies
    werkzeug_cookies = WerkzeugRequest(dict(environ)).cookies
    assert type(engine_cookies) is type(werkzeug_cookies) is ImmutableMultiDict
    assert list(engine_cookies.items(multi=True)) == list(werkzeug_cookies.items(multi=True))


def test_cookie_values_fallbacks() -> None:
    from werkzeug.datastructures import EnvironHeaders

    class Env(dict):  # type: ignore[type-arg]
        pass

    assert environ_cookie_values(Env(HTTP_COOKIE="a=1")) is None
    assert environ_cookie_values({b"HTTP_COOKIE": "a=1"}) is None
    # A non-str key: Werkzeug's own iteration decides, and fails as it always did.
    environ = _environ(HTTP_COOKIE="a=1")
    environ[b"bytes"] = "x"  # type: ignore[index]
    with pytest.raises(TypeError):
        EnvironHeaders(environ).getlist("Cookie")
    with pytest.raises(TypeError):
        Request(environ).cookies  # noqa: B018


def test_cookies_with_custom_headers() -> None:
    class MyRequest(Request):
        def __init__(self, environ: Any) -> None:
            super().__init__(environ)
            self.headers = Headers([("Cookie", "from=headers")])  # type: ignore[assignment]

    assert MyRequest(_environ(HTTP_COOKIE="from=environ")).cookies.to_dict() == {"from": "headers"}


def test_request_close_closes_files() -> None:
    closed: list[str] = []

    class File:
        def close(self) -> None:
            closed.append("f")

    request = Request(_environ())
    request.close()  # nothing parsed: nothing to close
    request.__dict__["files"] = MultiDict([("a", File()), ("a", File())])
    request.close()
    assert closed == ["f", "f"]


# --- parsing the Cookie header -----------------------------------------------------------------

COOKIE_HEADERS = [
    "",
    "a=1",
    "session=eyJ2IjoxfQ.aRp7dQ.abc-_def",
    "a=1; b=2",
    " a = 1 ;b=2;  ",
    "a=1;;b=2",
    "flag; a=1",
    "a=b=c",
    "=novalue; k=v",
    "a=1; a=2",
    "a=b c; d=1",
    'q="x\\"y"; a=1',  # quoted: Werkzeug's parser
    "a=1\t; b=2",  # a tab: Werkzeug's parser
    "caf\u00e9=1",  # non-ASCII: Werkzeug's parser
    "a=\\054",
]


@pytest.mark.parametrize("header", COOKIE_HEADERS)
def test_request_cookies_match_werkzeug(header: str) -> None:
    from werkzeug.sansio.http import parse_cookie

    expected = list(parse_cookie(header, cls=ImmutableMultiDict).items(multi=True))
    environ = _environ(HTTP_COOKIE=header)
    cookies = Request(environ).cookies
    assert type(cookies) is ImmutableMultiDict
    assert list(cookies.items(multi=True)) == expected


# --- Request.__init__ --------------------------------------------------------------------------


def _request_state(request: Any) -> list[tuple[str, Any]]:
    out = []
    for key, value in vars(request).items():
        if key == "headers":
            value = (type(value), value.environ is request.environ)
        elif key == "environ":
            value = {k: v for k, v in value.items() if k != "werkzeug.request"}
        out.append((key, value))
    return out


REQUEST_ENVIRONS: list[dict[str, Any]] = [
    {},
    {"PATH_INFO": "//a/b/", "SCRIPT_NAME": "/root//", "QUERY_STRING": "x=1&y=%20"},
    {"PATH_INFO": "/caf\u00c3\u00a9", "SCRIPT_NAME": "/r\u00c3\u00a9"},  # tunnelled UTF-8
    {"PATH_INFO": "/\u00ff\u00fe"},  # invalid UTF-8: replaced
    {"REQUEST_METHOD": "post", "wsgi.url_scheme": "https", "REMOTE_ADDR": "10.0.0.1"},
    {"SERVER_PORT": "not-a-port"},
    {"SERVER_NAME": None},
    {"PATH_INFO": "", "SCRIPT_NAME": ""},
]


@pytest.mark.parametrize("extra", REQUEST_ENVIRONS)
@pytest.mark.parametrize(("populate", "shallow"), [(True, False), (False, False), (True, True)])
def test_request_init_matches_werkzeug(
    extra: dict[str, Any], populate: bool, shallow: bool
) -> None:
    environ = _environ(**extra)
    for drop in ("REQUEST_METHOD", "QUERY_STRING", "REMOTE_ADDR"):
        if extra.get(drop) is None and drop in extra:
            environ.pop(drop)
    e_env, w_env = dict(environ), dict(environ)
    engine_request = Request(e_env, populate_request=populate, shallow=shallow)
    werkzeug_request = WerkzeugRequest(w_env, populate_request=populate, shallow=shallow)
    assert _request_state(engine_request) == _request_state(werkzeug_request)
    assert (e_env.get("werkzeug.request") is engine_request) == (
        w_env.get("werkzeug.request") is werkzeug_request
    )


@pytest.mark.parametrize(
    "extra",
    [
        {"QUERY_STRING": "\u20ac"},  # not latin-1
        {"PATH_INFO": "/\u20ac"},
        {"REQUEST_METHOD": None},
        {"SCRIPT_NAME": b"/bytes"},
    ],
)
def test_request_init_raises_like_werkzeug(extra: dict[str, Any]) -> None:
    environ = _environ(**extra)
    with pytest.raises(Exception) as engine_error:
        Request(dict(environ))
    with pytest.raises(Exception) as werkzeug_error:
        WerkzeugRequest(dict(environ))
    assert type(engine_error.value) is type(werkzeug_error.value)
    assert str(engine_error.value) == str(werkzeug_error.value)


def test_request_subclass_with_own_attributes() -> None:
    class Own(Request):
        @property
        def scheme(self) -> str:  # type: ignore[override]
            return "gopher"

        @scheme.setter
        def scheme(self, value: str) -> None:
            pass

    assert Request._fast_init and not Own._fast_init
    assert Own(_environ()).scheme == "gopher"
