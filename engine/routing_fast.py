"""Binding the URL map to a request without ``Map.bind_to_environ``'s repeated work.

``App.create_url_adapter`` (as Flask's) first computes and validates the request's host with
``get_host(environ, trusted_hosts)``, then calls ``url_map.bind_to_environ``, which computes the
host again (unvalidated), decodes three environ strings through latin-1/UTF-8, IDNA-encodes the
host and builds a ``MapAdapter``. When no ``SERVER_NAME`` is configured, everything that call
does is a function of the already validated host and a few environ values, so
:func:`bind_request` builds the same ``MapAdapter`` from those directly (Werkzeug 3.1's
``routing/map.py``, step by step). Every case it is not sure about (a ``Map`` subclass that
overrides binding, a non-dict environ, non-ASCII strings, a host IDNA would refuse) returns
``None`` and the caller takes Werkzeug's own path, which then raises or decodes exactly as
before.
"""

from __future__ import annotations

from typing import Any

from werkzeug._internal import _wsgi_decoding_dance
from werkzeug.routing import Map, MapAdapter

__all__ = ["bind_request"]

_BIND = Map.bind
_BIND_TO_ENVIRON = Map.bind_to_environ


def _binds_like_map(url_map: Map) -> bool:
    cls = type(url_map)
    return cls is Map or (cls.bind is _BIND and cls.bind_to_environ is _BIND_TO_ENVIRON)


def _wsgi_string(value: Any) -> Any:
    # ``_wsgi_decoding_dance`` is ``s.encode("latin1").decode(errors="replace")``: the identity
    # on an ASCII ``str``, the common case; anything else goes through it as before.
    if value is None or (value.__class__ is str and value.isascii()):
        return value
    return _wsgi_decoding_dance(value)


def _idna_ascii_ok(name: str) -> bool:
    """Whether ``name.encode("idna")`` returns ``name`` unchanged (its ASCII fast path)."""
    if not name:
        return True
    if not name.isascii():
        return False
    labels = name.split(".")
    for label in labels[:-1]:
        if not 0 < len(label) < 64:
            return False  # "label empty or too long": Werkzeug's path raises BadHost
    return len(labels[-1]) < 64


def bind_request(url_map: Map, environ: Any, host: str, subdomain: str | None) -> MapAdapter | None:
    """``url_map.bind_to_environ(environ, server_name=None, subdomain=subdomain)``, or None.

    ``host`` is what ``get_host(environ, trusted_hosts)`` returned for this environ: the same
    value ``bind_to_environ`` computes with ``get_host(environ)`` (the trusted-host check only
    ever raises, it never changes the value). ``None`` means "not sure, call Werkzeug".
    """
    if type(environ) is not dict or not _binds_like_map(url_map):
        return None
    # bind_to_environ: the server name is the request's host; no SERVER_NAME to compare with.
    server_name = host.lower()
    scheme = environ["wsgi.url_scheme"]
    connection = environ.get("HTTP_CONNECTION", "")
    if connection != "":
        upgrade = any(v.strip() == "upgrade" for v in connection.lower().split(","))
        if upgrade and environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            scheme = "wss" if scheme == "https" else "ws"
    if subdomain is None and not url_map.host_matching:
        # The current server name is the server name itself: no subdomain part.
        subdomain = ""
    script_name = _wsgi_string(environ.get("SCRIPT_NAME"))
    path_info = _wsgi_string(environ.get("PATH_INFO"))
    query_args = _wsgi_string(environ.get("QUERY_STRING"))
    method = environ["REQUEST_METHOD"]
    # Map.bind
    if url_map.host_matching:
        if subdomain is not None:
            return None  # Werkzeug raises RuntimeError: let it
    elif subdomain is None:
        subdomain = url_map.default_subdomain
    if script_name is None:
        script_name = "/"
    if path_info is None:
        path_info = "/"
    name = server_name.partition(":")[0]
    if not _idna_ascii_ok(name):
        return None
    return MapAdapter(
        url_map, server_name, script_name, subdomain, scheme, path_info, method, query_args
    )
