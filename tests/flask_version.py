"""The installed Flask's version, for the tests that pin behaviour of a given Flask release.

The engine reproduces Flask 3.1.3, and ctxscope also attaches to Flask 3.0 apps: a test that
compares against real Flask behaviour introduced in a later release skips on an older Flask,
with a reason naming the feature: ``@needs_flask((3, 1), "MAX_FORM_PARTS is new in Flask 3.1")``
is ``pytest.mark.skipif(FLASK_VERSION < (3, 1), reason=...)``.
"""

from __future__ import annotations

import re
from importlib.metadata import version

import pytest


def release(text: str) -> tuple[int, ...]:
    """``"3.1.3"`` -> ``(3, 1, 3)``; a pre-release or dev suffix is dropped (``"3.2.0rc1"``)."""
    match = re.match(r"\d+(?:\.\d+)*", text)
    if match is None:
        raise ValueError(f"not a version: {text!r}")
    return tuple(int(part) for part in match.group().split("."))


#: The installed Flask, e.g. ``(3, 1, 3)``.
FLASK_VERSION = release(version("flask"))


def needs_flask(minimum: tuple[int, ...], reason: str) -> pytest.MarkDecorator:
    """Skip on a Flask older than ``minimum``; ``reason`` names the Flask feature pinned."""
    return pytest.mark.skipif(minimum > FLASK_VERSION, reason=reason)


# Marks shared by several test files.
SECRET_KEY_FALLBACKS = needs_flask((3, 1), "SECRET_KEY_FALLBACKS is new in Flask 3.1")
FALLBACKS_SIGN_WITH_SECRET_KEY = needs_flask(
    (3, 1, 1),
    "SECRET_KEY_FALLBACKS is new in Flask 3.1; Flask 3.1.1 signs with SECRET_KEY and checks it"
    " first (3.1.0 had the keys in the wrong order)",
)
SESSION_ACCESSED_313 = needs_flask(
    (3, 1, 3),
    "Flask 3.1.3 marks the session accessed on any use (items() included), adding Vary: Cookie",
)
