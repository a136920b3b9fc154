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

import diff_apps
import pytest
from diff_apps import (
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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.flask_version import SESSION_ACCESSED_313, needs_flask


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


# Flask 3.1.2's stream_with_context, which the engine follows.
STREAM_REPUSH_312 = needs_flask(
    (3, 1, 2),
    "Flask 3.1.2's stream_with_context pops the contexts when wsgi_app returns and pushes them"
    " again while the body is iterated",
)
TRUSTED_HOSTS = needs_flask((3, 1), "TRUSTED_HOSTS is new in Flask 3.1")
SERVER_NAME_ROUTING = needs_flask(
    (3, 1), "Flask 3.1's SERVER_NAME no longer limits routing to its host (no subdomain_matching)"
)

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
    pytest.param("GET", "/session/read", marks=SESSION_ACCESSED_313),
    ("GET", "/session/set?user=ann&role=admin"),
    ("GET", "/session/permanent"),
    ("GET", "/session/clear"),
    ("GET", "/session/big"),
    pytest.param("GET", "/stream?x=s", marks=STREAM_REPUSH_312),
    ("GET", "/nested"),
    ("GET", "/abort-response"),
    ("GET", "/?raise=app%232"),
    ("GET", "/parent/child/fr/page?raise=child%231"),
    ("GET", "/types"),
    ("GET", "/once-then-raise"),
    ("GET", "/handler-raises"),
    ("GET", "/defaults"),
    ("GET", "/defaults/"),
    ("GET", "/defaults/3"),
    ("GET", "/defaults/1"),
    ("GET", "/old"),
    ("POST", "/slash"),
    ("GET", "/parent/child/urls"),
    ("GET", "/?after_raise=app%232"),
    ("GET", "/parent/child/fr/page?after_raise=parent%231"),
]


@pytest.mark.parametrize(("method", "path"), CASES)
def test_same_response_and_order(pair: Pair, method: str, path: str) -> None:
    pair.both(method, path)


@pytest.mark.parametrize(
    "kind",
    [
        "str",
        "bytes",
        "dict",
        "list",
        "tuple3",
        "tuple2_status",
        "tuple2_headers",
        "tuple_dict",
        "response",
        "make_response",
        "jsonify",
        "jsonify_list",
        "redirect",
        "redirect_301",
        "iterator",
        "url_for",
    ],
)
def test_return_forms(pair: Pair, kind: str) -> None:
    pair.both("GET", f"/ret/{kind}")


def test_bad_json_body(pair: Pair) -> None:
    f, _, _ = pair.both(
        "POST", "/json-in", data="{not json", headers=[("Content-Type", "application/json")]
    )
    assert f[0] == "400 BAD REQUEST"
    pair.both("POST", "/json-in", data="[1]", headers=[("Content-Type", "text/plain")])
    f, _, _ = pair.both(
        "POST", "/json-in", data='{"a": [1, 2]}', headers=[("Content-Type", "application/json")]
    )
    assert f[2] == b'{"got":{"a":[1,2]}}\n'


@needs_flask((3, 1), "MAX_FORM_MEMORY_SIZE and MAX_FORM_PARTS config is new in Flask 3.1")
def test_form_limits_from_config(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_time(monkeypatch)
    p = Pair(config={"MAX_FORM_MEMORY_SIZE": 10, "MAX_FORM_PARTS": 3})
    try:
        p.both("POST", "/form-in", data={"a": "short"})
        f, _, _ = p.both(
            "POST", "/form-in", data={"a": "x" * 50}, content_type="multipart/form-data"
        )
        assert f[0] == "413 REQUEST ENTITY TOO LARGE"
        f, _, _ = p.both(
            "POST", "/form-in", data={k: "1" for k in "abcdef"}, content_type="multipart/form-data"
        )
        assert f[0] == "413 REQUEST ENTITY TOO LARGE"
    finally:
        p.close()


@needs_flask((3, 1), "setting request.max_content_length per request is new in Flask 3.1")
def test_max_content_length_per_request(pair: Pair) -> None:
    f, _, _ = pair.both("POST", "/limited", data={"a": "x" * 50})
    assert f[0] == "413 REQUEST ENTITY TOO LARGE"
    f, _, _ = pair.both("POST", "/limited", data={"a": "x"})
    assert f[0] == "200 OK"


def test_max_content_length(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_time(monkeypatch)
    p = Pair(config={"MAX_CONTENT_LENGTH": 10})
    try:
        f, _, _ = p.both("POST", "/form-in", data={"a": "x" * 50})
        assert f[0] == "413 REQUEST ENTITY TOO LARGE"
    finally:
        p.close()


@pytest.mark.parametrize(
    ("config", "host"),
    [
        pytest.param({"TRUSTED_HOSTS": ["localhost"]}, "evil.example", marks=TRUSTED_HOSTS),
        ({"TRUSTED_HOSTS": ["localhost"]}, "localhost"),
        pytest.param({"SERVER_NAME": "example.com"}, "localhost", marks=SERVER_NAME_ROUTING),
        ({"SERVER_NAME": "example.com"}, "example.com"),
    ],
)
def test_host_settings(monkeypatch: pytest.MonkeyPatch, config: dict[str, Any], host: str) -> None:
    freeze_time(monkeypatch)
    p = Pair(config=config)
    try:
        p.both("GET", "/parent/child/urls", headers=[("Host", host)])
        p.both("GET", "/", headers=[("Host", host)])
    finally:
        p.close()


def test_flash_round_trip(pair: Pair) -> None:
    f, _, _ = pair.both("GET", "/flash")
    cookie = session_cookie(f[1])
    f, _, _ = pair.both("GET", "/flashes", cookie=cookie)
    assert f[2] == b'{"all":[["message","saved"],["warning","careful"]]}\n'
    assert "Max-Age=0" in dict(f[1])["Set-Cookie"]  # popped: the emptied session is deleted


def test_debug_mode_json_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_time(monkeypatch)
    p = Pair(config={"DEBUG": True, "PROPAGATE_EXCEPTIONS": False})
    try:
        f, _, _ = p.both("GET", "/ret/dict")
        assert b"\n  " in f[2]  # indented in debug mode
        p.both("POST", "/json-in", data="{bad", headers=[("Content-Type", "application/json")])
    finally:
        p.close()


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


@STREAM_REPUSH_312
def test_stream_with_context_repushes_like_flask_313(pair: Pair) -> None:
    # Flask 3.1.2+ pops (with teardown) when wsgi_app returns, then pushes both contexts again
    # while the body is iterated and tears down a second time after it.
    f, _, log = pair.both("GET", "/stream?x=s")
    assert f[2] == b"0:s;1:s;2:s;"
    first_chunk = log.index("stream chunk 0 /stream")
    assert log[first_chunk - 2 : first_chunk] == [
        "signal appcontext_popped",
        "signal appcontext_pushed",
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


@needs_flask((3, 1), "SESSION_COOKIE_PARTITIONED is new in Flask 3.1")
def test_session_cookie_options(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_time(monkeypatch)
    p = Pair(
        config={
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": True,
            "SESSION_COOKIE_DOMAIN": "example.com",
            "SESSION_COOKIE_PATH": "/parent",
            "SESSION_COOKIE_NAME": "session",
            "SESSION_COOKIE_PARTITIONED": True,
        }
    )
    try:
        f, _, _ = p.both("GET", "/session/set?x=1")
        header = dict(f[1])["Set-Cookie"]
        for part in (
            "Domain=example.com",
            "Secure",
            "Path=/parent",
            "SameSite=Lax",
            "Partitioned",
            "HttpOnly",
        ):
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
        assert (
            log.index("signal got_request_exception ValueError('boom')")
            < log.index("after_request app#1 500")
            < log.index("save_session")
        )
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


@SESSION_ACCESSED_313
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


@SESSION_ACCESSED_313
def test_expired_cookie_is_an_empty_session(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    import itsdangerous.timed

    f, _, _ = pair.both("GET", "/session/set?user=old")
    cookie = session_cookie(f[1])
    lifetime = 31 * 24 * 3600
    clock = type("Clock", (), {"time": staticmethod(lambda: FROZEN + lifetime)})
    monkeypatch.setattr(itsdangerous.timed, "time", clock)
    f, _, _ = pair.both("GET", "/session/read", cookie=cookie)
    assert b"old" in f[2]  # exactly the lifetime old: still valid
    clock2 = type("Clock", (), {"time": staticmethod(lambda: FROZEN + lifetime + 1)})
    monkeypatch.setattr(itsdangerous.timed, "time", clock2)
    events: list[Any] = []
    sub = pair.engine.subscribe(events.append)
    f, _, _ = pair.both("GET", "/session/read", cookie=cookie)
    sub.unsubscribe()
    assert f[2] == b"[]"
    opened = next(e for e in events if e.kind == "session_opened")
    assert opened.verdict == "expired" and opened.cookie == cookie


@needs_flask(
    (3, 1, 3),
    "SECRET_KEY_FALLBACKS is new in Flask 3.1; reading the session back with items() sends"
    " Vary: Cookie only from Flask 3.1.3",
)
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
    derived = serializer.make_signer().derive_key()
    assert derived.hex() == "18be1d1ec0c5a1cc008041ea5cbd741d24eaa6e6"


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
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(_keys, inner, max_size=4)
    ),
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
        self.engine_s = self.engine_app.session_interface.get_signing_serializer(self.engine_app)

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
        "child#2",
        "child#1",
        "parent#2",
        "parent#1",
        "app#2",
        "app#1",
    ]


# --- small apps, one behaviour each -------------------------------------------------------------


def _outcome(builder: Any, fw: Any, method: str, path: str, **kwargs: Any) -> Any:
    log: list[str] = []
    app = builder(fw, log)
    try:
        result: Any = call(app, method, path, **kwargs)
    except Exception as e:
        result = ("raised", type(e).__name__, str(e))
    finally:
        disconnect(app)
    return result, log


SMALL = [
    (diff_apps.build_exception_handler_only, "GET", "/slash", {}),
    (diff_apps.build_exception_handler_only, "GET", "/a", {}),
    (diff_apps.build_exception_handler_only, "GET", "/b", {}),
    (diff_apps.build_exception_handler_only, "GET", "/nope", {}),
    (diff_apps.build_exception_handler_only, "GET", "/vary", {}),
    (diff_apps.build_exception_handler_only, "DELETE", "/vary", {}),
    (diff_apps.build_trap_http, "GET", "/a", {}),
    (diff_apps.build_trap_http, "GET", "/missing", {}),
    (diff_apps.build_testing, "GET", "/", {}),
    (diff_apps.build_testing, "GET", "/bad", {}),
    (diff_apps.build_testing, "GET", "/uvp/7", {}),
    (diff_apps.build_testing, "GET", "/uvp/1", {}),
    (diff_apps.build_teardown_raises, "GET", "/", {}),
    (diff_apps.build_script_root, "GET", "/?q=1", {"environ_overrides": {"SCRIPT_NAME": "/pre"}}),
    *[
        (diff_apps.build_blueprint_features, method, path, {})
        for method, path in [
            ("GET", "/bp/fr/x"),
            ("GET", "/two/fr/x"),
            ("GET", "/bp/d"),
            ("GET", "/two/d"),
            ("PUT", "/mv"),
            ("GET", "/mv"),
            ("OPTIONS", "/mv"),
            ("GET", "/t"),
        ]
    ],
    pytest.param(
        diff_apps.build_async_view,
        "GET",
        "/",
        {},
        id="async_view",
    ),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the un-awaited coroutine of bug #6
@pytest.mark.parametrize(("builder", "method", "path", "kwargs"), SMALL)
def test_small_apps(
    monkeypatch: pytest.MonkeyPatch, builder: Any, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    freeze_time(monkeypatch)
    flask_result = _outcome(builder, FLASK, method, path, **kwargs)
    engine_result = _outcome(builder, ENGINE, method, path, **kwargs)
    assert engine_result == flask_result


# --- random app shapes --------------------------------------------------------------------------

_LEVELS = ("app", "parent", "child")
_KINDS = ("before", "after", "teardown", "uvp")


@st.composite
def _app_specs(draw: Any) -> dict[str, Any]:
    hooks = {level: {kind: draw(st.integers(0, 2)) for kind in _KINDS} for level in _LEVELS}
    hooks["app"]["teardown_app"] = draw(st.integers(0, 2))
    tags = [
        f"{kind}:{level}#{n}"
        for level in _LEVELS
        for kind in ("before", "after")
        for n in range(hooks[level][kind])
    ]
    pick = st.none() | (st.sampled_from(tags) if tags else st.none())
    return {
        "hooks": hooks,
        "short": draw(pick),
        "raise_before": draw(pick),
        "raise_after": draw(pick),
        "view": draw(st.sampled_from(["ok", "mid", "value", "abort404", "abort409"])),
        "handlers": draw(
            st.sets(st.sampled_from(["app_mid", "parent_http", "app_500", "child_404"]))
        ),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_app_specs())
def test_random_app_shapes_match_flask(spec: dict[str, Any]) -> None:
    import itsdangerous.timed

    real_time = itsdangerous.timed.time
    itsdangerous.timed.time = type("T", (), {"time": staticmethod(lambda: FROZEN)})
    results = []
    try:
        for fw in (FLASK, ENGINE):
            log: list[str] = []
            app = diff_apps.build_random(fw, log, spec)
            try:
                result = call(app, "GET", "/p/c/v")
            finally:
                disconnect(app)
            results.append((result, log))
    finally:
        itsdangerous.timed.time = real_time
    assert results[1] == results[0]
    assert results[0][1][-1] == "signal appcontext_popped"  # the request ran to its end
