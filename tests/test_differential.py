"""The engine against real Flask 3.1: same app, same requests, same everything.

Every case sends one request to the Flask-built app and the engine-built app and compares the
status line, the headers in order, the body and the log of hooks, signals and session steps.
Time is frozen for both, so signed cookies are byte-identical.
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.diff_apps import (
    ENGINE,
    FLASK,
    FROZEN,
    REFERENCE_ORDER,
    build,
    call,
    disconnect,
    freeze_time,
    session_cookie,
)


class Pair:
    """The same app on both frameworks, with their logs."""

    def __init__(self, **options: Any) -> None:
        self.flask_log: list[str] = []  # what the Flask app's hooks saw
        self.engine_log: list[str] = []  # what the engine app's hooks saw
        self.flask = build(FLASK, self.flask_log, **options)  # real Flask 3.1
        self.engine = build(ENGINE, self.engine_log, **options)  # the engine

    def both(self, method: str, path: str, **kwargs: Any) -> tuple[Any, Any, list[str]]:
        """Send the request to both; assert they agree; return (flask, engine, log)."""
        self.flask_log.clear()
        self.engine_log.clear()
        f = call(self.flask, method, path, **kwargs)
        e = call(self.engine, method, path, **kwargs)
        assert e[0] == f[0], f"status for {method} {path}"
        assert e[1] == f[1], f"headers for {method} {path}"
        assert e[2] == f[2], f"body for {method} {path}"
        assert self.engine_log == self.flask_log, f"hook/signal order for {method} {path}"
        return f, e, list(self.flask_log)

    def close(self) -> None:
        disconnect(self.flask)
        disconnect(self.engine)


@pytest.fixture
def pair(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pair]:
    freeze_time(monkeypatch)
    p = Pair()
    yield p
    p.close()


CASES = [
    ("GET", "/"),
    ("HEAD", "/"),
    ("OPTIONS", "/"),
    ("OPTIONS", "/multi"),
    ("GET", "/?short=app%232"),
    ("GET", "/parent/?short=parent%231"),
    ("GET", "/parent/child/fr/page?short=child%232"),
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
    ("GET", "/parent/child/abort/410"),
    ("GET", "/parent/child/abort/409"),
    ("GET", "/parent/child/boom"),
    ("GET", "/no/such/page"),
    ("GET", "/post-only"),
    ("PUT", "/post-only"),
    ("POST", "/multi"),
    ("DELETE", "/multi"),
    ("GET", "/slash"),
    ("GET", "/slash?x=1"),
    ("GET", "/slash/"),
    ("GET", "/parent"),
    ("GET", "/session/untouched"),
    ("GET", "/session/read"),
    ("GET", "/session/set?user=ann&role=admin"),
    ("GET", "/session/permanent"),
    ("GET", "/session/clear"),
    ("GET", "/session/big"),
    pytest.param(
        "GET", "/stream?x=s",
        marks=pytest.mark.xfail(strict=True, reason="engine-bugs.md #3"),
    ),
    ("GET", "/nested"),
    ("GET", "/abort-response"),
    ("GET", "/?raise=app%232"),
    ("GET", "/parent/child/fr/page?raise=child%231"),
    ("GET", "/?after_raise=app%232"),
    ("GET", "/parent/child/fr/page?after_raise=parent%231"),
]


@pytest.mark.parametrize(("method", "path"), CASES)
def test_same_response_and_order(pair: Pair, method: str, path: str) -> None:
    pair.both(method, path)


@pytest.mark.parametrize("kind", [
    "str", "bytes", "dict", "list", "tuple3", "tuple2_status", "tuple2_headers", "tuple_dict",
    "response", "make_response", "jsonify", "jsonify_list", "redirect", "redirect_301",
    "iterator", "url_for",
])
def test_return_forms(pair: Pair, kind: str) -> None:
    pair.both("GET", f"/ret/{kind}")


def test_before_request_short_circuits(pair: Pair) -> None:
    f, _, log = pair.both("GET", "/parent/child/fr/page?short=parent%231")
    assert f[0] == "299 UNKNOWN"
    assert f[2] == b"short-circuited by parent#1"
    assert "before_request parent#2" not in log
    assert not [x for x in log if x.startswith("view")]
    assert "after_request child#2 299" in log  # every level's after_request still runs


def test_error_in_after_request_with_propagation_off(pair: Pair) -> None:
    f, _, log = pair.both("GET", "/?after_raise=app%232")
    assert f[0] == "500 INTERNAL SERVER ERROR"
    assert "signal got_request_exception ValueError('after_request app#2')" in log
    assert log[-1] == "signal appcontext_popped"


def test_post_form(pair: Pair) -> None:
    _, _, log = pair.both("POST", "/post-only", data={"a": "1", "b": "é"})
    assert "view post_only" in log


@pytest.mark.xfail(strict=True, reason="engine-bugs.md #3")
def test_stream_with_context_repushes_like_flask_313(pair: Pair) -> None:
    # Flask 3.1.2+ pops (with teardown) when wsgi_app returns, then pushes both contexts again
    # while the body is iterated and tears down a second time after it.
    f, _, log = pair.both("GET", "/stream?x=s")
    assert f[2] == b"0:s;1:s;2:s;"
    first_chunk = log.index("stream chunk 0 /stream")
    assert log[first_chunk - 2 : first_chunk] == [
        "signal appcontext_popped", "signal appcontext_pushed"
    ]
    assert log.count("teardown_request app#1 None") == 2
    assert log[-1] == "signal appcontext_popped"


def test_nested_request_context_tears_down_inside_view(pair: Pair) -> None:
    f, _, log = pair.both("GET", "/nested")
    assert f[2] == b"outer sees /nested"
    i = log.index("nested sees /inner")
    # The nested context pops inside the view: its teardown_request runs then, and the app
    # context is reused (no second appcontext_pushed).
    assert log[i + 1 : i + 4] == [
        "teardown_request app#2 None",
        "teardown_request app#1 None",
        "signal request_tearing_down None",
    ]
    assert log.count("signal appcontext_pushed") == 1


def test_session_cookie_options(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_time(monkeypatch)
    p = Pair(config={
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_DOMAIN": "example.com",
        "SESSION_COOKIE_PATH": "/parent",
        "SESSION_COOKIE_NAME": "session",
        "SESSION_COOKIE_PARTITIONED": True,
    })
    try:
        f, _, _ = p.both("GET", "/session/set?x=1")
        header = dict(f[1])["Set-Cookie"]
        for part in ("Domain=example.com", "Secure", "Path=/parent", "SameSite=Lax",
                     "Partitioned", "HttpOnly"):
            assert part in header
        f, _, _ = p.both("GET", "/session/clear", cookie=session_cookie(f[1]))
        assert "Max-Age=0" in dict(f[1])["Set-Cookie"]
    finally:
        p.close()


def test_unhandled_error_without_500_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_time(monkeypatch)
    p = Pair(handler_500=False)
    try:
        f, _, log = p.both("GET", "/boom")
        assert f[0] == "500 INTERNAL SERVER ERROR"
        # PROPAGATE_EXCEPTIONS off: got_request_exception, then after_request and
        # save_session still run on the 500, and teardown receives the error.
        assert log.index("signal got_request_exception ValueError('boom')") < log.index(
            "after_request app#1 500"
        ) < log.index("save_session")
        assert "teardown_request app#1 ValueError('boom')" in log
        p.both("GET", "/parent/child/boom")
        p.both("GET", "/none")
    finally:
        p.close()


def test_handler_choice(pair: Pair) -> None:
    # Blueprint before app, code before class, then the MRO.
    cases = {
        "/parent/child/mid": "errorhandler parent MidError MidError",
        "/parent/child/leaf": "errorhandler parent MidError LeafError",
        "/leaf": "errorhandler app AppError LeafError",
        "/parent/child/abort/404": "errorhandler child 404",
        "/parent/child/abort/410": "errorhandler app 410",
        "/parent/child/abort/409": "errorhandler parent HTTPException 409",
        "/abort/403": "errorhandler app HTTPException 403",
        "/no/such/page": "errorhandler app 404 NotFound",
    }
    for path, expected in cases.items():
        _, _, log = pair.both("GET", path)
        assert [x for x in log if x.startswith("errorhandler")] == [expected], path


def test_405_and_options_and_head(pair: Pair) -> None:
    f, _, _ = pair.both("GET", "/post-only")
    assert f[0] == "405 METHOD NOT ALLOWED"
    # Werkzeug lists the rule's method set, so the order follows string hashing.
    assert sorted(dict(f[1])["Allow"].split(", ")) == ["OPTIONS", "POST"]
    f, _, log = pair.both("OPTIONS", "/multi")
    assert sorted(dict(f[1])["Allow"].split(", ")) == ["DELETE", "GET", "HEAD", "OPTIONS", "PUT"]
    assert not [x for x in log if x.startswith("view")]
    f, _, _ = pair.both("HEAD", "/")
    assert f[2] == b""
    assert dict(f[1])["Content-Length"] == "5"


def test_trailing_slash_redirect(pair: Pair) -> None:
    f, _, log = pair.both("GET", "/slash?x=1")
    assert f[0] == "308 PERMANENT REDIRECT"
    assert dict(f[1])["Location"] == "http://localhost/slash/?x=1"
    assert "view slash" not in log


# --- sessions ---------------------------------------------------------------------------------


def test_session_lifecycle_and_cookies_cross_accepted(pair: Pair) -> None:
    f, e, _ = pair.both("GET", "/session/set?user=ann")
    cookie = session_cookie(f[1])
    assert cookie is not None and cookie == session_cookie(e[1])
    # Each side's cookie is read by the other (they are the same bytes, but go both ways).
    f2 = call(pair.flask, "GET", "/session/read", cookie=session_cookie(e[1]))
    e2 = call(pair.engine, "GET", "/session/read", cookie=session_cookie(f[1]))
    assert f2[2] == e2[2] == b"[('tuple', (1, b'two')), ('user', 'ann')]"
    f, e, _ = pair.both("GET", "/session/modify", cookie=cookie)
    cookie = session_cookie(f[1])
    f, e, _ = pair.both("GET", "/session/modify", cookie=cookie)
    cookie = session_cookie(f[1])
    f, _, _ = pair.both("GET", "/session/read", cookie=cookie)
    assert b"('items', [0, 1])" in f[2]
    # Reading does not rewrite the cookie, but says the response varies by it.
    assert session_cookie(f[1]) is None
    assert ("Vary", "Cookie") in f[1]
    f, _, _ = pair.both("GET", "/session/permanent", cookie=cookie)
    set_cookie = dict(f[1])["Set-Cookie"]
    assert "Expires=" in set_cookie
    # A permanent session is re-sent on every request (SESSION_REFRESH_EACH_REQUEST).
    f, _, _ = pair.both("GET", "/session/read", cookie=session_cookie(f[1]))
    assert "Expires=" in dict(f[1])["Set-Cookie"]
    f, _, _ = pair.both("GET", "/session/big")
    assert session_cookie(f[1]).startswith(".")  # compressed payload
    f, _, _ = pair.both("GET", "/session/clear", cookie=cookie)
    assert "Max-Age=0" in dict(f[1])["Set-Cookie"]
    pair.both("GET", "/session/read", cookie="not-a-valid-cookie")
    pair.both("GET", "/session/read", cookie=cookie[:-2] + "xx")


def test_secret_key_fallbacks_rotation(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_time(monkeypatch)
    old = Pair(secret_key="old-key")
    new = Pair(secret_key="new-key", fallbacks=["old-key"])
    newest = Pair(secret_key="newest-key")
    try:
        f, _, _ = old.both("GET", "/session/set?user=rotated")
        old_cookie = session_cookie(f[1])
        # Signed with a fallback: accepted by both; re-signing uses the current key.
        f, _, _ = new.both("GET", "/session/read", cookie=old_cookie)
        assert b"rotated" in f[2]
        f, _, _ = new.both("GET", "/session/set?again=1", cookie=old_cookie)
        new_cookie = session_cookie(f[1])
        assert new_cookie != old_cookie
        f, _, _ = newest.both("GET", "/session/read", cookie=old_cookie)
        assert f[2] == b"[]"  # no fallback: a bad signature is an empty session
        f, _, _ = newest.both("GET", "/session/read", cookie=new_cookie)
        assert f[2] == b"[]"
    finally:
        for p in (old, new, newest):
            p.close()


def test_reference_worked_example(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_time(monkeypatch)
    import engine

    app = engine.App("example")
    app.secret_key = "aptx4869"
    serializer = app.session_interface.get_signing_serializer(app)
    assert serializer is not None
    assert serializer.dumps({"user_info": "name"}) == (
        "eyJ1c2VyX2luZm8iOiJuYW1lIn0.awHfdQ.JqD0sGwdNF8pPas7c4YZz7Q-woc"
    )


_keys = st.text(alphabet=string.ascii_letters + " _é", min_size=0, max_size=6) | st.sampled_from(
    [" t", " b", " u", " d", " m", " di"]
)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.binary(max_size=12)
    | st.uuids()
    | st.integers(0, 2**31).map(lambda s: datetime.fromtimestamp(s, UTC))
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.lists(inner, max_size=4).map(tuple)
    | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=12,
)


class _Signers:
    """Both apps' cookie serializers; Flask's is used inside its app context, as in a request
    (its tagged JSON goes through ``current_app.json``, which sorts keys)."""

    def __init__(self, sort_keys: bool = True) -> None:
        import flask

        import engine

        self.flask_app = flask.Flask("h")  # real Flask
        self.engine_app = engine.App("h")  # the engine
        for app in (self.flask_app, self.engine_app):
            app.config["SECRET_KEY"] = "hypothesis-key"
            app.json.sort_keys = sort_keys
        self.flask_s = self.flask_app.session_interface.get_signing_serializer(self.flask_app)
        self.engine_s = self.engine_app.session_interface.get_signing_serializer(
            self.engine_app
        )

    def flask_dumps(self, value: Any) -> str:
        with self.flask_app.app_context():
            return self.flask_s.dumps(value)  # type: ignore[no-any-return]

    def flask_loads(self, value: str) -> Any:
        with self.flask_app.app_context():
            return self.flask_s.loads(value)

    def engine_dumps(self, value: Any) -> str:
        with self.engine_app.app_context():
            return self.engine_s.dumps(value)  # type: ignore[no-any-return]

    def engine_loads(self, value: str) -> Any:
        with self.engine_app.app_context():
            return self.engine_s.loads(value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_keys, _values, max_size=5))
def test_random_sessions_sign_identically(contents: dict[str, Any]) -> None:
    import itsdangerous.timed

    real_time = itsdangerous.timed.time
    itsdangerous.timed.time = type("T", (), {"time": staticmethod(lambda: FROZEN)})
    try:
        s = _Signers()
        signed = s.flask_dumps(contents)
        assert s.engine_dumps(contents) == signed
        assert s.engine_loads(signed) == s.flask_loads(signed) == contents
    finally:
        itsdangerous.timed.time = real_time


def test_uuid_and_datetime_in_session_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_time(monkeypatch)
    s = _Signers()
    value = {"u": uuid.UUID(int=7), "d": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)}
    assert s.engine_dumps(value) == s.flask_dumps(value)
    assert s.engine_loads(s.flask_dumps(value)) == value


@pytest.mark.xfail(strict=True, reason="engine-bugs.md #2")
def test_session_json_follows_app_json_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    # Flask's tagged JSON dumps through current_app.json: an app that turns off sort_keys
    # gets cookies with keys in insertion order.
    freeze_time(monkeypatch)
    s = _Signers(sort_keys=False)
    value = {"z": 1, "a": 2}
    assert s.flask_dumps(value).startswith("eyJ6Ijox")  # {"z":1,...
    assert s.engine_dumps(value) == s.flask_dumps(value)


# --- REFERENCE §2, literally --------------------------------------------------------------------



@pytest.mark.parametrize("fw", [FLASK, ENGINE], ids=["flask", "engine"])
def test_reference_observed_order(fw: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_time(monkeypatch)
    log: list[str] = []
    app = build(fw, log)
    try:
        status, headers, body = call(app, "GET", "/parent/child/fr/page")
    finally:
        disconnect(app)
    assert status == "200 OK"
    assert body == b"page in fr"
    assert log == REFERENCE_ORDER
    # after_request functions ran inner → outer → app, each adding its header.
    assert [v for k, v in headers if k == "X-After"] == [
        "child#2", "child#1", "parent#2", "parent#1", "app#2", "app#1"
    ]
