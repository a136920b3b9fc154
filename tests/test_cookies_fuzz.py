"""Whatever is pasted, the workbench answers or raises CookieError, and agrees with Flask."""

from __future__ import annotations

import time

import flask
from cookie_mutations import ALPHABET, mutate, mutation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import BadSignature

from engine.cookies import CookieError, decode, sign, verify

SECRET = "fuzz-secret"
_APP = flask.Flask("fuzz")
_APP.config["SECRET_KEY"] = SECRET


def _flask_cookie(value: object) -> str:
    app = flask.Flask("maker")
    app.config["SECRET_KEY"] = SECRET

    @app.route("/")
    def view() -> str:
        flask.session["v"] = value
        return ""

    header = app.test_client().get("/").headers["Set-Cookie"]
    return header.split(";", 1)[0].split("=", 1)[1]


REAL = [
    _flask_cookie("plain"),
    _flask_cookie((1, b"\x00", {"k": [1.5, None]})),
    _flask_cookie("x" * 500),  # compressed
    _flask_cookie({" t": 1}),
]


def _outcome(text: object, *, keys: object = SECRET) -> str:
    try:
        decoded = decode(text)  # type: ignore[arg-type]
        verdict = decoded.verify(keys, max_age=10**9)  # type: ignore[arg-type]
    except CookieError as exc:
        assert exc.reason and str(exc) and "\n" not in str(exc)
        return exc.reason
    return "ok" if verdict.valid else verdict.status


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=ALPHABET), st.binary()))
def test_arbitrary_input_only_cookieerror(text: str | bytes) -> None:
    _outcome(text)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(), st.binary(), st.integers(), st.lists(st.text())))
def test_arbitrary_keys_only_cookieerror(keys: object) -> None:
    _outcome(REAL[0], keys=keys)




def _flask_loads(token: str) -> tuple[str, object]:
    serializer = _APP.session_interface.get_signing_serializer(_APP)  # type: ignore[attr-defined]
    with _APP.app_context():
        try:
            return "ok", serializer.loads(token)
        except BadSignature:
            return "bad", None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(REAL), st.lists(mutation, min_size=1, max_size=3))
def test_mutated_real_cookies_agree_with_flask(token: str, steps: list) -> None:
    mutated = mutate(token, steps)
    ours = _outcome(mutated)
    if ours == "ok":
        # Genuine for us means Flask reads the very same value once the pasted text is
        # normalized (surrounding whitespace and quotes are part of pasting, not the cookie).
        status, value = _flask_loads(decode(mutated).value)
        assert status == "ok"
        assert repr(decode(mutated).payload) == repr(value)
    elif not mutated.isascii() or any(c in mutated for c in " ;\"'\t\x00+/!"):
        return  # we refuse non-cookie-octets; itsdangerous' lenient base64 may skip them
    else:
        status, _ = _flask_loads(mutated)
        # Stricter than Flask only on the part count (itsdangerous base64 skips extra dots).
        assert status == "bad" or ours == "parts", (mutated, ours)


@settings(max_examples=80, deadline=None)
@given(
    st.recursive(
        st.one_of(st.none(), st.integers(), st.text(max_size=20), st.binary(max_size=20)),
        lambda c: st.one_of(
            st.lists(c, max_size=4), st.dictionaries(st.text(max_size=5), c, max_size=4)
        ),
        max_leaves=10,
    )
)
def test_sign_anything_round_trips_or_cookieerror(payload: object) -> None:
    try:
        token = sign(payload, SECRET, timestamp=1)
    except CookieError:
        return
    decoded = decode(token, now=1)
    assert decoded.payload == payload
    assert verify(decoded, SECRET).valid


def test_huge_inputs_refused_fast() -> None:
    start = time.perf_counter()
    for text in ("a" * 10**6, "Cookie: " + "a=b; " * 10**5, "." * 10**5):
        try:
            decode(text)
        except CookieError as exc:
            assert exc.reason == "too_long"
    assert time.perf_counter() - start < 1.0
