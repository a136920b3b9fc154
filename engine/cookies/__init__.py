"""The session-cookie workbench: decode, verify, sign and audit itsdangerous tokens (no Qt).

Flask's session cookie is an itsdangerous ``URLSafeTimedSerializer`` token over tagged JSON.
This package reads and writes it byte-compatibly, for the CLI (``decode``, ``sign``,
``crack``) and the window alike. Every failure caused by input is a ``CookieError``.
"""

from __future__ import annotations

from engine.cookies.crack import Cracker, CrackResult, crack
from engine.cookies.decode import DecodedCookie, Verification, decode, verify
from engine.cookies.errors import CookieError
from engine.cookies.inputs import CookieAttributes, CookieInput, parse_input
from engine.cookies.render import pretty, to_jsonable
from engine.cookies.sign import resign, sign
from engine.cookies.signing import FLASK_SESSION, KEY_DERIVATIONS, SigningSettings

__all__ = [
    "FLASK_SESSION",
    "KEY_DERIVATIONS",
    "CookieAttributes",
    "CookieError",
    "CookieInput",
    "CrackResult",
    "Cracker",
    "DecodedCookie",
    "SigningSettings",
    "Verification",
    "crack",
    "decode",
    "parse_input",
    "pretty",
    "resign",
    "sign",
    "to_jsonable",
    "verify",
]
