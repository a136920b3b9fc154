"""The one exception the cookie workbench raises, whatever it is given."""

from __future__ import annotations

__all__ = ["CookieError"]


class CookieError(ValueError):
    """A cookie (or an option) that cannot be used: a short ``reason`` code and one line.

    Reasons: ``empty``, ``too_long``, ``bad_chars``, ``no_cookie``, ``parts``, ``bad_base64``,
    ``bad_timestamp``, ``bad_zlib``, ``zlib_bomb``, ``bad_utf8``, ``bad_json``, ``too_deep``,
    ``bad_tag``, ``bad_option``, ``bad_payload``, ``wordlist``, ``worker``. They are a stable
    interface: the CLI starts its one error line with the reason, the window can map it to hints.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason  # short machine-readable code, see the class docstring
        self.message = message  # one line for a person, no trailing period

    def __str__(self) -> str:
        return self.message
