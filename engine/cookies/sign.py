"""Make tokens Flask accepts: ``URLSafeTimedSerializer.dumps`` with the session's serializer."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from engine.cookies.decode import decode
from engine.cookies.errors import CookieError
from engine.cookies.signing import SigningSettings, keys_list
from engine.cookies.wire import b64encode, deflate_payload, int_to_bytes
from engine.json_tag import session_json_serializer

__all__ = ["dump_payload", "resign", "sign"]

_MAX_TIMESTAMP = 2**64 - 1  # itsdangerous packs the timestamp as an unsigned 64-bit integer


def dump_payload(payload: Any) -> tuple[bool, bytes]:
    """Tagged compact JSON (exactly Flask's bytes), zlib'd only when that saves > 1 byte."""
    try:
        text = session_json_serializer.dumps(payload)
    except (TypeError, ValueError, RecursionError) as exc:
        raise CookieError("bad_payload", f"payload cannot be serialized ({exc})") from None
    return deflate_payload(text.encode("utf-8"))


def sign(
    payload: Any,
    secret: str | bytes | Iterable[str | bytes],
    *,
    timestamp: int | None = None,
    salt: str | bytes = b"cookie-session",
    digest: str = "sha1",
    key_derivation: str = "hmac",
    timed: bool = True,
) -> str:
    """A token for ``payload`` signed with ``secret`` (of a list, the last: Flask's current key).

    ``timed=False`` makes an untimed ``URLSafeSerializer`` token (``payload.signature``).
    """
    settings = SigningSettings(salt=salt, digest=digest, key_derivation=key_derivation)  # type: ignore[arg-type]
    keys = keys_list(secret)
    if not keys:
        raise CookieError("bad_option", "no secret key to sign with")
    compressed, data = dump_payload(payload)
    message = (b"." if compressed else b"") + b64encode(data)
    if timed:
        ts = int(time.time()) if timestamp is None else timestamp
        if not isinstance(ts, int) or not 0 <= ts <= _MAX_TIMESTAMP:
            raise CookieError("bad_option", f"timestamp must be an integer 0..2**64-1, not {ts!r}")
        message += b"." + b64encode(int_to_bytes(ts))
    signature = b64encode(settings.signature(keys[-1], message))
    return (message + b"." + signature).decode("ascii")


def resign(
    cookie: str | bytes,
    secret: str | bytes | Iterable[str | bytes],
    set_items: Mapping[str, Any] | None = None,
    *,
    unset: Iterable[str] = (),
    timestamp: int | None = None,
    keep_timestamp: bool = False,
    salt: str | bytes = b"cookie-session",
    digest: str = "sha1",
    key_derivation: str = "hmac",
    cookie_name: str | None = None,
) -> str:
    """Decode ``cookie``, change keys of its (dict) payload and sign the result anew.

    The new token gets the current time unless ``timestamp`` is given or ``keep_timestamp``.
    """
    decoded = decode(cookie, cookie_name=cookie_name)
    payload = decoded.payload
    if set_items or unset:
        if not isinstance(payload, dict):
            kind = type(payload).__name__
            raise CookieError(
                "bad_payload", f"cannot set keys: the payload is a {kind}, not a dict"
            )
        payload = dict(payload)
        for key in unset:
            payload.pop(key, None)
        payload.update(set_items or {})
    if keep_timestamp and timestamp is None:
        timestamp = decoded.timestamp
    return sign(
        payload,
        secret,
        timestamp=timestamp,
        salt=salt,
        digest=digest,
        key_derivation=key_derivation,
        timed=decoded.timed,
    )
