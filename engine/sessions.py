"""Signed-cookie sessions, byte-compatible with Flask 3.1.

The cookie is ``URLSafeTimedSerializer`` output (itsdangerous) over the tagged JSON of the
session: salt ``cookie-session``, HMAC key derivation, SHA-1. Keys are
``[*SECRET_KEY_FALLBACKS, SECRET_KEY]``: signed with the last, verified against all.

Requests sign and verify through :class:`engine.signing.TimedCookieSigner`, which writes the
same bytes as that serializer and reads with the same outcomes at a fraction of the cost;
``get_signing_serializer`` still returns the itsdangerous serializer, and anything that changes
how cookies are signed (salt, digest, key derivation, an overridden ``get_signing_serializer``)
sends the requests back through it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes
from itsdangerous.signer import _lazy_sha1 as _itsdangerous_lazy_sha1
from werkzeug.datastructures import CallbackDict

from .fastpaths import add_vary_cookie, set_session_cookie
from .json_tag import TaggedJSONSerializer
from .signing import CookieSerializer, TimedCookieSigner

if TYPE_CHECKING:
    from .app import App
    from .wrappers import Request, Response

__all__ = [
    "NullSession",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
    "SessionInterface",
    "SessionMixin",
    "session_json_serializer",
]

session_json_serializer = TaggedJSONSerializer()


def _lazy_sha1(string: bytes = b"") -> Any:
    # Looked up on use, so a FIPS build without SHA-1 fails only if sessions are used.
    return hashlib.sha1(string)


class SessionMixin(MutableMapping[str, Any]):
    """Session attributes on top of a mapping."""

    @property
    def permanent(self) -> bool:
        """The ``'_permanent'`` key: a permanent session's cookie gets an expiry date."""
        return self.get("_permanent", False)  # type: ignore[no-any-return]

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    new = False
    modified = True
    accessed = False  # set by the request context whenever the session is reached


class SecureCookieSession(CallbackDict[str, Any], SessionMixin):
    """The session of the signed-cookie interface; any change sets ``modified``."""

    modified = False
    open_verdict = "new"  # how open_session found it: new, valid, bad_signature, expired

    def __init__(self, initial: Mapping[str, Any] | None = None) -> None:
        super().__init__(initial, _mark_modified)  # one shared callback, not a closure each


def _mark_modified(session: SecureCookieSession) -> None:
    session.modified = True


class NullSession(SecureCookieSession):
    """Stands in when no secret key is set: reads see an empty session, writes fail."""

    open_verdict = "null"

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "The session is unavailable because no secret "
            "key was set.  Set the secret_key on the "
            "application to something unique and secret."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail  # type: ignore[assignment]
    del _fail


class SessionInterface:
    """How an app opens and saves sessions; replace ``app.session_interface`` to change it."""

    null_session_class = NullSession
    pickle_based = False

    def make_null_session(self, app: App) -> NullSession:
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: App) -> str:
        return app.config["SESSION_COOKIE_NAME"]  # type: ignore[no-any-return]

    def get_cookie_domain(self, app: App) -> str | None:
        return app.config["SESSION_COOKIE_DOMAIN"]  # type: ignore[no-any-return]

    def get_cookie_path(self, app: App) -> str:
        return app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]  # type: ignore[no-any-return]

    def get_cookie_httponly(self, app: App) -> bool:
        return app.config["SESSION_COOKIE_HTTPONLY"]  # type: ignore[no-any-return]

    def get_cookie_secure(self, app: App) -> bool:
        return app.config["SESSION_COOKIE_SECURE"]  # type: ignore[no-any-return]

    def get_cookie_samesite(self, app: App) -> str | None:
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: App) -> bool:
        return app.config["SESSION_COOKIE_PARTITIONED"]  # type: ignore[no-any-return]

    def get_expiration_time(self, app: App, session: SessionMixin) -> datetime | None:
        if session.permanent:
            return datetime.now(UTC) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: App, session: SessionMixin) -> bool:
        return session.modified or (
            session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
        )

    def open_session(self, app: App, request: Request) -> SessionMixin | None:
        raise NotImplementedError

    def save_session(self, app: App, session: SessionMixin, response: Response) -> None:
        raise NotImplementedError


_derived_keys: dict[tuple[bytes, bytes, str, Any], bytes] = {}


class _CachedKeySigner(TimestampSigner):
    """itsdangerous' signer, remembering derived keys: the same bytes, one HMAC less per use.

    The serializer makes a new signer for every sign and verify, so the cache is shared.
    """

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        key = (secret, self.salt, self.key_derivation, self.digest_method)
        derived = _derived_keys.get(key)
        if derived is None:
            if len(_derived_keys) > 256:
                _derived_keys.clear()
            derived = _derived_keys[key] = super().derive_key(secret)
        return derived


class SecureCookieSessionInterface(SessionInterface):
    """Sessions stored in a signed (not encrypted) cookie, exactly as Flask stores them."""

    salt = "cookie-session"
    digest_method = staticmethod(_lazy_sha1)
    key_derivation = "hmac"
    serializer = session_json_serializer
    session_class = SecureCookieSession

    def __init__(self) -> None:
        # Building a serializer per request is most of Flask's session cost; keys can change
        # at run time, so the caches are keyed by them.
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}  # by keys
        self._signers: dict[tuple[Any, ...], CookieSerializer] = {}  # by keys, for the requests

    def get_signing_serializer(self, app: App) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys: list[str | bytes] = []
        if fallbacks := app.config["SECRET_KEY_FALLBACKS"]:
            keys.extend(fallbacks)
        keys.append(app.secret_key)  # itsdangerous signs with the last key
        cache_key = (*keys, self.salt, self.key_derivation, self.digest_method, self.serializer)
        serializer = self._serializers.get(cache_key)
        if serializer is None:
            serializer = URLSafeTimedSerializer(
                keys,  # type: ignore[arg-type]
                salt=self.salt,
                serializer=self.serializer,
                signer=_CachedKeySigner,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
            if len(self._serializers) > 32:
                self._serializers.clear()
            self._serializers[cache_key] = serializer
        return serializer

    def _request_signer(self, app: App) -> CookieSerializer | None:
        """What open/save sign with: ``get_signing_serializer``'s serializer or its fast twin.

        The twin (:class:`~engine.signing.TimedCookieSigner`) writes the same bytes and reads
        with the same outcomes, and is used only where that is known to hold: Flask's settings
        (salt, SHA-1, "hmac" derivation) and ``get_signing_serializer`` not overridden. The
        tagged-JSON ``serializer`` stays whatever is set, its ``dumps``/``loads`` are called.
        """
        get_signing_serializer = self.get_signing_serializer
        if getattr(get_signing_serializer, "__func__", None) is not _GET_SIGNING_SERIALIZER:
            return get_signing_serializer(app)  # overridden (subclass or instance): theirs
        secret = app.secret_key
        if not secret:
            return None
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        serializer = self.serializer
        salt = self.salt
        key_derivation = self.key_derivation
        digest_method = self.digest_method
        cache_key = (
            (*fallbacks, secret) if fallbacks else (secret,),
            salt,
            key_derivation,
            digest_method,
            serializer,
        )
        signer = self._signers.get(cache_key)
        if signer is None:
            if (
                salt in _DEFAULT_SALTS
                and key_derivation == "hmac"
                and any(digest_method is m for m in _SHA1_DIGESTS)
            ):
                try:
                    signer = TimedCookieSigner(cache_key[0], serializer, salt)
                except Exception:
                    # A key itsdangerous cannot use either (not str/bytes): its path raises
                    # the same error at the same point as before.
                    signer = None
            if signer is None:
                signer = get_signing_serializer(app)
                if signer is None:
                    return None
            if len(self._signers) > 32:
                self._signers.clear()
            self._signers[cache_key] = signer
        return signer

    def open_session(self, app: App, request: Request) -> SecureCookieSession | None:
        s = self._request_signer(app)
        if s is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = s.loads(val, max_age=max_age)
        except SignatureExpired:
            session = self.session_class()
            session.open_verdict = "expired"
            return session
        except BadSignature:
            session = self.session_class()
            session.open_verdict = "bad_signature"
            return session
        session = self.session_class(data)
        session.open_verdict = "valid"
        return session

    def save_session(self, app: App, session: SessionMixin, response: Response) -> None:
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)

        # "Vary: Cookie" whenever the session was reached at all: the response depends on it.
        # Flask adds it again after setting or deleting the cookie; once it is there, that
        # second add changes nothing (HeaderSet.update skips a present value), so it is made
        # only when the first was not: each ``response.vary`` re-parses the header.
        varied = bool(session.accessed)
        if varied:
            add_vary_cookie(response)

        # An emptied session deletes the cookie; an empty untouched one sets nothing.
        if not session:
            if session.modified:
                response.delete_cookie(
                    name,
                    domain=domain,
                    path=path,
                    secure=secure,
                    partitioned=partitioned,
                    samesite=samesite,
                    httponly=httponly,
                )
                if not varied:
                    add_vary_cookie(response)
            return

        if not self.should_set_cookie(app, session):
            return

        expires = self.get_expiration_time(app, session)
        val = self._request_signer(app).dumps(dict(session))  # type: ignore[union-attr]
        set_session_cookie(
            response,
            name,
            val,  # type: ignore[arg-type]
            expires=expires,
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            partitioned=partitioned,
            samesite=samesite,
        )
        if not varied:
            add_vary_cookie(response)


_GET_SIGNING_SERIALIZER = SecureCookieSessionInterface.get_signing_serializer
_DEFAULT_SALTS = ("cookie-session", b"cookie-session")
# The digests that are SHA-1: Flask's and itsdangerous' lazy lookups, and hashlib's itself.
_SHA1_DIGESTS = (_lazy_sha1, _itsdangerous_lazy_sha1, hashlib.sha1)
