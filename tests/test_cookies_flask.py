"""The cookie workbench against real Flask 3.1: its cookies decode here, ours open there."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import flask
import pytest
from markupsafe import Markup

from engine.cookies import CookieError, decode, parse_input, resign, sign, verify
from engine.cookies.signing import SigningSettings
from tests.flask_version import SECRET_KEY_FALLBACKS

SECRET = "flask-real-secret"
OLD = b"\x00\xffold-binary-key"

VALUES = {
    "tuple": (1, "two", (3,)),
    "bytes": b"\x00\x01\xfe\xff",
    "markup": Markup("<b>bold</b> &amp;"),
    "uuid": uuid.UUID("0b3c8f5e-6a0e-4d7b-9f3e-2c1d4e5f6a7b"),
    "when": datetime(2030, 5, 17, 8, 9, 10, tzinfo=UTC),
    "di": {" t": "not a tuple"},
    "nested": {"list": [(1,), {" b": [1]}, None, True, 1.5], "é": "ü"},
}


def typed(value: object) -> object:
    if isinstance(value, dict):
        return ("dict", sorted((k, typed(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [typed(v) for v in value])
    return (type(value).__name__, repr(value))


def make_app(**config: object) -> flask.Flask:
    app = flask.Flask("cookie_tests")
    app.config.update(SECRET_KEY=SECRET, **config)

    @app.route("/set/<name>")
    def set_value(name: str) -> str:
        flask.session[name] = VALUES[name]
        return "ok"

    @app.route("/all")
    def set_all() -> str:
        flask.session.update(VALUES)
        return "ok"

    @app.route("/permanent")
    def permanent() -> str:
        flask.session.permanent = True
        flask.session["user"] = "alice"
        return "ok"

    @app.route("/big")
    def big() -> str:
        flask.session["text"] = "abc" * 400
        return "ok"

    @app.route("/show")
    def show() -> str:
        return repr(typed(dict(flask.session)))

    return app


def set_cookie_line(response) -> str:  # type: ignore[no-untyped-def]
    lines = response.headers.getlist("Set-Cookie")
    assert len(lines) == 1, lines
    return lines[0]


def flask_open(app: flask.Flask, cookie: str) -> dict:
    """What Flask's own session interface makes of a cookie value."""
    with app.test_request_context("/", headers={"Cookie": f"session={cookie}"}):
        session = app.session_interface.open_session(app, flask.request)
        assert session is not None
        return dict(session)


@pytest.mark.parametrize("name", list(VALUES))
def test_flask_cookie_with_each_tag_decodes_and_verifies(name: str) -> None:
    app = make_app()
    line = set_cookie_line(app.test_client().get(f"/set/{name}"))
    decoded = decode(line)
    assert decoded.source == "set-cookie" and decoded.name == "session"
    assert typed(decoded.payload) == typed({name: VALUES[name]})
    assert decoded.attributes is not None and decoded.attributes.httponly
    assert decoded.attributes.path == "/" and decoded.attributes.expires is None
    assert abs(decoded.age_seconds) <= 2  # type: ignore[arg-type]
    verdict = decoded.verify(SECRET, max_age=31 * 86400)
    assert verdict.valid and verdict.is_current and verdict.key_index == 0


def test_every_tag_at_once_and_json_rendering() -> None:
    app = make_app()
    decoded = decode(set_cookie_line(app.test_client().get("/all")))
    assert typed(decoded.payload) == typed(VALUES)
    assert decoded.payload_json["tuple"] == [1, "two", [3]]
    assert decoded.payload_json["bytes"] == {"__bytes__": "AAH+/w=="}
    assert decoded.payload_json["uuid"] == "0b3c8f5e-6a0e-4d7b-9f3e-2c1d4e5f6a7b"
    assert decoded.payload_json["when"] == "2030-05-17T08:09:10+00:00"
    assert decoded.payload_json["markup"] == "<b>bold</b> &amp;"
    assert decoded.payload_json["di"] == {" t": "not a tuple"}
    assert '" di":{" t__":"not a tuple"}' in decoded.json_text


def test_compressed_flask_cookie() -> None:
    app = make_app()
    decoded = decode(set_cookie_line(app.test_client().get("/big")))
    assert decoded.compressed and decoded.value.startswith(".")
    assert decoded.payload == {"text": "abc" * 400}
    assert decoded.json_size == decoded.inflated_size > decoded.raw_size
    assert decoded.verify(SECRET).valid


def test_permanent_session_attributes() -> None:
    app = make_app(SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=True)
    before = datetime.now(UTC)
    decoded = decode(set_cookie_line(app.test_client().get("/permanent")))
    attrs = decoded.attributes
    assert attrs is not None and attrs.expires is not None
    expected = before + timedelta(days=31)
    assert abs((attrs.expires - expected).total_seconds()) <= 3
    assert attrs.secure and attrs.httponly and attrs.samesite == "Lax"
    assert decoded.payload == {"_permanent": True, "user": "alice"}


@SECRET_KEY_FALLBACKS
def test_fallback_keys_in_flask_order() -> None:
    old_app = make_app()
    old_app.config["SECRET_KEY"] = OLD
    cookie = parse_input(set_cookie_line(old_app.test_client().get("/set/tuple"))).value
    # Flask after rotation: the old key is a fallback, still accepted.
    new_app = make_app(SECRET_KEY_FALLBACKS=[OLD])
    assert typed(flask_open(new_app, cookie)) == typed({"tuple": VALUES["tuple"]})
    verdict = verify(cookie, [OLD, SECRET])
    assert verdict.valid and verdict.key_index == 0 and verdict.is_current is False
    assert "fallback" in verdict.message
    assert verify(cookie, [SECRET]).status == "invalid"


def test_cookie_signed_here_is_accepted_by_flask() -> None:
    app = make_app()
    cookie = sign(VALUES, SECRET)
    assert typed(flask_open(app, cookie)) == typed(VALUES)
    # and through a real request of the test client
    client = app.test_client()
    client.set_cookie("session", cookie)
    assert client.get("/show").get_data(as_text=True) == repr(typed(VALUES))


def test_signed_bytes_are_flasks_bytes() -> None:
    app = make_app()
    client = app.test_client()
    line = set_cookie_line(client.get("/all"))
    decoded = decode(line)
    # Same payload, same timestamp, same key: the same token, byte for byte.
    assert sign(decoded.payload, SECRET, timestamp=decoded.timestamp) == decoded.value
    big = decode(set_cookie_line(client.get("/big")))
    assert sign(big.payload, SECRET, timestamp=big.timestamp) == big.value


def test_reference_worked_example() -> None:
    token = sign({"user_info": "name"}, "aptx4869", timestamp=1795284853)
    assert token == "eyJ1c2VyX2luZm8iOiJuYW1lIn0.awHfdQ.JqD0sGwdNF8pPas7c4YZz7Q-woc"
    assert SigningSettings().derive_key(b"aptx4869").hex() == (
        "18be1d1ec0c5a1cc008041ea5cbd741d24eaa6e6"
    )
    decoded = decode(token)
    assert decoded.timestamp == 1795284853 and decoded.payload == {"user_info": "name"}
    assert decoded.signature_hex == "26a0f4b06c1d345f293dab3b738619cfb43ec287"


def test_expiry_matches_flask() -> None:
    app = make_app()
    lifetime = int(app.permanent_session_lifetime.total_seconds())
    old = sign({"a": 1}, SECRET, timestamp=int(time.time()) - lifetime - 10)
    assert flask_open(app, old) == {}  # Flask drops it...
    assert verify(old, SECRET, max_age=lifetime).status == "expired"  # ...we say why
    assert verify(old, SECRET).status == "valid"
    future = sign({"a": 1}, SECRET, timestamp=int(time.time()) + 3600)
    assert flask_open(app, future) == {}
    assert verify(future, SECRET, max_age=lifetime).status == "expired"


def test_resign_sets_keys_and_flask_reads_them() -> None:
    app = make_app()
    original = sign({"user": "alice", "role": "user"}, "weak")
    cookie = resign(original, SECRET, {"role": "admin", "ids": (1, 2)})
    assert typed(flask_open(app, cookie)) == typed(
        {"user": "alice", "role": "admin", "ids": (1, 2)}
    )
    with pytest.raises(CookieError) as info:
        resign(sign([1, 2], SECRET), SECRET, {"x": 1})
    assert info.value.reason == "bad_payload"


def test_other_itsdangerous_tokens() -> None:
    import hashlib

    from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

    timed = URLSafeTimedSerializer("k", salt="reset-password")
    token = timed.dumps({"user": 7, "long": "x" * 300})
    settings = SigningSettings(salt=b"reset-password", key_derivation="django-concat")
    decoded = decode(token)
    assert decoded.timed and decoded.compressed and decoded.payload["user"] == 7
    assert decoded.verify("k", settings=settings).valid
    assert decoded.verify("k").status == "invalid"  # Flask's settings do not fit
    untimed = URLSafeSerializer("k", salt="s", signer_kwargs={"digest_method": hashlib.sha256})
    token = untimed.dumps([1, "a"])
    decoded = decode(token)
    assert not decoded.timed and decoded.timestamp is None and decoded.payload == [1, "a"]
    settings = SigningSettings(salt=b"s", digest="sha256", key_derivation="django-concat")
    assert decoded.verify("k", settings=settings).valid
    # and tokens made here are accepted by itsdangerous itself
    made = sign(
        {"a": 1}, "k", salt="s", digest="sha256", key_derivation="django-concat", timed=False
    )
    assert untimed.loads(made) == {"a": 1}


@pytest.mark.parametrize("digest", ["sha1", "sha256", "sha512", "md5", "blake2b", "sha3_256"])
@pytest.mark.parametrize("derivation", ["hmac", "concat", "django-concat", "none"])
def test_settings_match_itsdangerous(digest: str, derivation: str) -> None:
    import hashlib

    from itsdangerous import URLSafeTimedSerializer

    from engine.json_tag import session_json_serializer

    ser = URLSafeTimedSerializer(
        "key",
        salt="salty",
        serializer=session_json_serializer,
        signer_kwargs={
            "key_derivation": derivation,
            "digest_method": getattr(hashlib, digest),
        },
    )
    ours = sign((1, b"x"), "key", salt="salty", digest=digest, key_derivation=derivation)
    assert ser.loads(ours) == (1, b"x")
    theirs = ser.dumps({"v": 1})
    settings = SigningSettings(salt=b"salty", digest=digest, key_derivation=derivation)
    assert decode(theirs).verify("key", settings=settings).valid
