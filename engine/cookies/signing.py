"""How itsdangerous turns a secret key into a signature (``signer.py``), as plain functions.

Flask's session uses salt ``cookie-session``, SHA-1 and the ``hmac`` key derivation; other
itsdangerous users (password-reset tokens, ``URLSafeTimedSerializer`` with its default
``django-concat``) pick others, so all of it is selectable.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from engine.cookies.errors import CookieError

__all__ = [
    "FLASK_SESSION",
    "KEY_DERIVATIONS",
    "SigningSettings",
    "key_bytes",
    "keys_list",
]

KEY_DERIVATIONS = ("hmac", "concat", "django-concat", "none")


def key_bytes(key: str | bytes) -> bytes:
    """itsdangerous ``want_bytes``: text keys are UTF-8 (lone surrogates are refused)."""
    if isinstance(key, bytes):
        return key
    if isinstance(key, str):
        try:
            return key.encode("utf-8")
        except UnicodeEncodeError:
            raise CookieError(
                "bad_option", f"secret key {key!r} cannot be encoded as UTF-8"
            ) from None
    raise CookieError("bad_option", f"a secret key must be str or bytes, not {type(key).__name__}")


def keys_list(keys: str | bytes | Iterable[str | bytes]) -> list[bytes]:
    """Keys in Flask's order, ``[*SECRET_KEY_FALLBACKS, SECRET_KEY]``: the last is current."""
    if isinstance(keys, (str, bytes)):
        return [key_bytes(keys)]
    try:
        return [key_bytes(key) for key in keys]
    except TypeError:
        raise CookieError("bad_option", "secret keys must be a key or a list of keys") from None


@dataclass(frozen=True)
class SigningSettings:
    """Salt, digest and key derivation of one itsdangerous signer."""

    salt: bytes = b"cookie-session"  # Flask's SecureCookieSessionInterface.salt
    digest: str = "sha1"  # any hashlib name usable with HMAC
    key_derivation: str = "hmac"  # itsdangerous default is "django-concat"; Flask uses "hmac"

    def __post_init__(self) -> None:
        if isinstance(self.salt, str):
            object.__setattr__(self, "salt", key_bytes(self.salt))
        if not isinstance(self.salt, bytes):
            raise CookieError("bad_option", "the salt must be str or bytes")
        if self.key_derivation not in KEY_DERIVATIONS:
            raise CookieError(
                "bad_option",
                f"unknown key derivation {self.key_derivation!r}"
                f" (one of {', '.join(KEY_DERIVATIONS)})",
            )
        if not isinstance(self.digest, str):
            raise CookieError("bad_option", "the digest must be a hashlib algorithm name")
        object.__setattr__(self, "digest", self.digest.lower())
        try:
            hmac.new(b"k", b"m", self.digest).digest()
        except (ValueError, TypeError):
            raise CookieError(
                "bad_option", f"digest {self.digest!r} is not a hashlib algorithm usable in HMAC"
            ) from None

    @classmethod
    def make(
        cls,
        salt: str | bytes | None = None,
        digest: str | None = None,
        key_derivation: str | None = None,
    ) -> SigningSettings:
        """Settings with Flask's defaults for whatever is ``None``."""
        return cls(
            salt=b"cookie-session" if salt is None else salt,  # type: ignore[arg-type]
            digest=digest or "sha1",
            key_derivation=key_derivation or "hmac",
        )

    def hash(self, data: bytes) -> bytes:
        return hashlib.new(self.digest, data).digest()

    def derive_key(self, secret: bytes) -> bytes:
        """itsdangerous ``Signer.derive_key`` for one secret."""
        if self.key_derivation == "hmac":
            return hmac.digest(secret, self.salt, self.digest)
        if self.key_derivation == "concat":
            return self.hash(self.salt + secret)
        if self.key_derivation == "django-concat":
            return self.hash(self.salt + b"signer" + secret)
        return secret

    def signature(self, secret: bytes, message: bytes) -> bytes:
        """The raw MAC itsdangerous appends (base64url) to ``message``."""
        return hmac.digest(self.derive_key(secret), message, self.digest)

    @property
    def digest_size(self) -> int:
        return hashlib.new(self.digest).digest_size

    def to_json(self) -> dict[str, str]:
        return {
            "salt": self.salt.decode("utf-8", "backslashreplace"),
            "digest": self.digest,
            "key_derivation": self.key_derivation,
        }


FLASK_SESSION = SigningSettings()
"""Flask's session cookie: salt ``cookie-session``, SHA-1, ``hmac`` derivation."""
