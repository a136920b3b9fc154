"""The itsdangerous wire form: base64url parts, the timestamp integer, the zlib payload.

Every function here mirrors itsdangerous 2.2 (``encoding.py``, ``timed.py``, ``url_safe.py``)
byte for byte, except that failures raise ``CookieError`` and that inflating is capped so a
small cookie cannot make us allocate a large buffer.
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

from engine.cookies.errors import CookieError

__all__ = [
    "MAX_INFLATED",
    "Token",
    "b64decode",
    "b64encode",
    "bytes_to_int",
    "deflate_payload",
    "inflate",
    "int_to_bytes",
    "split_token",
    "timestamp_to_datetime",
]

MAX_INFLATED = 1024 * 1024  # bytes a compressed payload may inflate to; browsers cap at 4 KiB
_INT64 = struct.Struct(">Q")


def b64encode(data: bytes) -> bytes:
    """URL-safe base64 without ``=`` padding (itsdangerous ``base64_encode``)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def b64decode(text: str | bytes, what: str = "value") -> bytes:
    """itsdangerous ``base64_decode``: non-ASCII dropped, padding restored, lenient alphabet."""
    data = text.encode("ascii", "ignore") if isinstance(text, str) else text
    data += b"=" * (-len(data) % 4)
    try:
        return base64.urlsafe_b64decode(data)
    except (binascii.Error, ValueError) as exc:
        raise CookieError("bad_base64", f"{what} is not valid base64url ({exc})") from None


def int_to_bytes(num: int) -> bytes:
    """Big-endian, leading zero bytes stripped (0 is the empty string)."""
    return _INT64.pack(num).lstrip(b"\x00")


def bytes_to_int(data: bytes) -> int:
    if len(data) > 8:
        raise CookieError("bad_timestamp", f"timestamp has {len(data)} bytes, at most 8 fit")
    return _INT64.unpack(data.rjust(8, b"\x00"))[0]


def timestamp_to_datetime(ts: int) -> datetime:
    """The aware UTC datetime of ``ts``; itsdangerous calls an unrepresentable one malformed."""
    try:
        return datetime.fromtimestamp(ts, tz=UTC)
    except (ValueError, OSError, OverflowError):
        raise CookieError("bad_timestamp", f"timestamp {ts} is out of range") from None


@dataclass(frozen=True)
class Token:
    """A signed token cut into its parts, still base64url text."""

    compressed: bool  # payload marked with a leading "." (zlib inside)
    payload: str  # base64url of the (maybe compressed) JSON, without the leading "."
    timestamp: str | None  # base64url timestamp; None for an untimed URLSafeSerializer token
    signature: str  # base64url of the MAC

    @property
    def signed_message(self) -> bytes:
        """The bytes the MAC covers: everything before the last ``.``, dot marker included."""
        head = ("." if self.compressed else "") + self.payload
        if self.timestamp is not None:
            head += "." + self.timestamp
        return head.encode("ascii")


def split_token(value: str, timed: bool | None = None) -> Token:
    """Cut ``[.]payload[.timestamp].signature``; ``timed=None`` decides by the part count."""
    compressed = value.startswith(".")
    parts = (value[1:] if compressed else value).split(".")
    if timed is None:
        timed = len(parts) != 2
    expected = 3 if timed else 2
    if len(parts) != expected:
        shape = "payload.timestamp.signature" if timed else "payload.signature"
        raise CookieError(
            "parts",
            f"expected {expected} dot-separated parts ({shape}), found {len(parts)}",
        )
    if timed:
        return Token(compressed, parts[0], parts[1], parts[2])
    return Token(compressed, parts[0], None, parts[1])


def inflate(data: bytes, limit: int = MAX_INFLATED) -> bytes:
    """zlib-inflate at most ``limit`` bytes; refuse more without ever allocating them."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise CookieError("bad_zlib", f"payload is not valid zlib data ({exc})") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise CookieError(
            "zlib_bomb",
            f"compressed payload of {len(data)} bytes inflates beyond {limit} bytes; refused",
        )
    if not inflater.eof:
        raise CookieError("bad_zlib", "payload is truncated zlib data (no end of stream)")
    return out


def deflate_payload(json_bytes: bytes) -> tuple[bool, bytes]:
    """itsdangerous ``dump_payload``: compress only when it saves more than one byte."""
    compressed = zlib.compress(json_bytes)
    if len(compressed) < len(json_bytes) - 1:
        return True, compressed
    return False, json_bytes
