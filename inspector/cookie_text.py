"""Set-Cookie and session cookies, decoded for people, through ``engine.cookies``.

The decoding itself (base64url parts, zlib, tagged JSON, HMAC-SHA1 verification) belongs to the
engine's cookie library; this module only words its results for the response pane and the
session tab.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["describe_cookie"]


def describe_cookie(text: str, keys: Sequence[str | bytes] = ()) -> str:
    """A few lines about a Set-Cookie / cookie value: what it holds, and whether it verifies."""
    try:
        from engine.cookies.decode import decode
        from engine.cookies.errors import CookieError
        from engine.cookies.render import pretty
    except ImportError:  # an engine without the cookie library: nothing to decode with
        return ""
    try:
        dec = decode(text)
    except CookieError as exc:
        return f"  (not a signed session token: {exc})"
    attrs = dec.attributes
    lines = []
    if attrs is not None and attrs.max_age is not None and attrs.max_age <= 0:
        lines.append("  deletes the cookie (Max-Age=0)")
    if not dec.value:
        return "\n".join(lines)
    lines.append(f"  payload: {pretty(dec.payload)}")
    extra = []
    if dec.signed_at is not None:
        extra.append(f"signed {dec.signed_at:%Y-%m-%d %H:%M:%S} UTC (age {dec.age_seconds} s)")
    extra.append("zlib-compressed" if dec.compressed else "not compressed")
    extra.append(f"signature {dec.signature_hex[:16]}…")
    lines.append("  " + ", ".join(extra))
    if keys:
        try:
            verdict: Any = dec.verify(list(keys))
            lines.append(f"  verification: {verdict.message}")
        except CookieError as exc:
            lines.append(f"  verification: {exc}")
    return "\n".join(lines)
