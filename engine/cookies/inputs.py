"""What users paste: a bare value, ``name=value``, a ``Cookie:`` or a ``Set-Cookie:`` line.

The result is the one cookie value to decode, plus the cookie's name and, for a
``Set-Cookie`` line, its attributes (RFC 6265 §5.2, parsed leniently as a browser would).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from werkzeug.http import parse_date

from engine.cookies.errors import CookieError

__all__ = [
    "MAX_LINE",
    "MAX_VALUE",
    "CookieAttributes",
    "CookieInput",
    "check_value",
    "parse_input",
]

MAX_LINE = 16 * 1024  # characters of a pasted header line; servers refuse far less
MAX_VALUE = 8 * 1024  # characters of one cookie value; browsers keep at most 4096 bytes

_ATTRIBUTES = frozenset(
    {"expires", "max-age", "path", "domain", "secure", "httponly", "samesite", "partitioned"}
)
_QUOTES = ("'", '"')
# RFC 6265 §4.1.1 cookie-octet: US-ASCII minus controls, whitespace, DQUOTE, comma, ";", "\".
_BAD_OCTET = re.compile(r"[^\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]")
_MAX_AGE = re.compile(r"-?[0-9]+\Z")


@dataclass(frozen=True)
class CookieAttributes:
    """The attributes of a ``Set-Cookie`` line; ``None`` / ``False`` when absent."""

    expires: datetime | None  # aware UTC, or None when absent or unparsable
    expires_raw: str | None  # the Expires text as sent
    max_age: int | None  # RFC 6265 §5.2.2: seconds; 0 or less deletes the cookie
    path: str | None  # §5.2.4; None means the default path of the request URL
    domain: str | None  # §5.2.3; None means host-only
    secure: bool  # sent over HTTPS only
    httponly: bool  # hidden from document.cookie
    samesite: str | None  # as sent: "Lax", "Strict", "None"
    partitioned: bool  # CHIPS
    other: tuple[tuple[str, str | None], ...]  # unknown attributes, in order

    def to_json(self) -> dict[str, object]:
        return {
            "expires": self.expires.isoformat() if self.expires else None,
            "expires_raw": self.expires_raw,
            "max_age": self.max_age,
            "path": self.path,
            "domain": self.domain,
            "secure": self.secure,
            "httponly": self.httponly,
            "samesite": self.samesite,
            "partitioned": self.partitioned,
            "other": [list(item) for item in self.other],
        }


@dataclass(frozen=True)
class CookieInput:
    """The cookie value found in what was pasted, and where it came from."""

    value: str  # the cookie value, unquoted
    name: str | None  # the cookie name, when the input had one
    source: str  # "value", "pair", "cookie-header" or "set-cookie"
    attributes: CookieAttributes | None  # only for a Set-Cookie line


def _strip_quotes(text: str) -> str:
    text = text.strip()
    while len(text) >= 2 and text[0] == text[-1] and text[0] in _QUOTES:
        text = text[1:-1].strip()
    return text


def _split_pair(item: str) -> tuple[str, str]:
    name, _, value = item.partition("=")
    return name.strip(), value.strip()


def check_value(value: str) -> str:
    """The unquoted cookie value, refused when empty, too long or not made of cookie-octets."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':  # RFC 6265 quoted cookie-value
        value = value[1:-1]
    if not value:
        raise CookieError("empty", "the cookie value is empty")
    if len(value) > MAX_VALUE:
        raise CookieError(
            "too_long", f"cookie value of {len(value)} characters; more than {MAX_VALUE} refused"
        )
    bad = _BAD_OCTET.search(value)
    if bad is not None:
        char = bad.group()
        raise CookieError(
            "bad_chars",
            f"character {char!a} at position {bad.start()} cannot appear in a cookie value",
        )
    return value


def _parse_expires(value: str) -> datetime | None:
    try:
        return parse_date(value)
    except (ValueError, TypeError, OverflowError):  # werkzeug catches most; be sure
        return None


def _attributes(items: list[str]) -> CookieAttributes:
    fields: dict[str, object] = {
        "expires": None,
        "expires_raw": None,
        "max_age": None,
        "path": None,
        "domain": None,
        "secure": False,
        "httponly": False,
        "samesite": None,
        "partitioned": False,
    }
    other: list[tuple[str, str | None]] = []
    for item in items:
        if not item.strip():
            continue
        name, has_value, value = (part.strip() for part in item.partition("="))
        key = name.lower()
        if key == "expires":
            fields["expires_raw"] = value
            fields["expires"] = _parse_expires(value)
        elif key == "max-age":
            # §5.2.2: not a (signed) integer means the attribute is ignored.
            if _MAX_AGE.match(value) and len(value) < 20:
                fields["max_age"] = int(value)
        elif key in ("path", "domain", "samesite"):
            fields[key] = value or None
        elif key in ("secure", "httponly", "partitioned"):
            fields[key] = True
        else:
            other.append((name, value if has_value else None))
    return CookieAttributes(other=tuple(other), **fields)  # type: ignore[arg-type]


def _looks_like_set_cookie(items: list[str]) -> bool:
    rest = [item for item in items[1:] if item.strip()]
    return bool(rest) and all(
        _split_pair(item)[0].lower() in _ATTRIBUTES or "=" not in item for item in rest
    )


def parse_input(text: str | bytes, cookie_name: str | None = None) -> CookieInput:
    """Find the cookie value in ``text``; ``cookie_name`` picks one from a ``Cookie`` line.

    Without a name the cookie called ``session`` is taken, or the only cookie there is.
    """
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    if not isinstance(text, str):
        raise CookieError("bad_option", f"expected text, got {type(text).__name__}")
    if len(text) > MAX_LINE:
        raise CookieError(
            "too_long", f"input of {len(text)} characters; more than {MAX_LINE} refused"
        )
    text = _strip_quotes(text)
    if not text:
        raise CookieError("empty", "nothing to decode: the input is empty")

    head, colon, rest = text.partition(":")
    header = head.strip().lower() if colon else ""
    if header == "set-cookie":
        return _from_set_cookie(rest)
    if header == "cookie":
        return _from_cookie_header(rest, cookie_name)
    first = text.split(";", 1)[0]
    if "=" not in first or first.partition("=")[2].startswith("="):
        # No name, or "==" that is base64 padding (itsdangerous tolerates "payload==.ts.sig");
        # a single "=" stays a name separator, as "session=.compressed" needs.
        return CookieInput(check_value(text), None, "value", None)
    items = text.split(";")
    if _looks_like_set_cookie(items):
        return _from_set_cookie(text)
    if len([item for item in items if item.strip()]) == 1:
        name, value = _split_pair(items[0])
        return CookieInput(check_value(value), name, "pair", None)
    return _from_cookie_header(text, cookie_name)


def _from_set_cookie(line: str) -> CookieInput:
    items = line.strip().split(";")
    name, value = _split_pair(items[0])
    if "=" not in items[0]:
        raise CookieError("no_cookie", "Set-Cookie line without a name=value pair")
    return CookieInput(check_value(value), name, "set-cookie", _attributes(items[1:]))


def _from_cookie_header(line: str, cookie_name: str | None) -> CookieInput:
    # RFC 6265 §4.2.1: cookie-pair *( ";" SP cookie-pair ); be lenient about the spaces.
    pairs = [_split_pair(item) for item in line.split(";") if item.strip()]
    if not pairs:
        raise CookieError("empty", "the Cookie line holds no cookies")
    wanted = cookie_name or "session"
    for name, value in pairs:
        if name == wanted:
            return CookieInput(check_value(value), name, "cookie-header", None)
    if len(pairs) == 1 and cookie_name is None:
        name, value = pairs[0]
        return CookieInput(check_value(value), name, "cookie-header", None)
    names = ", ".join(name or "(unnamed)" for name, _ in pairs[:10])
    raise CookieError("no_cookie", f"no cookie named {wanted!r} in the Cookie line (has: {names})")
