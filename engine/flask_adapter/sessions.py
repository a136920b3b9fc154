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
from .locals import raw_session, session_items, summary_of

if TYPE_CHECKING:
    from .adapter import FlaskAdapter

__all__ = ["ObservedSessionInterface", "header_items", "is_signed_cookie_interface"]

_OWN = frozenset({"_ctxscope_inner", "_ctxscope_adapter", "_ctxscope_kind"})


def is_signed_cookie_interface(interface: Any) -> bool:
    """Flask's signed-cookie interface or a subclass of it (same cookie format and keys)."""
    from flask.sessions import SecureCookieSessionInterface

    return isinstance(interface, SecureCookieSessionInterface)


class ObservedSessionInterface:
    """Forwards to the user's session interface and reports the request's open and save."""

    def __init__(self, inner: Any, adapter: FlaskAdapter) -> None:
        object.__setattr__(self, "_ctxscope_inner", inner)  # the user's interface
        object.__setattr__(self, "_ctxscope_adapter", adapter)  # where to report
        # (qualified class name, signed-cookie interface?): the wrapper is replaced, not
        # changed, when the app gets another interface, so both are fixed for its lifetime.
        object.__setattr__(
            self, "_ctxscope_kind", (type(inner).__qualname__, is_signed_cookie_interface(inner))
        )

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

    def is_null_session(self, obj: object) -> bool:
        # Asked by Flask at every response: forwarded directly, not through __getattr__.
        return bool(self._ctxscope_inner.is_null_session(obj))

    # --- the reported calls ---------------------------------------------------------------

    def open_session(self, app: Any, request: Any) -> Any:
        adapter = self._ctxscope_adapter
        # Flask opens the session on a context's first push, with the context current and its
        # push not reported yet (the test client's session_transaction opens one later).
        ctx = contexts._cv_request.get(None)
        ours = getattr(ctx, "_ctxscope_pending", False) and raw_session(ctx) is None
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
        self._ctxscope_inner.save_session(app, session, response)
        adapter = self._ctxscope_adapter
        if not adapter.events.active:
            return
        ctx = contexts._cv_request.get(None)
        if ctx is None or getattr(ctx, "app", None) is not adapter.flask_app:
            return
        if raw_session(ctx) is session:
            self._saved(app, ctx, session, response)

    # --- events ---------------------------------------------------------------------------

    def _opened(self, ctx: Any, request: Any, session: Any, null: bool) -> None:
        adapter = self._ctxscope_adapter
        inner = self._ctxscope_inner
        interface, signed = self._ctxscope_kind
        app = adapter.flask_app
        try:
            items = session_items(session)
            before = None if items is None else summary_of(items)
            ctx._ctxscope_session_before = before
            name = ctx._ctxscope_cookie_name = _cookie_name(inner, app)  # save_session's too
            cookie = request.cookies.get(name)
            if null:
                verdict = "null"
            elif signed and type(session) is getattr(inner, "session_class", None):
                verdict = _cookie_verdict(inner, app, cookie, items)
            else:
                verdict = "custom"
        except Exception:  # observing must never break the request
            adapter.internal_error(SessionOpened)
            return
        adapter.step(SessionOpened, None, None, (interface, null, cookie, before, verdict))

    def _saved(self, app: Any, ctx: Any, session: Any, response: Any) -> None:
        adapter = self._ctxscope_adapter
        try:
            name = ctx.__dict__.get("_ctxscope_cookie_name")
            if name is None:
                name = _cookie_name(self._ctxscope_inner, app)
            prefix = f"{name}="
            set_cookie = None
            # The last one counts (as in the browser); save_session just added it, last.
            for key, value in reversed(header_items(response.headers)):
                if value.startswith(prefix) and key.lower() == "set-cookie":
                    set_cookie = value
                    break
            # ``accessed`` first: reading ``permanent`` goes through ``get``, which marks a
            # Flask 3.0 session accessed (harmless now that the response is written, but not
            # true).
            accessed = bool(getattr(session, "accessed", False))
            modified = bool(getattr(session, "modified", False))
            items = session_items(session)
            permanent = (
                bool(items.get("_permanent", False))
                if isinstance(session, dict) and items
                else bool(getattr(session, "permanent", False))
            )
            after = None if items is None else summary_of(items)
        except Exception:  # observing must never break the request
            adapter.internal_error(SessionSaved)
            return
        adapter.step(
            SessionSaved,
            None,
            None,
            (
                self._ctxscope_kind[0],
                ctx.__dict__.get("_ctxscope_session_before"),
                after,
                accessed,
                modified,
                permanent,
                set_cookie,
                set_cookie is not None and "Max-Age=0" in set_cookie,
            ),
        )


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


def _cookie_verdict(inner: Any, app: Any, cookie: str | None, items: dict[str, Any] | None) -> str:
    if not cookie:
        return "new"
    if items:
        return "valid"  # Flask keeps the data only when the signature and age checked out
    # Empty: a valid empty session, or Flask swallowed BadSignature/SignatureExpired.
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
