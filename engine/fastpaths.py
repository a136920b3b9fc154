"""The switch for the engine's Werkzeug fast paths, and what runs in their place.

``routing_fast``, ``matcher_fast``, ``wrappers_fast`` and ``response_fast`` do what Werkzeug's
own code does for the common request, step by step, with less overhead. They are copies, so
they are only as right as the release they were copied from and checked against
(``tests/test_fastpaths_*.py`` compare both ways on the installed Werkzeug). On any other
release, the fast paths stand aside, their modules are not even imported (they use private
names a release may drop), and Werkzeug's own code runs: slower, never different.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

__all__ = [
    "FAST_PATHS",
    "RequestFastPaths",
    "ResponseFastPaths",
    "add_vary_cookie",
    "bind_request",
    "cookie_header_values",
    "set_session_cookie",
    "speed_up",
]

CHECKED_WERKZEUG = frozenset({"3.1.8", "3.1.9"})
"""Werkzeug releases whose code the fast paths were compared with."""

FAST_PATHS = version("werkzeug") in CHECKED_WERKZEUG

if FAST_PATHS:
    from .matcher_fast import speed_up
    from .response_fast import add_vary_cookie, set_session_cookie
    from .routing_fast import bind_request
    from .wrappers_fast import RequestFastPaths, ResponseFastPaths
    from .wrappers_fast import environ_cookie_values as cookie_header_values
else:

    class RequestFastPaths:  # type: ignore[no-redef]
        """Nothing in front of Werkzeug's ``Request``."""

    class ResponseFastPaths:  # type: ignore[no-redef]
        """Nothing in front of Werkzeug's ``Response``."""

    def speed_up(matcher: Any) -> None:  # type: ignore[misc]
        """Keep Werkzeug's matcher."""

    def bind_request(url_map: Any, environ: Any, host: str, subdomain: str | None) -> None:  # type: ignore[misc]
        """Let ``Map.bind_to_environ`` bind."""
        return None

    def cookie_header_values(environ: Any) -> None:  # type: ignore[misc]
        """Let ``EnvironHeaders.getlist`` find the Cookie headers."""
        return None

    def add_vary_cookie(response: Any) -> None:  # type: ignore[misc]
        response.vary.add("Cookie")

    def set_session_cookie(response: Any, key: str, value: str, **kwargs: Any) -> None:  # type: ignore[misc]
        response.set_cookie(key, value, **kwargs)
