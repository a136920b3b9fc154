"""Decode a signed itsdangerous token (a Flask session cookie first of all) and check it.

Decoding needs no key: the payload is only signed, not encrypted. Verifying follows
itsdangerous ``TimedSerializer.loads``: the signature is checked against every key, newest
(last) first, and only a genuine signature is then checked for age (older than ``max_age``,
or dated in the future, is "expired").
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.cookies.errors import CookieError
from engine.cookies.inputs import CookieAttributes, parse_input
from engine.cookies.render import to_jsonable
from engine.cookies.signing import FLASK_SESSION, SigningSettings, keys_list
from engine.cookies.wire import (
    b64decode,
    bytes_to_int,
    inflate,
    split_token,
    timestamp_to_datetime,
)
from engine.json_tag import session_json_serializer

__all__ = ["MAX_DEPTH", "DecodedCookie", "Verification", "decode", "load_payload", "verify"]

MAX_DEPTH = 200  # nesting levels of a payload; deeper is refused before any recursion


@dataclass(frozen=True)
class Verification:
    """The verdict on a token's signature (and age) for a set of keys."""

    status: str  # "valid", "invalid" or "expired"
    key_index: int | None  # index into the keys as given ([*fallbacks, current]); None if invalid
    is_current: bool | None  # whether the matching key is the current (last) one
    key: bytes | None  # the matching key
    max_age: int | None  # the age limit checked, if any
    message: str  # one line for people

    @property
    def valid(self) -> bool:
        return self.status == "valid"


@dataclass(frozen=True)
class DecodedCookie:
    """Everything a token carries, decoded; ``payload`` has tagged values as Python types."""

    value: str  # the token itself, as found in the input
    name: str | None  # the cookie name, when the input had one
    source: str  # "value", "pair", "cookie-header" or "set-cookie"
    attributes: CookieAttributes | None  # Set-Cookie attributes, when pasted as such
    timed: bool  # payload.timestamp.signature (TimestampSigner) vs payload.signature
    compressed: bool  # zlib payload, marked by a leading "."
    payload_b64_size: int  # base64url characters of the payload part (without the ".")
    raw_size: int  # bytes after base64 decoding (compressed bytes if compressed)
    json_size: int  # bytes of JSON text (the inflated size if compressed)
    json_text: str  # the JSON exactly as signed (tags included)
    payload: Any  # untagged: tuple, bytes, Markup, UUID, aware datetime, " di" dicts
    payload_json: Any  # plain-JSON rendering of payload (see engine.cookies.render)
    timestamp: int | None  # seconds since the epoch; None for untimed tokens
    signed_at: datetime | None  # the timestamp as aware UTC
    age_seconds: int | None  # now - timestamp at decode time (negative: from the future)
    signature: bytes  # the raw MAC
    signed_message: bytes  # what the MAC covers: "[.]payload[.timestamp]"

    @property
    def signature_hex(self) -> str:
        return self.signature.hex()

    @property
    def inflated_size(self) -> int | None:
        return self.json_size if self.compressed else None

    def verify(
        self,
        keys: str | bytes | Iterable[str | bytes],
        *,
        settings: SigningSettings = FLASK_SESSION,
        max_age: int | None = None,
        now: int | None = None,
    ) -> Verification:
        return verify(self, keys, settings=settings, max_age=max_age, now=now)


def _depth_ok(value: Any) -> bool:
    # Iterative, so a hostile payload cannot exhaust the stack before we refuse it.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def load_payload(json_bytes: bytes) -> tuple[str, Any]:
    """The JSON text and the untagged value of a payload, or ``CookieError``."""
    try:
        text = json_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CookieError(
            "bad_utf8", f"payload is not UTF-8 ({exc.reason} at byte {exc.start})"
        ) from None
    try:
        tree = json.loads(text)
    except RecursionError:
        raise CookieError("too_deep", "payload JSON is nested too deeply") from None
    except ValueError as exc:
        raise CookieError("bad_json", f"payload is not JSON ({exc})") from None
    if not _depth_ok(tree):
        raise CookieError("too_deep", f"payload JSON is nested deeper than {MAX_DEPTH} levels")
    try:
        # Flask's own untagging walk (engine.json_tag mirrors flask/json/tag.py).
        value = session_json_serializer._untag_scan(tree)
    except Exception as exc:  # a tag's converter rejected its content (bytes, UUID, ...)
        raise CookieError(
            "bad_tag", f"bad tagged value in payload ({type(exc).__name__}: {exc})"
        ) from None
    return text, value


def decode(
    cookie: str | bytes,
    *,
    cookie_name: str | None = None,
    timed: bool | None = None,
    now: int | None = None,
) -> DecodedCookie:
    """Decode whatever was pasted (see ``parse_input``); ``timed=None`` detects by part count."""
    found = parse_input(cookie, cookie_name)
    token = split_token(found.value, timed)
    raw = b64decode(token.payload, "payload")
    json_bytes = inflate(raw) if token.compressed else raw
    text, value = load_payload(json_bytes)
    signature = b64decode(token.signature, "signature")
    timestamp = signed_at = age = None
    if token.timestamp is not None:
        timestamp = bytes_to_int(b64decode(token.timestamp, "timestamp"))
        signed_at = timestamp_to_datetime(timestamp)
        age = (int(time.time()) if now is None else now) - timestamp
    return DecodedCookie(
        value=found.value,
        name=found.name,
        source=found.source,
        attributes=found.attributes,
        timed=token.timestamp is not None,
        compressed=token.compressed,
        payload_b64_size=len(token.payload),
        raw_size=len(raw),
        json_size=len(json_bytes),
        json_text=text,
        payload=value,
        payload_json=to_jsonable(value),
        timestamp=timestamp,
        signed_at=signed_at,
        age_seconds=age,
        signature=signature,
        signed_message=token.signed_message,
    )


def verify(
    cookie: DecodedCookie | str | bytes,
    keys: str | bytes | Iterable[str | bytes],
    *,
    settings: SigningSettings = FLASK_SESSION,
    max_age: int | None = None,
    now: int | None = None,
) -> Verification:
    """Check the signature against ``keys`` ([*fallbacks, current]), then the age."""
    if max_age is not None and (not isinstance(max_age, int) or isinstance(max_age, bool)):
        raise CookieError(
            "bad_option", f"max_age must be an integer number of seconds, not {max_age!r}"
        )
    decoded = cookie if isinstance(cookie, DecodedCookie) else decode(cookie, now=now)
    secrets = keys_list(keys)
    if not secrets:
        raise CookieError("bad_option", "no secret key to verify with")
    for index in reversed(range(len(secrets))):
        expected = settings.signature(secrets[index], decoded.signed_message)
        if hmac.compare_digest(expected, decoded.signature):
            break
    else:
        tried = "the key" if len(secrets) == 1 else f"any of the {len(secrets)} keys"
        return Verification(
            "invalid", None, None, None, max_age, f"signature does not match {tried}"
        )
    current = index == len(secrets) - 1
    which = "the current key" if current else f"fallback key #{index}"
    if max_age is not None and decoded.timestamp is not None:
        age = (int(time.time()) if now is None else now) - decoded.timestamp
        if age > max_age:
            message = f"signed with {which}, but expired: age {age} s > max age {max_age} s"
            return Verification("expired", index, current, secrets[index], max_age, message)
        if age < 0:
            message = f"signed with {which}, but dated {-age} s in the future"
            return Verification("expired", index, current, secrets[index], max_age, message)
    return Verification("valid", index, current, secrets[index], max_age, f"signed with {which}")
