"""A delegating wrapper around an attached Flask app's ``session_interface``.

Flask calls ``open_session`` right after pushing the request context (``make_null_session``
when it returned None) and ``save_session`` in ``process_response``; the wrapper reports
``session_opened`` / ``session_saved`` around those calls and forwards everything else to the
user's interface, whose class it also claims (``isinstance`` checks keep passing).

Only the calls Flask makes for the request being pushed or processed are reported: the test
client's ``session_transaction`` opens and saves a second session inside a pushed context,
and that is not the request's session.

Verdicts for Flask's own signed-cookie interface are "new", "valid", "bad_signature",
"expired" (Flask itself turns the last two into an empty session without saying which; the
cookie is checked again with the interface's own serializer only then), "null" without a
secret key, and "custom" for any interface that opens sessions its own way (server-side
stores), whose cookie is not a Flask signed cookie and must not be decoded as one. A subclass
of the signed-cookie interface that overrides ``open_session`` but still returns its
``session_class`` is judged by the cookie.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..events import SessionOpened, SessionSaved
from . import contexts
from .locals import session_summary

if TYPE_CHECKING:
    from .adapter import FlaskAdapter

__all__ = ["ObservedSessionInterface", "header_items", "is_signed_cookie_interface"]

_OWN = frozenset(
    {
        "_ctxscope_inner",
        "_ctxscope_adapter",
        "_ctxscope_kind",
        "_ctxscope_config_name",
        "_ctxscope_cookies_class",
    }
)


def is_signed_cookie_interface(interface: Any) -> bool:
    """Flask's signed-cookie interface or a subclass of it (same cookie format and keys)."""
    from flask.sessions import SecureCookieSessionInterface

    return isinstance(interface, SecureCookieSessionInterface)


class ObservedSessionInterface:
    """Forwards to the user's session interface and reports the request's open and save."""

    def __init__(self, inner: Any, adapter: FlaskAdapter) -> None:
        from flask.sessions import SessionInterface
        from werkzeug.datastructures import ImmutableMultiDict

        own = object.__setattr__
        own(self, "_ctxscope_inner", inner)  # the user's interface
        own(self, "_ctxscope_adapter", adapter)  # where to report
        # Fixed for the wrapper's lifetime (it is replaced, not changed, when the app gets
        # another interface): (qualified class name, signed-cookie interface?), ...
        own(self, "_ctxscope_kind", (type(inner).__qualname__, is_signed_cookie_interface(inner)))
        # ... whether its cookie name is Flask's config lookup (read directly, no call) ...
        name_method = getattr(type(inner), "get_cookie_name", None)
        own(self, "_ctxscope_config_name", name_method is SessionInterface.get_cookie_name)
        # ... and the class of the cookies werkzeug parses, read underneath (see _opened).
        own(self, "_ctxscope_cookies_class", ImmutableMultiDict)

    # --- transparency ---------------------------------------------------------------------

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance() consults __class__ after type()
        return type(self._ctxscope_inner)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctxscope_inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(self._ctxscope_inner, name, value)

    def __repr__(self) -> str:
        return repr(self._ctxscope_inner)

    def is_null_session(self, obj: object) -> Any:
        # Asked by Flask at every response: a method of the wrapper (no __getattr__ detour),
        # looked up on the user's interface at each call, so a later patch of it is seen.
        return self._ctxscope_inner.is_null_session(obj)

    # --- the reported calls ---------------------------------------------------------------

    def open_session(self, app: Any, request: Any) -> Any:
        adapter = self._ctxscope_adapter
        # Flask opens the session on a context's first push, with the context current and its
        # push not reported yet (the test client's session_transaction opens one later).
        ctx = contexts._cv_request.get(None)
        ours = getattr(ctx, "_ctxscope_pending", False) and (
            getattr(ctx, contexts.SESSION_KEY, None) is None
        )
        if ours:
            contexts.flush_push(adapter, ctx)
        session = self._ctxscope_inner.open_session(app, request)
        if ours and adapter.events.active:
            if session is None:
                ctx._ctxscope_null_pending = True  # Flask asks make_null_session next
            else:
                self._opened(ctx, request, session, null=False)
        return session

    def make_null_session(self, app: Any) -> Any:
        session = self._ctxscope_inner.make_null_session(app)
        ctx = contexts._cv_request.get(None)
        if getattr(ctx, "_ctxscope_null_pending", False):
            ctx._ctxscope_null_pending = False
            self._opened(ctx, ctx.request, session, null=True)
        return session

    def save_session(self, app: Any, session: Any, response: Any) -> None:
        # ``accessed`` as the request left it, read before the save: Flask 3.0's own
        # save_session reads ``session.permanent`` (should_set_cookie, get_expiration_time),
        # whose ``get`` marks the session accessed after Vary: Cookie was decided.
        try:
            accessed = bool(getattr(session, "accessed", False))
        except Exception:  # a custom session's own property: observing never breaks a request
            accessed = False
        self._ctxscope_inner.save_session(app, session, response)
        adapter = self._ctxscope_adapter
        bus = adapter.events
        if not bus.active:
            return
        ctx = contexts._cv_request.get(None)
        if ctx is None or ctx.app is not adapter.flask_app:
            return
        if getattr(ctx, contexts.SESSION_KEY, None) is not session:
            return  # not the request's own session (session_transaction's)
        try:
            name = getattr(ctx, "_ctxscope_cookie_name", None)
            if name is None:
                name = self._cookie_name(app)
            prefix = f"{name}="
            set_cookie = None
            headers = response.headers
            pairs = getattr(headers, "_list", None)  # as header_items(), inline
            if type(pairs) is not list:
                pairs = list(headers.items())
            # The last one counts (as in the browser); save_session just added it, last.
            for key, value in reversed(pairs):
                if value.startswith(prefix) and key.lower() == "set-cookie":
                    set_cookie = value
                    break
            modified = bool(getattr(session, "modified", False))
            if isinstance(session, dict) and len(session):
                permanent = bool(dict.get(session, "_permanent", False))  # not marked accessed
            else:
                permanent = bool(getattr(session, "permanent", False))
            extras = (
                self._ctxscope_kind[0],
                getattr(ctx, "_ctxscope_session_before", None),
                session_summary(session),
                accessed,
                modified,
                permanent,
                set_cookie,
                set_cookie is not None and "Max-Age=0" in set_cookie,
            )
            if adapter._breakpoints.armed or adapter.stacks.read:
                adapter._refresh()
            bus.emit(SessionSaved, adapter._rids.get(adapter._ident()), None, None, extras)
        except Exception:  # observing must never break the request
            adapter.internal_error(SessionSaved)

    # --- events ---------------------------------------------------------------------------

    def _opened(self, ctx: Any, request: Any, session: Any, null: bool) -> None:
        adapter = self._ctxscope_adapter
        inner = self._ctxscope_inner
        interface, signed = self._ctxscope_kind
        app = adapter.flask_app
        try:
            before = session_summary(session)
            ctx._ctxscope_session_before = before
            name = ctx._ctxscope_cookie_name = self._cookie_name(app)  # save_session's too
            # request.cookies, parsed by open_session already: werkzeug keeps it in the
            # instance dict, and a MultiDict keeps a list per key (get() would cost two calls).
            cookies = request.__dict__.get("cookies")
            if type(cookies) is self._ctxscope_cookies_class:
                values = dict.get(cookies, name)
                cookie = values[0] if values else None
            else:
                cookie = request.cookies.get(name)
            if null:
                verdict = "null"
            elif signed and type(session) is getattr(inner, "session_class", None):
                if not cookie:
                    verdict = "new"
                elif len(session):
                    verdict = "valid"  # Flask keeps the data only if the signature checked out
                else:
                    verdict = _cookie_verdict(inner, app, cookie)
            else:
                verdict = "custom"
            extras = (interface, null, cookie, before, verdict)
            if adapter._breakpoints.armed or adapter.stacks.read:
                adapter._refresh()
            bus = adapter.events
            bus.emit(SessionOpened, adapter._rids.get(adapter._ident()), None, None, extras)
        except Exception:  # observing must never break the request
            adapter.internal_error(SessionOpened)

    def _cookie_name(self, app: Any) -> str:
        if self._ctxscope_config_name:  # Flask's own get_cookie_name: the config value
            name = app.config.get("SESSION_COOKIE_NAME")
            if type(name) is str:
                return name
        return _cookie_name(self._ctxscope_inner, app)


def header_items(headers: Any) -> list[tuple[str, str]]:
    """A response's headers as ``(name, value)`` pairs, in order.

    Werkzeug's ``Headers`` keeps exactly that list in ``_list``; reading it directly spares a
    generator step per header (``items()`` and ``getlist()`` walk the same list).
    """
    pairs = getattr(headers, "_list", None)
    if type(pairs) is list:
        return pairs
    return list(headers.items())


def _cookie_name(inner: Any, app: Any) -> str:
    try:
        return str(inner.get_cookie_name(app))
    except Exception:  # an interface without Flask's helpers
        return str(app.config.get("SESSION_COOKIE_NAME", "session"))


def _cookie_verdict(inner: Any, app: Any, cookie: str) -> str:
    """A cookie was sent and Flask opened an empty session from it: a valid empty session,
    or Flask swallowed BadSignature/SignatureExpired. Checked again to tell which."""
    from itsdangerous import BadSignature, SignatureExpired

    serializer = inner.get_signing_serializer(app)
    if serializer is None:
        return "null"
    try:
        serializer.loads(cookie, max_age=int(app.permanent_session_lifetime.total_seconds()))
    except SignatureExpired:
        return "expired"
    except BadSignature:
        return "bad_signature"
    except Exception:  # a payload the serializer cannot read (Flask treats it as an error too)
        return "bad_signature"
    return "valid"
