"""The session's fast signing path (engine.signing) against real Flask and itsdangerous.

Every cookie the engine writes must be Flask's byte for byte (time frozen), each side must read
the other's, and every cookie read must get the verdict that itsdangerous' own
``URLSafeTimedSerializer.loads`` implies (valid / expired / bad_signature), never an exception
where itsdangerous raises none. The fast path must also step aside whenever the interface is
configured to sign differently.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import flask
import flask.json.tag
import flask.sessions
import itsdangerous.timed
import pytest
from cookie_mutations import ALPHABET, mutate, mutation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import BadSignature, SignatureExpired, Signer, URLSafeTimedSerializer
from markupsafe import Markup

import engine
import engine.json_tag
import engine.sessions
from engine.json_tag import TaggedJSONSerializer, session_json_serializer
from engine.signing import TimedCookieSigner
from tests.diff_apps import FROZEN, FrozenDatetime
from tests.flask_version import FALLBACKS_SIGN_WITH_SECRET_KEY

SECRET = "codec-secret"
LIFETIME = 31 * 24 * 3600  # PERMANENT_SESSION_LIFETIME's default, in seconds

pytestmark = pytest.mark.filterwarnings("ignore:The 'session' cookie is too large")


@contextlib.contextmanager
def frozen(ts: float = FROZEN) -> Iterator[None]:
    """Both frameworks sign at ``ts`` and date permanent cookies from ``FROZEN``.

    A context manager rather than the monkeypatch fixture so that hypothesis examples can use
    it (itsdangerous' clock is what the tests elsewhere freeze; the engine reads the same one).
    """
    saved = (itsdangerous.timed.time, flask.sessions.datetime, engine.sessions.datetime)
    itsdangerous.timed.time = SimpleNamespace(time=lambda: ts)  # type: ignore[assignment]
    flask.sessions.datetime = FrozenDatetime  # type: ignore[misc]
    engine.sessions.datetime = FrozenDatetime  # type: ignore[misc]
    try:
        yield
    finally:
        itsdangerous.timed.time, flask.sessions.datetime, engine.sessions.datetime = saved


def typed(value: Any) -> Any:
    """A structure equal only if the types match too (Markup == str, 1 == 1.0 == True...)."""
    if isinstance(value, dict):
        return ("dict", sorted((repr(k), typed(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [typed(v) for v in value])
    if isinstance(value, datetime):
        return ("datetime", value.isoformat())
    if isinstance(value, float) and value != value:
        return ("float", "nan")
    return (type(value).__name__, repr(value))


class Apps:
    """The same session configuration on real Flask and on the engine."""

    def __init__(self, secret: str | bytes = SECRET, **config: Any) -> None:
        self.flask = flask.Flask("codec")
        self.engine = engine.App("codec")
        # Flask's interface is a class attribute shared by every app: this one's own.
        self.flask.session_interface = flask.sessions.SecureCookieSessionInterface()
        for app in (self.flask, self.engine):
            app.config["SECRET_KEY"] = secret
            app.config.update(config)

    def side(self, name: str) -> Any:
        return self.flask if name == "flask" else self.engine

    def save(
        self, name: str, contents: dict[str, Any], *, accessed: bool = True, modified: bool = True
    ) -> list[tuple[str, str]]:
        """The Set-Cookie and Vary headers ``save_session`` puts on a response."""
        app = self.side(name)
        iface = app.session_interface
        with app.test_request_context("/"):
            session = iface.session_class(contents)
            session.modified = modified
            session.accessed = accessed
            response = app.response_class("")
            iface.save_session(app, session, response)
        return [(k, v) for k, v in response.headers.items() if k in ("Set-Cookie", "Vary")]

    def cookie(self, name: str, contents: dict[str, Any]) -> str:
        headers = self.save(name, contents)
        set_cookie = next(v for k, v in headers if k == "Set-Cookie")
        return set_cookie.split(";", 1)[0].split("=", 1)[1]

    def open(self, name: str, value: str) -> Any:
        app = self.side(name)
        request = SimpleNamespace(cookies={"session": value})
        with app.app_context():
            return app.session_interface.open_session(app, request)

    def engine_outcome(self, value: str) -> tuple[str, Any]:
        """The engine's verdict and session, or the exception it let through."""
        try:
            session = self.open("engine", value)
        except Exception as e:
            return "raised", type(e)
        return session.open_verdict, typed(dict(session))

    def reference(self, value: str) -> tuple[str, Any]:
        """The verdict itsdangerous implies, through Flask's own serializer and session class."""
        if not value:
            return "new", typed({})  # no cookie: open_session does not get as far as loads
        app = self.flask
        s = app.session_interface.get_signing_serializer(app)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            with app.app_context():
                data = s.loads(value, max_age=max_age)
            return "valid", typed(dict(app.session_interface.session_class(data)))
        except SignatureExpired:
            return "expired", typed({})
        except BadSignature:
            return "bad_signature", typed({})
        except Exception as e:
            return "raised", type(e)


APPS = Apps()


# --- strategies ---------------------------------------------------------------------------------

_tag_keys = st.sampled_from([" t", " b", " m", " u", " d", " di", " t__", "_permanent"])
_keys = st.text(max_size=8) | _tag_keys
_datetimes = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=16)
    | st.binary(max_size=16)
    | st.text(max_size=8).map(Markup)
    | st.uuids()
    | _datetimes
)
_compressible = st.text(alphabet='ab{}"', min_size=40, max_size=1500)
_values = st.recursive(
    _scalars | _compressible,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(_keys, inner, max_size=4)
        | st.builds(lambda k, v: {k: v}, _tag_keys, inner)  # the " di" case
    ),
    max_leaves=10,
)
_sessions = st.dictionaries(_keys, _values, min_size=1, max_size=6)


# --- writing: byte for byte ---------------------------------------------------------------------


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_sessions, st.booleans())
def test_cookie_is_flasks_byte_for_byte_and_each_reads_the_other(
    contents: dict[str, Any], accessed: bool
) -> None:
    with frozen():
        flask_headers = APPS.save("flask", contents, accessed=accessed)
        engine_headers = APPS.save("engine", contents, accessed=accessed)
        assert engine_headers == flask_headers
        cookie = APPS.cookie("flask", contents)
        # The engine's itsdangerous serializer (get_signing_serializer) agrees too.
        serializer = APPS.engine.session_interface.get_signing_serializer(APPS.engine)
        with APPS.engine.app_context():
            assert serializer.dumps(contents) == cookie
        from_flask = APPS.open("engine", cookie)  # identical bytes: each side's cookie
        from_engine = APPS.open("flask", APPS.cookie("engine", contents))
        assert from_flask.open_verdict == "valid"
        assert typed(dict(from_flask)) == typed(dict(from_engine))
        assert APPS.engine_outcome(cookie) == APPS.reference(cookie)


@pytest.mark.parametrize(
    "contents",
    [
        {"blob": "x" * 3000},
        {"n": list(range(300))},
        {"t": tuple("ab" * 200), "b": b"\x00" * 500},
        {"u": "é" * 400},  # ASCII-escaped: 6 bytes each, compresses well
    ],
    ids=["text", "list", "tuple-bytes", "unicode"],
)
def test_compressed_payloads(contents: dict[str, Any]) -> None:
    with frozen():
        cookie = APPS.cookie("engine", contents)
        assert cookie.startswith(".")
        assert cookie == APPS.cookie("flask", contents)
        assert typed(dict(APPS.open("engine", cookie))) == typed(contents)


def test_incompressible_payload_is_not_compressed() -> None:
    contents = {"k": "AbC9"}  # zlib adds more than it saves
    with frozen():
        cookie = APPS.cookie("engine", contents)
        assert not cookie.startswith(".")
        assert cookie == APPS.cookie("flask", contents)


def test_reference_worked_example() -> None:
    apps = Apps("aptx4869")
    with frozen():
        assert apps.cookie("engine", {"user_info": "name"}) == (
            "eyJ1c2VyX2luZm8iOiJuYW1lIn0.awHfdQ.JqD0sGwdNF8pPas7c4YZz7Q-woc"
        )


@pytest.mark.parametrize(
    ("accessed", "modified", "empty", "permanent"),
    [
        (a, m, e, p)
        for a in (False, True)
        for m in (False, True)
        for e in (False, True)
        for p in (False, True)
        if not (e and p)
    ],
)
def test_set_cookie_and_vary_headers_match_flask(
    accessed: bool, modified: bool, empty: bool, permanent: bool
) -> None:
    contents: dict[str, Any] = {} if empty else {"a": 1}
    if permanent:
        contents["_permanent"] = True
    with frozen():
        kwargs = {"accessed": accessed, "modified": modified}
        assert APPS.save("engine", contents, **kwargs) == APPS.save("flask", contents, **kwargs)


def test_vary_joins_an_existing_header_as_in_flask() -> None:
    def save(app: Any) -> list[tuple[str, str]]:
        iface = app.session_interface
        with app.test_request_context("/"):
            session = iface.session_class({"a": 1})
            session.modified = session.accessed = True
            response = app.response_class("")
            response.headers["Vary"] = "Accept-Encoding"
            iface.save_session(app, session, response)
        return list(response.headers.items())

    with frozen():
        assert save(APPS.engine) == save(APPS.flask)


# --- keys ---------------------------------------------------------------------------------------


@FALLBACKS_SIGN_WITH_SECRET_KEY
def test_fallback_keys_verify_and_the_newest_signs() -> None:
    rotated = Apps("new-key", SECRET_KEY_FALLBACKS=["old-1", b"old-2"])
    with frozen():
        for key in ("old-1", b"old-2", "new-key"):
            cookie = Apps(key).cookie("flask", {"who": str(key)})
            assert rotated.engine_outcome(cookie) == ("valid", typed({"who": str(key)}))
            assert rotated.engine_outcome(cookie) == rotated.reference(cookie)
        stranger = Apps("other-key").cookie("flask", {"who": "x"})
        assert rotated.engine_outcome(stranger) == ("bad_signature", typed({}))
        assert rotated.cookie("engine", {"a": 1}) == rotated.cookie("flask", {"a": 1})
        assert rotated.cookie("engine", {"a": 1}) == Apps("new-key").cookie("flask", {"a": 1})


def test_key_changes_at_run_time_are_seen() -> None:
    apps = Apps("first")
    with frozen():
        first = apps.cookie("engine", {"a": 1})
        iface = apps.engine.session_interface
        signer = iface._request_signer(apps.engine)
        assert isinstance(signer, TimedCookieSigner)
        assert iface._request_signer(apps.engine) is signer  # built once, not per request
        apps.engine.config["SECRET_KEY"] = "second"
        assert apps.engine_outcome(first)[0] == "bad_signature"
        assert apps.cookie("engine", {"a": 1}) == Apps("second").cookie("flask", {"a": 1})
        apps.engine.config["SECRET_KEY_FALLBACKS"] = ["first"]
        assert apps.engine_outcome(first) == ("valid", typed({"a": 1}))
        apps.engine.config["SECRET_KEY"] = b"first"  # the same key as bytes
        apps.engine.config["SECRET_KEY_FALLBACKS"] = []
        assert apps.engine_outcome(first) == ("valid", typed({"a": 1}))


def test_no_secret_key_is_a_null_session() -> None:
    app = engine.App("nokey")
    request = SimpleNamespace(cookies={"session": "a.b.c"})
    assert app.session_interface.open_session(app, request) is None


@FALLBACKS_SIGN_WITH_SECRET_KEY
def test_unusable_key_fails_as_itsdangerous_does() -> None:
    # itsdangerous tries the newest key first and meets the unusable one (an int) only when
    # that fails: then hmac raises TypeError, past open_session. Same here.
    apps = Apps(SECRET, SECRET_KEY_FALLBACKS=[12345])
    with frozen():
        good = Apps(SECRET).cookie("flask", {"a": 1})
        other = Apps("other").cookie("flask", {"a": 1})
        assert apps.engine_outcome(good) == apps.reference(good) == ("valid", typed({"a": 1}))
        assert apps.engine_outcome(other) == apps.reference(other) == ("raised", TypeError)
        assert apps.engine_outcome("no-dot")[0] == "bad_signature"  # before any key is used


# --- reading: verdicts ----------------------------------------------------------------------


def _signed_at(ts: int, contents: dict[str, Any], apps: Apps = APPS) -> str:
    with frozen(ts):
        return apps.cookie("flask", contents)


@pytest.mark.parametrize(
    ("offset", "verdict"),
    [
        (0, "valid"),
        (-LIFETIME, "valid"),  # exactly the lifetime old
        (-LIFETIME - 1, "expired"),
        (1, "expired"),  # from the future: itsdangerous' "age < 0"
        (-10 * LIFETIME, "expired"),
    ],
)
def test_expiry(offset: int, verdict: str) -> None:
    cookie = _signed_at(FROZEN + offset, {"a": 1})
    with frozen():
        assert APPS.engine_outcome(cookie)[0] == verdict
        assert APPS.engine_outcome(cookie) == APPS.reference(cookie)


def test_expiry_follows_the_configured_lifetime() -> None:
    apps = Apps(PERMANENT_SESSION_LIFETIME=timedelta(seconds=60))
    cookie = _signed_at(FROZEN - 61, {"a": 1}, apps)
    with frozen():
        assert apps.engine_outcome(cookie) == apps.reference(cookie) == ("expired", typed({}))
    with frozen(FROZEN - 1):
        assert apps.engine_outcome(cookie) == apps.reference(cookie) == ("valid", typed({"a": 1}))
    apps.engine.config["PERMANENT_SESSION_LIFETIME"] = 0
    apps.flask.config["PERMANENT_SESSION_LIFETIME"] = 0
    now = _signed_at(FROZEN, {"a": 1}, apps)
    with frozen():
        assert apps.engine_outcome(now) == apps.reference(now) == ("valid", typed({"a": 1}))


_SIGNER = Signer(SECRET, salt="cookie-session", key_derivation="hmac", digest_method=hashlib.sha1)


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _ts(ts: int = FROZEN) -> bytes:
    return _b64(ts.to_bytes(8, "big").lstrip(b"\x00"))


def _signed(payload: bytes, ts: bytes | None = None) -> str:
    """A correctly signed cookie around any payload and timestamp part."""
    value = payload if ts is None else payload + b"." + ts
    return _SIGNER.sign(value).decode("utf-8")


def _payload(obj: Any) -> bytes:
    return _b64(json.dumps(obj, separators=(",", ":")).encode())


GOOD = _payload({"a": 1})
CRAFTED = {
    # unsigned garbage
    "empty-parts": "..",
    "one-dot": "abc.def",
    "no-dot": "abcdef",
    "three-dots": "...",
    "four-parts": "a.b.c.d",
    "non-ascii": "é.é.é",
    "only-dot": ".",
    "bad-sig": GOOD.decode() + "." + _ts().decode() + ".AAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "sig-not-base64": GOOD.decode() + "." + _ts().decode() + ".a",
    "truncated": _signed(GOOD, _ts())[:-3],
    "extended": _signed(GOOD, _ts()) + "A",
    "junk-in-sig": _signed(GOOD, _ts())[:-5] + "!" + _signed(GOOD, _ts())[-5:],
    "junk-in-payload": "e!" + _signed(GOOD, _ts())[1:],
    # signed, odd inside
    "signed-no-timestamp": _signed(GOOD),
    "signed-empty": _signed(b""),
    "signed-empty-timestamp": _signed(GOOD, b""),
    "signed-9-byte-timestamp": _signed(GOOD, _b64(b"\x01" * 9)),
    "signed-bad-timestamp": _signed(GOOD, b"a"),
    "signed-timestamp-year-10000": _signed(GOOD, _ts(2**40)),
    "signed-empty-payload": _signed(b"", _ts()),
    "signed-bad-base64": _signed(b"a", _ts()),
    # base64 is decoded leniently (junk skipped), but the padding counts the junk
    "signed-junk-in-payload": _signed(GOOD[:5] + b"!" + GOOD[5:], _ts()),
    "signed-junk-in-payload-2": _signed(GOOD[:5] + b"!!" + GOOD[5:], _ts()),
    "signed-junk-in-timestamp": _signed(GOOD, _ts()[:2] + b"!" + _ts()[2:]),
    "signed-junk-in-timestamp-2": _signed(GOOD, _ts()[:2] + b"!!" + _ts()[2:]),
    "signed-compressed-bad-base64": _signed(b".a", _ts()),
    "signed-bad-zlib": _signed(b"." + _b64(b"not zlib at all"), _ts()),
    "signed-zlib": _signed(b"." + _b64(zlib.compress(b'{"z":"' + b"z" * 50 + b'"}')), _ts()),
    "signed-bad-utf8": _signed(_b64(b'{"a":"\xff"}'), _ts()),
    "signed-bad-json": _signed(_b64(b'{"a":'), _ts()),
    "signed-list": _signed(_payload([1, 2]), _ts()),
    "signed-pairs": _signed(_payload([["k", "v"]]), _ts()),
    "signed-number": _signed(_payload(42), _ts()),
    "signed-bad-uuid-tag": _signed(_payload({"u": {" u": "zz"}}), _ts()),
    "signed-bad-bytes-tag": _signed(_payload({"b": {" b": "@@@"}}), _ts()),
    "signed-bad-date-tag": _signed(_payload({"d": {" d": "not a date"}}), _ts()),
    "signed-tuple-tag-on-int": _signed(_payload({"t": {" t": 5}}), _ts()),
    "signed-whole-tag": _signed(_payload({" t": [1, 2]}), _ts()),
    "signed-di": _signed(_payload({" di": {" t__": [1]}}), _ts()),
    "signed-duplicate-keys": _signed(_b64(b'{"a":{" u":"zz"},"a":1}'), _ts()),
    "signed-deep": _signed(_b64(b'{"a":' + b"[" * 400 + b"]" * 400 + b"}"), _ts()),
    "signed-bom": _signed(_b64('\ufeff{"a":1}'.encode()), _ts()),
}


@pytest.mark.parametrize("cookie", list(CRAFTED.values()), ids=list(CRAFTED))
def test_crafted_cookies_get_itsdangerous_verdicts(cookie: str) -> None:
    with frozen():
        outcome = APPS.engine_outcome(cookie)
        assert outcome == APPS.reference(cookie)
        # And the engine's own itsdangerous path (what open_session used before) agrees.
        serializer = APPS.engine.session_interface.get_signing_serializer(APPS.engine)
        fast = APPS.engine.session_interface._request_signer(APPS.engine)
        assert _loads_outcome(fast, cookie) == _loads_outcome(serializer, cookie)
        # Exception classes and messages too, with and without an age limit.
        assert _loads_outcome(fast, cookie, None) == _loads_outcome(serializer, cookie, None)


def _loads_outcome(s: Any, cookie: str | bytes, max_age: int | None = LIFETIME) -> tuple[Any, ...]:
    try:
        return ("ok", typed(s.loads(cookie, max_age=max_age)))
    except Exception as e:
        return (type(e), str(e))


def test_garbage_never_raises() -> None:
    with frozen():
        for name, cookie in CRAFTED.items():
            if not name.startswith("signed-"):
                assert APPS.engine_outcome(cookie)[0] in ("bad_signature", "new"), name


_REAL = [
    _signed_at(FROZEN, {"plain": "value"}),
    _signed_at(FROZEN, {"t": (1, b"\x00"), "k": [1.5, None], "m": Markup("<b>")}),
    _signed_at(FROZEN, {"x": "x" * 500}),  # compressed
    _signed_at(FROZEN, {" t": 1}),
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_REAL), st.lists(mutation, min_size=1, max_size=3))
def test_mutated_cookies_get_itsdangerous_verdicts(token: str, steps: list[Any]) -> None:
    mutated = mutate(token, steps)
    with frozen():
        outcome = APPS.engine_outcome(mutated)
        assert outcome[0] != "raised"
        assert outcome == APPS.reference(mutated)


@settings(max_examples=200, deadline=None)
@given(st.text() | st.text(alphabet=ALPHABET))
def test_arbitrary_text_is_a_bad_signature(text: str) -> None:
    with frozen():
        outcome = APPS.engine_outcome(text)
        assert outcome == APPS.reference(text)
        assert outcome[0] in ("bad_signature", "new")


# --- pluggable pieces -----------------------------------------------------------------------


def _json_of(cookie: str) -> bytes:
    """The JSON inside a session cookie (decompressed if need be)."""
    payload = cookie.rsplit(".", 2)[0]
    data = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
    return zlib.decompress(data) if payload.startswith(".") else data


def _register_on_both(apps: Apps, engine_tag: type, flask_tag: type) -> None:
    ours = TaggedJSONSerializer()
    ours.register(engine_tag, index=0)
    theirs = flask.json.tag.TaggedJSONSerializer()
    theirs.register(flask_tag, index=0)
    apps.engine.session_interface.serializer = ours
    apps.flask.session_interface.serializer = theirs


def _reversed_str_tag(base: type) -> type:
    class TagReversedStr(base):  # type: ignore[misc, valid-type]
        """Claims every str, the values the fast tagging passes through unchecked."""

        __slots__ = ()
        key = " r"

        def check(self, value: Any) -> bool:
            return isinstance(value, str)

        def to_json(self, value: Any) -> Any:
            return value[::-1]

        def to_python(self, value: Any) -> Any:
            return "R:" + value[::-1]

    return TagReversedStr


def test_a_registered_tag_that_claims_plain_values_is_honoured() -> None:
    apps = Apps()
    _register_on_both(
        apps, _reversed_str_tag(engine.json_tag.JSONTag), _reversed_str_tag(flask.json.tag.JSONTag)
    )
    contents = {"name": "ann", "n": 1, "nested": {"s": "x"}}
    with frozen():
        cookie = apps.cookie("engine", contents)
        assert cookie == apps.cookie("flask", contents)
        assert b'" r"' in _json_of(cookie)
        assert typed(dict(apps.open("engine", cookie))) == typed(dict(apps.open("flask", cookie)))


def test_a_serializer_subclass_overriding_tag_is_used() -> None:
    class Upper(TaggedJSONSerializer):
        __slots__ = ()

        def tag(self, value: Any) -> Any:
            return value.upper() if isinstance(value, str) else super().tag(value)

    apps = Apps()
    apps.engine.session_interface.serializer = Upper()
    with frozen():
        cookie = apps.cookie("engine", {"a": "x"})
        assert apps.engine_outcome(cookie) == ("valid", typed({"a": "X"}))


def test_a_serializer_subclass_overriding_untag_scan_is_used() -> None:
    class Marked(TaggedJSONSerializer):
        __slots__ = ()

        def _untag_scan(self, value: Any) -> Any:
            value = super()._untag_scan(value)
            return {**value, "seen": True} if isinstance(value, dict) else value

    apps = Apps()
    apps.engine.session_interface.serializer = Marked()
    with frozen():
        cookie = apps.cookie("engine", {"a": "x"})
        assert apps.engine_outcome(cookie) == ("valid", typed({"a": "x", "seen": True}))


def test_the_json_provider_settings_are_followed() -> None:
    apps = Apps()
    apps.engine.json.sort_keys = False
    apps.flask.json.sort_keys = False
    apps.engine.json.ensure_ascii = False
    apps.flask.json.ensure_ascii = False
    contents = {"z": "é", "a": 2}
    with frozen():
        assert apps.cookie("engine", contents) == apps.cookie("flask", contents)
        apps.engine.json.sort_keys = True
        apps.flask.json.sort_keys = True
        assert apps.cookie("engine", contents) == apps.cookie("flask", contents)


@pytest.mark.parametrize(
    "setting",
    [
        {"salt": "other-salt"},
        {"digest_method": staticmethod(hashlib.sha256)},
        {"key_derivation": "concat"},
        {"key_derivation": "django-concat"},
    ],
    ids=["salt", "digest", "concat", "django-concat"],
)
def test_other_signing_settings_use_itsdangerous(setting: dict[str, Any]) -> None:
    apps = Apps()
    apps.engine.session_interface = type(
        "E", (engine.sessions.SecureCookieSessionInterface,), setting
    )()
    apps.flask.session_interface = type(
        "F", (flask.sessions.SecureCookieSessionInterface,), setting
    )()
    with frozen():
        cookie = apps.cookie("engine", {"a": 1})
        assert cookie == apps.cookie("flask", {"a": 1})
        assert cookie != APPS.cookie("flask", {"a": 1})
        signer = apps.engine.session_interface._request_signer(apps.engine)
        assert isinstance(signer, URLSafeTimedSerializer)
        assert apps.engine_outcome(cookie) == ("valid", typed({"a": 1}))
        assert apps.engine_outcome(cookie + "x") == apps.reference(cookie + "x")


def test_an_overridden_get_signing_serializer_signs() -> None:
    made: list[Any] = []

    class Own(engine.sessions.SecureCookieSessionInterface):
        def get_signing_serializer(self, app: Any) -> Any:
            s = URLSafeTimedSerializer(app.secret_key, salt="own", serializer=self.serializer)
            made.append(s)
            return s

    apps = Apps()
    apps.engine.session_interface = Own()
    with frozen():
        cookie = apps.cookie("engine", {"a": 1})
        assert made and made[-1].loads(cookie) == {"a": 1}
        assert apps.engine_outcome(cookie) == ("valid", typed({"a": 1}))
        assert APPS.engine_outcome(cookie)[0] == "bad_signature"  # not the default salt


def test_an_instance_level_get_signing_serializer_signs() -> None:
    apps = Apps()
    iface = apps.engine.session_interface
    other = URLSafeTimedSerializer(SECRET, salt="instance", serializer=session_json_serializer)
    iface.get_signing_serializer = lambda app: other  # type: ignore[method-assign]
    with frozen():
        cookie = apps.cookie("engine", {"a": 1})
        assert other.loads(cookie) == {"a": 1}


class _BytesJSON:
    """A serializer producing bytes: itsdangerous then hands back bytes, too."""

    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj, sort_keys=True).encode()

    def loads(self, data: bytes) -> Any:
        assert isinstance(data, bytes)
        return json.loads(data)


@pytest.mark.parametrize("serializer", [_BytesJSON(), session_json_serializer, json])
@pytest.mark.parametrize(
    "keys",
    [["k"], [b"k"], ["old", "k"], [b"\xff\x00", "ünïcode"]],
    ids=["str", "bytes", "two", "mixed"],
)
def test_signer_matches_urlsafetimedserializer(serializer: Any, keys: list[Any]) -> None:
    reference = URLSafeTimedSerializer(
        keys,
        salt="cookie-session",
        serializer=serializer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    fast = TimedCookieSigner(keys, serializer)
    with frozen():
        for value in ({"a": 1}, {"x": "y" * 300}, {}):
            signed = fast.dumps(value)
            assert signed == reference.dumps(value)
            assert fast.loads(signed, max_age=10) == reference.loads(signed, max_age=10)
            for cookie in (
                signed,
                signed[:-1],
                signed[1:],
                b"x" + signed[-5:] if isinstance(signed, bytes) else "x",
            ):
                assert _loads_outcome(fast, cookie) == _loads_outcome(reference, cookie)
        # max_age None: no expiry check, as in itsdangerous
        old = fast.dumps({"a": 1})
    assert fast.loads(old) == reference.loads(old) == {"a": 1}


# --- json_tag's fast paths ----------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(_sessions)
def test_fast_tagging_equals_tagging(contents: dict[str, Any]) -> None:
    s = session_json_serializer
    assert json.dumps(s._tag_top(contents), sort_keys=True) == json.dumps(
        s.tag(contents), sort_keys=True
    )
    text = s.dumps(contents)
    assert typed(s.loads(text)) == typed(s._untag_scan(json.loads(text)))


def test_tagged_json_outside_an_app_context_uses_the_default_provider_settings() -> None:
    contents = {"z": 1, "a": "é", "t": (1, 2)}
    expected = json.dumps(
        session_json_serializer.tag(contents),
        separators=(",", ":"),
        default=engine.json_tag.json_default,
        ensure_ascii=True,
        sort_keys=True,
    )
    assert session_json_serializer.dumps(contents) == expected
