"""The session cookie's signing, without itsdangerous' per-call objects.

``URLSafeTimedSerializer(keys, salt="cookie-session", signer_kwargs={"key_derivation": "hmac",
"digest_method": sha1})`` is what Flask signs its session cookie with. Its ``dumps``/``loads``
build a new ``TimestampSigner`` every call, derive the key again for every key tried, go through
``hmac.new`` with a callable digest (the pure-Python HMAC path) and call ``want_bytes`` dozens of
times: that was most of the engine's per-request session cost. :class:`TimedCookieSigner` does
the same work for one fixed key list with everything that depends only on the keys computed once:
the derived keys and the SHA-1 states of HMAC's inner and outer pads.

The bytes written and the outcome of every read are those of itsdangerous 2.2
(``url_safe.py``, ``timed.py``, ``signer.py``, ``serializer.py``, ``encoding.py``): the same
lenient base64 decoding, the same order of checks, the same exception classes, so a caller that
maps exceptions to verdicts gets the same verdict for any input. Only that configuration is
covered; anything else (another salt, digest or key derivation) stays on itsdangerous.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import struct
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import itsdangerous.timed as _timed  # its ``time`` attribute is what tests freeze
from itsdangerous.exc import BadPayload, BadSignature, BadTimeSignature, SignatureExpired
from itsdangerous.serializer import is_text_serializer

from .zlib_bound import cannot_shrink

__all__ = ["CookieSerializer", "TimedCookieSigner"]


class CookieSerializer(Protocol):
    """What the session interface needs of a signing serializer: the itsdangerous subset."""

    def dumps(self, obj: Any) -> str | bytes: ...

    def loads(self, s: str | bytes, max_age: int | None = None) -> Any: ...


# base64url as itsdangerous' ``base64_encode``/``base64_decode`` do it, minus the wrappers:
# ``urlsafe_b64encode`` is ``b2a_base64`` plus a translation, ``urlsafe_b64decode`` a translation
# plus non-strict ``a2b_base64`` (which skips characters outside the alphabet: kept, since that
# leniency decides which mangled cookies still verify).
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_b2a = binascii.b2a_base64
_a2b = binascii.a2b_base64
_int64 = struct.Struct(">Q")  # itsdangerous' int_to_bytes/bytes_to_int, same errors


def _b64encode(data: bytes) -> bytes:
    return _b2a(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=")


def _b64decode(data: bytes) -> bytes:
    # The padding is computed on the raw length, before the translation, as itsdangerous does.
    # (Written out inline in ``loads``.)
    return _a2b((data + b"=" * (-len(data) % 4)).translate(_FROM_URLSAFE))


def _timestamp_to_datetime(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def _want_bytes(s: str | bytes) -> bytes:
    return s.encode("utf-8") if isinstance(s, str) else s


class TimedCookieSigner:
    """``URLSafeTimedSerializer.dumps``/``loads`` for the session cookie's settings, one key list.

    ``secret_keys`` run oldest to newest: the last signs, all verify (newest first). Building
    one fails for a key hmac refuses (neither ``str`` nor bytes-like); the caller then leaves
    that key list to itsdangerous, which fails on it exactly where it always did. Safe to share
    between threads: the SHA-1 states are only ever copied, never updated.
    """

    __slots__ = ("_is_text", "_last_ts", "_pads", "serializer")

    def __init__(
        self,
        secret_keys: Sequence[str | bytes],
        serializer: Any,
        salt: str | bytes = b"cookie-session",
    ) -> None:
        if not secret_keys:
            raise ValueError("no secret key")
        salt_b = _want_bytes(salt)
        pads: list[tuple[Any, Any]] = []
        for secret in reversed(secret_keys):  # newest first: the signing key is pads[0]
            # "hmac" key derivation: HMAC(secret, salt); the signature is HMAC(derived, value).
            derived = hmac.new(_want_bytes(secret), salt_b, hashlib.sha1).digest()
            # HMAC's two SHA-1 states after absorbing the padded key, kept so a signature costs
            # two state copies instead of a fresh HMAC set-up. A 20-byte key is shorter than
            # SHA-1's 64-byte block, so it is padded, never hashed first (RFC 2104).
            block = derived.ljust(64, b"\0")
            inner = hashlib.sha1(bytes(b ^ 0x36 for b in block))
            outer = hashlib.sha1(bytes(b ^ 0x5C for b in block))
            pads.append((inner, outer))
            check = b"ctxscope"
            if self._mac(inner, outer, check) != hmac.digest(derived, check, "sha1"):
                raise RuntimeError("precomputed HMAC-SHA1 disagrees with hmac")  # never expected
        self._pads: tuple[tuple[Any, Any], ...] = tuple(pads)
        self.serializer = serializer
        # itsdangerous decides once, at construction, from what ``dumps({})`` returns.
        self._is_text: bool = is_text_serializer(serializer)
        self._last_ts: tuple[int, bytes] = (-1, b"")  # the last timestamp and its base64

    @staticmethod
    def _mac(inner: Any, outer: Any, value: bytes) -> bytes:
        h = inner.copy()
        h.update(value)
        o = outer.copy()
        o.update(h.digest())
        return o.digest()  # type: ignore[no-any-return]

    # --- writing ------------------------------------------------------------------------------

    def dumps(self, obj: Any) -> str | bytes:
        """The signed cookie value of ``obj``, as ``URLSafeTimedSerializer.dumps`` writes it."""
        json = self.serializer.dumps(obj)
        if isinstance(json, str):
            json = json.encode("utf-8")
        # url_safe.py: compress only when that saves more than one byte, and mark it with ".".
        # A payload zlib provably cannot shrink that much skips the attempt (zlib.compress
        # sets up ~256 KiB of state each call: more CPU than the rest of the signing).
        if cannot_shrink(json):
            value = _b2a(json, newline=False).translate(_TO_URLSAFE).rstrip(b"=")
        else:
            compressed = zlib.compress(json)
            if len(compressed) < len(json) - 1:
                value = b"." + _b2a(compressed, newline=False).translate(_TO_URLSAFE).rstrip(b"=")
            else:
                value = _b2a(json, newline=False).translate(_TO_URLSAFE).rstrip(b"=")
        # timed.py: "." + base64(int timestamp, big-endian, no leading zero bytes); the clock
        # is itsdangerous' ``time`` so that freezing it there freezes it here too.
        ts = int(_timed.time.time())
        last = self._last_ts
        if last[0] == ts:
            ts_b64 = last[1]
        else:
            ts_b64 = _b64encode(_int64.pack(ts).lstrip(b"\x00"))
            self._last_ts = (ts, ts_b64)
        value = value + b"." + ts_b64
        inner, outer = self._pads[0]
        h = inner.copy()
        h.update(value)
        o = outer.copy()
        o.update(h.digest())
        signed = value + b"." + _b2a(o.digest(), newline=False).translate(_TO_URLSAFE).rstrip(b"=")
        return signed.decode("utf-8") if self._is_text else signed

    # --- reading ------------------------------------------------------------------------------

    def loads(self, s: str | bytes, max_age: int | None = None) -> Any:
        """The value of a signed cookie; raises what ``URLSafeTimedSerializer.loads`` raises.

        ``SignatureExpired`` when the signature is good but older than ``max_age`` seconds (or
        from the future); another ``BadSignature`` (``BadTimeSignature``, ``BadPayload``) for
        anything else that is wrong. The checks run in itsdangerous' order (written out inline:
        this runs on every request that carries a cookie).
        """
        if isinstance(s, str):
            s = s.encode("utf-8")
        # Signer.unsign: split off the signature, verify it against every key, newest first.
        if b"." not in s:
            raise BadSignature("No b'.' found in value")
        value, sig = s.rsplit(b".", 1)
        try:
            sig_bytes = _a2b((sig + b"=" * (-len(sig) % 4)).translate(_FROM_URLSAFE))
        except Exception:
            sig_bytes = None  # undecodable: simply not a match (verify_signature)
        if sig_bytes is None or not self._matches(value, sig_bytes):
            self._raise_bad_signature(value, sig)
        # TimestampSigner.unsign, the signature being good.
        if b"." not in value:
            raise BadTimeSignature("timestamp missing", payload=value)
        payload, ts_bytes = value.rsplit(b".", 1)
        try:
            ts_raw = _a2b((ts_bytes + b"=" * (-len(ts_bytes) % 4)).translate(_FROM_URLSAFE))
            ts_int: int = _int64.unpack(ts_raw.rjust(8, b"\x00"))[0]
        except Exception:
            raise BadTimeSignature("Malformed timestamp", payload=payload) from None
        if max_age is not None:
            age = int(_timed.time.time()) - ts_int
            if age > max_age:
                raise SignatureExpired(
                    f"Signature age {age} > {max_age} seconds",
                    payload=payload,
                    date_signed=_timestamp_to_datetime(ts_int),
                )
            if age < 0:
                raise SignatureExpired(
                    f"Signature age {age} < 0 seconds",
                    payload=payload,
                    date_signed=_timestamp_to_datetime(ts_int),
                )
        else:
            # TimedSerializer.loads asks unsign for the signing date, which fails on a
            # timestamp past year 9999; with a max_age such a timestamp is expired above.
            _timestamp_to_datetime(ts_int)
        # URLSafeSerializerMixin.load_payload, then Serializer.load_payload.
        compressed = payload[:1] == b"."
        if compressed:
            payload = payload[1:]
        try:
            json = _a2b((payload + b"=" * (-len(payload) % 4)).translate(_FROM_URLSAFE))
        except Exception as e:
            raise BadPayload(
                "Could not base64 decode the payload because of an exception",
                original_error=e,
            ) from e
        if compressed:
            try:
                json = zlib.decompress(json)
            except Exception as e:
                raise BadPayload(
                    "Could not zlib decompress the payload before decoding the payload",
                    original_error=e,
                ) from e
        try:
            if self._is_text:
                return self.serializer.loads(json.decode("utf-8"))
            return self.serializer.loads(json)
        except Exception as e:
            raise BadPayload(
                "Could not load the payload because an exception occurred on unserializing"
                " the data.",
                original_error=e,
            ) from e

    def _matches(self, value: bytes, sig: bytes) -> bool:
        """Whether ``sig`` is the HMAC of ``value`` under any of the keys."""
        compare = hmac.compare_digest
        for inner, outer in self._pads:
            h = inner.copy()
            h.update(value)
            o = outer.copy()
            o.update(h.digest())
            if compare(sig, o.digest()):
                return True
        return False

    @staticmethod
    def _raise_bad_signature(value: bytes, sig: bytes) -> None:
        """What ``TimestampSigner.unsign`` raises when the signature does not match."""
        error = BadSignature(f"Signature {sig!r} does not match", payload=value)
        if b"." not in value:
            raise error
        rest, ts_bytes = value.rsplit(b".", 1)
        try:
            ts_int: int | None = _int64.unpack(_b64decode(ts_bytes).rjust(8, b"\x00"))[0]
        except Exception:
            ts_int = None
        date_signed = None
        if ts_int is not None:
            try:
                date_signed = _timestamp_to_datetime(ts_int)
            except (ValueError, OSError, OverflowError) as exc:
                raise BadTimeSignature("Malformed timestamp", payload=rest) from exc
        raise BadTimeSignature(str(error), payload=rest, date_signed=date_signed)
