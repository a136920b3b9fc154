"""What users paste (values, pairs, header lines) and every way a token can be malformed."""

from __future__ import annotations

import base64
import time
import zlib

import pytest

from engine.cookies import CookieError, decode, parse_input, sign
from engine.cookies.inputs import MAX_LINE, MAX_VALUE

TOKEN = sign({"user_info": "name"}, "aptx4869", timestamp=1795284853)


@pytest.mark.parametrize(
    "text",
    [
        TOKEN,
        f"  {TOKEN}\n",
        f"'{TOKEN}'",
        f'"{TOKEN}"',
        f"session={TOKEN}",
        f'session="{TOKEN}"',
        f"Cookie: theme=dark; session={TOKEN}; lang=en",
        f"cookie:session={TOKEN}",
        f"theme=dark; session={TOKEN}",
        f"Set-Cookie: session={TOKEN}; HttpOnly; Path=/",
        f"session={TOKEN}; Path=/; HttpOnly",
        f"'Cookie: session={TOKEN}'",
    ],
)
def test_forms_that_carry_the_token(text: str) -> None:
    assert parse_input(text).value == TOKEN
    assert decode(text).payload == {"user_info": "name"}


def test_cookie_header_picks_by_name_or_the_only_one() -> None:
    found = parse_input(f"Cookie: other={TOKEN}")
    assert found.name == "other" and found.source == "cookie-header"
    found = parse_input(f"Cookie: a=1; sid={TOKEN}", cookie_name="sid")
    assert found.value == TOKEN and found.name == "sid"
    with pytest.raises(CookieError) as info:
        parse_input(f"Cookie: a=1; b={TOKEN}")
    assert info.value.reason == "no_cookie" and "a, b" in str(info.value)
    with pytest.raises(CookieError):
        parse_input(f"Cookie: other={TOKEN}", cookie_name="session")


def test_set_cookie_attributes() -> None:
    line = (
        f"Set-Cookie: session={TOKEN}; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Max-Age=3600; "
        "Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=None; Partitioned; Foo=bar; Ext"
    )
    found = parse_input(line)
    attrs = found.attributes
    assert found.source == "set-cookie" and attrs is not None
    assert attrs.expires is not None and attrs.expires.isoformat() == "2026-10-21T07:28:00+00:00"
    assert attrs.expires_raw == "Wed, 21 Oct 2026 07:28:00 GMT"
    assert attrs.max_age == 3600 and attrs.domain == "example.com" and attrs.path == "/app"
    assert attrs.secure and attrs.httponly and attrs.partitioned and attrs.samesite == "None"
    assert attrs.other == (("Foo", "bar"), ("Ext", None))
    assert attrs.to_json()["max_age"] == 3600
    # Deletion as Flask writes it, and nonsense values ignored as RFC 6265 §5.2 says
    gone = parse_input(f"Set-Cookie: session={TOKEN}; Expires=nonsense; Max-Age=abc")
    assert gone.attributes.expires is None and gone.attributes.max_age is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("''", "empty"),
        ("session=", "empty"),
        ("Cookie: ", "empty"),
        ("x" * (MAX_VALUE + 1), "too_long"),
        ("x" * (MAX_LINE + 1), "too_long"),
        ("abc", "parts"),
        ("a.b.c.d", "parts"),
        (".", "parts"),
        ("..", "bad_zlib"),
        ("a b.c.d", "bad_chars"),
        ("é.b.c", "bad_chars"),
        ("a.b.c", "bad_base64"),
        ("e30.AAAAAAAAAAAA.AAAA", "bad_timestamp"),
        ("e30.AQ.c", "bad_base64"),
        ("bm90IGpzb24.AQ.AAAA", "bad_json"),
        ("_w.AQ.AAAA", "bad_utf8"),
        (".bm90IHpsaWI.AQ.AAAA", "bad_zlib"),
        ("eyIgYiI6IkEifQ.AQ.AAAA", "bad_tag"),  # {" b":"A"}
        ("eyIgdSI6Inh5eiJ9.AQ.AAAA", "bad_tag"),  # {" u":"xyz"}
        ("eyIgdCI6NX0.AQ.AAAA", "bad_tag"),  # {" t":5}
    ],
)
def test_malformed_inputs(text: str, reason: str) -> None:
    with pytest.raises(CookieError) as info:
        decode(text)
    assert info.value.reason == reason, str(info.value)
    assert "\n" not in str(info.value) and str(info.value)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_zlib_bomb_refused_quickly_without_allocating() -> None:
    bomb = zlib.compress(b"[" + b" " * (4 * 1024 * 1024) + b"]", 9)
    token = "." + _b64(bomb) + ".AQ.AAAA"
    assert len(token) < MAX_VALUE
    start = time.perf_counter()
    with pytest.raises(CookieError) as info:
        decode(token)
    assert info.value.reason == "zlib_bomb"
    assert time.perf_counter() - start < 1.0


def test_truncated_zlib_and_trailing_garbage() -> None:
    data = zlib.compress(b'{"a":1}')
    with pytest.raises(CookieError) as info:
        decode("." + _b64(data[:-3]) + ".AQ.AAAA")
    assert info.value.reason == "bad_zlib"
    # zlib.decompress (and so Flask) ignores bytes after the end of the stream
    assert decode("." + _b64(data + b"junk") + ".AQ.AAAA").payload == {"a": 1}


def test_deep_nesting_refused() -> None:
    deep = zlib.compress(b"[" * 5000 + b"]" * 5000)
    with pytest.raises(CookieError) as info:
        decode("." + _b64(deep) + ".AQ.AAAA")
    assert info.value.reason == "too_deep"


def test_untimed_and_forced_forms() -> None:
    untimed = sign({"a": 1}, "k", timed=False)
    assert untimed.count(".") == 1
    assert decode(untimed).timed is False
    with pytest.raises(CookieError) as info:
        decode(untimed, timed=True)
    assert info.value.reason == "parts"


def test_lenient_base64_like_itsdangerous() -> None:
    # itsdangerous adds missing padding and accepts extra "=": so do we.
    payload, ts, sig = TOKEN.split(".")
    assert decode(f"{payload}==.{ts}.{sig}").payload == {"user_info": "name"}


def test_compressed_token_after_a_name() -> None:
    big = sign({"text": "abc" * 100}, "k")
    assert big.startswith(".")
    for text in (big, f"session={big}", f"Cookie: a=1; session={big}", f"session={big}; Path=/"):
        assert decode(text).payload == {"text": "abc" * 100}, text
