"""Cheaper equivalents of the Werkzeug request/response steps every request takes.

Each function or method here produces exactly what Werkzeug 3.1 produces (same header list in
the same order, same attributes set in the same order, same WSGI iterable type) for the common
case, and hands every other case to Werkzeug. They are split out of ``wrappers.py`` so that the
public classes stay readable; ``tests/test_fastpaths_wrappers.py`` compares both paths.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from werkzeug._internal import _wsgi_decoding_dance
from werkzeug.datastructures import EnvironHeaders, Headers
from werkzeug.datastructures.headers import _str_header_value
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.sansio.response import Response as _SansIOResponse
from werkzeug.utils import get_content_type
from werkzeug.wrappers import Request as _Request
from werkzeug.wrappers import Response as _Response
from werkzeug.wrappers.response import _iter_encoded
from werkzeug.wsgi import ClosingIterator, _get_server

__all__ = [
    "RequestFastPaths",
    "ResponseFastPaths",
    "environ_cookie_values",
]


# --- the request's Cookie header ---------------------------------------------------------------


def environ_cookie_values(environ: Any) -> list[Any] | None:
    """``EnvironHeaders(environ).getlist("Cookie")``, or None to let Werkzeug answer.

    Werkzeug yields ``key[5:].replace("_", "-").title()`` for every ``HTTP_*`` key and keeps
    the values whose lowercased name is ``cookie``. For an ASCII key that is simply
    ``key[5:].lower() == "cookie"`` (title-casing then lowercasing ASCII is lowercasing, and a
    ``-`` cannot be part of ``cookie``); other keys take Werkzeug's own expression, and a key
    that is not a ``str`` at all sends the whole question back to Werkzeug.
    """
    if type(environ) is not dict:
        return None
    # Usually settled without a Python loop: with all keys ASCII, every key Werkzeug would
    # match upper-cases to "HTTP_COOKIE", so if the joined, upper-cased keys hold that name
    # only as often as the key itself is present, it is the only match (or there is none).
    try:
        joined = "".join(environ)
    except TypeError:
        return None  # a key that is not a str: Werkzeug's own iteration decides
    if joined.isascii():
        present = "HTTP_COOKIE" in environ
        if joined.upper().count("HTTP_COOKIE") == present:
            return [environ["HTTP_COOKIE"]] if present else []
    values = []
    for key, value in environ.items():
        if key.__class__ is not str:
            return None
        if key.isascii():
            if len(key) == 11 and key[:5] == "HTTP_" and key[5:].lower() == "cookie":
                values.append(value)
        elif key.startswith("HTTP_") and key[5:].replace("_", "-").title().lower() == "cookie":
            values.append(value)
    return values


# --- building the request ----------------------------------------------------------------------

_REQUEST_ATTRS = (
    "method",
    "scheme",
    "server",
    "root_path",
    "path",
    "query_string",
    "headers",
    "remote_addr",
    "environ",
    "shallow",
)


def _decoded(value: Any) -> Any:
    # _wsgi_decoding_dance (latin-1 out, UTF-8 in) is the identity on an ASCII str.
    if value.__class__ is str and value.isascii():
        return value
    return _wsgi_decoding_dance(value)


class RequestFastPaths:
    """Mixed into ``engine.wrappers.Request`` in front of Werkzeug's ``Request``."""

    _fast_init = False  # set per class by __init_subclass__

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        missing = object()
        cls._fast_init = all(
            getattr(cls, n, missing) is getattr(_Request, n, missing) for n in _REQUEST_ATTRS
        )

    def __init__(self, environ: Any, populate_request: bool = True, shallow: bool = False) -> None:
        """Werkzeug's two ``__init__`` (wrappers and sansio) in one, same values, same order."""
        if not self._fast_init:
            super().__init__(environ, populate_request, shallow)  # type: ignore[call-arg]
            return
        get = environ.get
        # wrappers.Request.__init__ computes every argument first, in this order...
        method = get("REQUEST_METHOD", "GET")
        scheme = get("wsgi.url_scheme", "http")
        server = _get_server(environ)
        root_path = _decoded(get("SCRIPT_NAME") or "")
        path = _decoded(get("PATH_INFO") or "")
        query_string = get("QUERY_STRING", "").encode("latin1")
        headers = EnvironHeaders(environ)
        remote_addr = get("REMOTE_ADDR")
        # ... then sansio.Request.__init__ stores them.
        self.method = method.upper()
        self.scheme = scheme
        self.server = server
        self.root_path = root_path.rstrip("/")
        self.path = "/" + path.lstrip("/")
        self.query_string = query_string
        self.headers = headers
        self.remote_addr = remote_addr
        self.environ = environ
        self.shallow = shallow
        if populate_request and not shallow:
            self.environ["werkzeug.request"] = self


# --- building and sending responses ------------------------------------------------------------

_content_types: dict[str, str | None] = {}  # mimetype -> its Content-Type value (None: refused)


def _content_type(mimetype: Any) -> str | None:
    """``get_content_type(mimetype, "utf-8")`` if ``Headers`` would accept it, else None."""
    try:
        return _content_types[mimetype]
    except (KeyError, TypeError):
        pass
    if type(mimetype) is not str:
        return None
    try:
        value: str | None = _str_header_value(get_content_type(mimetype, "utf-8"))
    except ValueError:
        value = None  # a newline: Werkzeug's path raises it
    if len(_content_types) > 64:
        _content_types.clear()
    _content_types[mimetype] = value
    return value


# The Werkzeug attributes the fast paths stand in for: a subclass that replaces any of them
# gets Werkzeug's general code (which calls its replacement).
_INIT_ATTRS = (
    "set_data",
    "status",
    "_clean_status",
    "headers",
    "response",
    "direct_passthrough",
    "_on_close",
    "_status",
    "_status_code",
)
_WSGI_ATTRS = (
    "get_wsgi_headers",
    "get_app_iter",
    "iter_encoded",
    "status",
    "status_code",
    "response",
    "direct_passthrough",
    "headers",
)
_TEXT = (str, bytes)


def _same_as_werkzeug(cls: type, names: Iterable[str]) -> bool:
    missing = object()
    return all(getattr(cls, n, missing) is getattr(_Response, n, missing) for n in names)


class ResponseFastPaths:
    """Mixed into ``engine.wrappers.Response`` in front of Werkzeug's ``Response``."""

    _fast_init = False  # set per class by __init_subclass__
    _fast_wsgi = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fast_init = _same_as_werkzeug(cls, _INIT_ATTRS)
        cls._fast_wsgi = _same_as_werkzeug(cls, _WSGI_ATTRS)

    def __init__(
        self,
        response: Any = None,
        status: Any = None,
        headers: Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        # The view returned a str or bytes: Werkzeug's __init__ and set_data, inline, for an
        # int status (or the default) and no headers, mimetype or content type given.
        if (
            headers is None
            and mimetype is None
            and content_type is None
            and response.__class__ in _TEXT
            and self._fast_init
        ):
            if status is None:
                status = self.default_status  # type: ignore[attr-defined]
            ctype = _content_type(self.default_mimetype)  # type: ignore[attr-defined]
            if status.__class__ is int and ctype is not None:
                # _clean_status for an int
                try:
                    line = f"{status} {HTTP_STATUS_CODES[status].upper()}"
                except KeyError:
                    line = f"{status} UNKNOWN"
                header_obj = Headers()
                items = header_obj._list
                items.append(("Content-Type", ctype))
                # The attributes in Werkzeug's order (vars() lists them the same way).
                self.headers = header_obj
                self._status = line
                self._status_code = status
                self.direct_passthrough = direct_passthrough
                self._on_close: list[Any] = []
                if response.__class__ is str:
                    response = response.encode()
                self.response = [response]
                if self.automatically_set_content_length:  # type: ignore[attr-defined]
                    items.append(("Content-Length", str(len(response))))
                return
        super().__init__(
            response=response,  # type: ignore[call-arg]
            status=status,
            headers=headers,
            mimetype=mimetype,
            content_type=content_type,
            direct_passthrough=direct_passthrough,
        )

    def get_wsgi_response(self, environ: Any) -> tuple[Iterable[bytes], str, list[tuple[str, str]]]:
        """Werkzeug's, without copying the headers into a new ``Headers`` to list them.

        ``get_wsgi_headers`` changes nothing when there is no Location or Content-Location to
        rewrite, Content-Length is already set and the status allows a body; then the WSGI
        header list is the response's own list, copied.
        """
        headers = self.headers  # type: ignore[has-type]
        if self._fast_wsgi and type(headers) is Headers:
            status = self._status_code  # type: ignore[has-type]
            if (
                status >= 200
                and status != 204
                and status != 304
                and environ["REQUEST_METHOD"] != "HEAD"
            ):
                items = headers._list
                has_length = False
                for key, _ in items:
                    ikey = key.lower()
                    if ikey == "content-length":
                        has_length = True
                    elif ikey == "location" or ikey == "content-location":
                        break
                else:
                    if has_length:
                        if self.direct_passthrough:  # type: ignore[has-type]
                            app_iter: Iterable[bytes] = self.response  # type: ignore[has-type]
                        else:
                            app_iter = _closing_iter(
                                _iter_encoded(self.response),  # type: ignore[has-type]
                                self.close,  # type: ignore[attr-defined]
                            )
                        return app_iter, self._status, list(items)  # type: ignore[has-type]
        return super().get_wsgi_response(environ)  # type: ignore[misc, no-any-return]


def _closing_iter(generator: Any, close: Any) -> ClosingIterator:
    """``ClosingIterator(generator, close)``: the same object, built without its __init__.

    Its __init__ evaluates ``t.Callable[[], bytes]`` for a cast on every call; for a generator
    and one callback it sets exactly these two attributes.
    """
    closing = ClosingIterator.__new__(ClosingIterator)
    closing._next = partial(next, generator)
    closing._callbacks = [generator.close, close]
    return closing


assert _SansIOResponse.status is _Response.status  # what _WSGI_ATTRS compares against
