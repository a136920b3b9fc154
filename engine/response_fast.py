"""Two header edits every session save makes, without Werkzeug's general machinery.

``response.vary.add("Cookie")`` parses the ``Vary`` header into a ``HeaderSet`` with an update
callback and writes it back; ``response.set_cookie(...)`` runs ``dump_cookie``, which quotes the
path, IDNA-encodes the domain and validates ``SameSite`` on every call although they come from
the configuration. The functions here give the same header list, in the same order, directly:
the parts that depend only on the cookie settings are computed once per distinct settings, and
everything else (a ``Vary`` header already present, a ``Headers`` or response subclass, a
value that needs quoting, a cookie over the size limit, settings ``dump_cookie`` refuses) goes
through Werkzeug exactly as before.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from werkzeug.datastructures import Headers
from werkzeug.http import _cookie_no_quote_re, http_date
from werkzeug.sansio.response import Response as _SansIOResponse

__all__ = ["add_vary_cookie", "set_session_cookie"]

_VARY = _SansIOResponse.vary
_SET_COOKIE = _SansIOResponse.set_cookie
_no_quote = _cookie_no_quote_re.fullmatch


def add_vary_cookie(response: Any) -> None:
    """``response.vary.add("Cookie")``."""
    headers = response.headers
    if type(headers) is Headers and type(response).vary is _VARY:
        items = headers._list
        for key, _ in items:
            if key.lower() == "vary":
                break
        else:
            # No Vary header: the HeaderSet round trip ends in headers.set("Vary", "Cookie"),
            # which appends.
            items.append(("Vary", "Cookie"))
            return
    response.vary.add("Cookie")


# dump_cookie's fixed parts by (key, path, domain, secure, httponly, samesite, partitioned):
# (the "key=" prefix, "; Domain=..." or "", everything after Expires). None: not cacheable.
_cookie_parts: dict[tuple[Any, ...], tuple[str, str, str] | None] = {}


def _fixed_parts(settings: tuple[Any, ...]) -> tuple[str, str, str] | None:
    key, path, domain, secure, httponly, samesite, partitioned = settings
    # dump_cookie, Werkzeug 3.1 http.py, for max_age=None, in its order.
    try:
        if path is not None:
            path = quote(path, safe="%!$&'()*+,/:=@")
        if domain:
            domain = domain.partition(":")[0].lstrip(".").encode("idna").decode("ascii")
        if samesite is not None:
            samesite = samesite.title()
            if samesite not in {"Strict", "Lax", "None"}:
                return None
        if partitioned:
            secure = True
        prefix = f"{key.encode().decode('latin1')}="
    except Exception:
        return None  # dump_cookie raises the same on Werkzeug's path

    def attrs(pairs: tuple[tuple[str, Any], ...]) -> str:
        out = []
        for k, v in pairs:
            if v is None or v is False:
                continue
            out.append(k if v is True else f"{k}={v}")
        return "".join(f"; {a}" for a in out)

    head = attrs((("Domain", domain),))
    tail = attrs(
        (
            ("Secure", secure),
            ("HttpOnly", httponly),
            ("Path", path),
            ("SameSite", samesite),
            ("Partitioned", partitioned),
        )
    )
    text = prefix + head + tail
    if "\r" in text or "\n" in text:
        return None  # Headers.add refuses it: leave that to Werkzeug
    return prefix, head, tail


def set_session_cookie(
    response: Any,
    key: str,
    value: str,
    expires: Any,
    httponly: Any,
    domain: Any,
    path: Any,
    secure: Any,
    partitioned: Any,
    samesite: Any,
) -> None:
    """``response.set_cookie(key, value, expires=..., ...)`` as the session interface calls it."""
    headers = response.headers
    if (
        type(headers) is Headers
        and type(response).set_cookie is _SET_COOKIE
        and type(value) is str
        and _no_quote(value) is not None
        # Exact bools only: 1 == True as a cache key, but dump_cookie writes "Secure=1".
        and type(secure) is bool
        and type(httponly) is bool
        and type(partitioned) is bool
    ):
        settings = (key, path, domain, secure, httponly, samesite, partitioned)
        try:
            parts = _cookie_parts[settings]
        except KeyError:
            parts = _fixed_parts(settings)
            if len(_cookie_parts) > 64:
                _cookie_parts.clear()
            _cookie_parts[settings] = parts
        except TypeError:
            parts = None  # unhashable settings
        if parts is not None:
            max_size = response.max_cookie_size
            prefix, head, tail = parts
            if expires is None:
                header = f"{prefix}{value}{head}{tail}"
            else:
                date = expires if isinstance(expires, str) else http_date(expires)
                header = f"{prefix}{value}{head}; Expires={date}{tail}"
            if (
                not (max_size and len(header) > max_size)
                and "\n" not in header
                and "\r" not in header
            ):
                headers._list.append(("Set-Cookie", header))
                return
            # Too large: Werkzeug's path writes the same header and warns.
    response.set_cookie(
        key,
        value,
        expires=expires,
        httponly=httponly,
        domain=domain,
        path=path,
        secure=secure,
        partitioned=partitioned,
        samesite=samesite,
    )
