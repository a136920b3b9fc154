"""The opening handshake's accept value, step by step (RFC 6455 §1.3, §4.2.2).

The server proves it read the client's ``Sec-WebSocket-Key`` by answering
``base64(SHA-1(key + GUID))`` in ``Sec-WebSocket-Accept``. ``accept_steps`` keeps every
intermediate value so the inspector can show the computation, not just its result.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

__all__ = ["GUID", "AcceptSteps", "accept_key", "accept_steps", "key_problem"]

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
"""The fixed GUID of RFC 6455 §1.3, appended to every key."""


@dataclass(frozen=True, slots=True)
class AcceptSteps:
    """Every value of the accept computation, in order."""

    key: str  # Sec-WebSocket-Key as sent by the client
    accept_input: str  # key + GUID, the string that is hashed
    sha1_hex: str  # SHA-1 of accept_input (its ASCII bytes), as hex
    accept: str  # base64 of the 20-byte SHA-1 digest: Sec-WebSocket-Accept


def accept_steps(key: str) -> AcceptSteps:
    """Compute ``Sec-WebSocket-Accept`` for ``key``, keeping each step (RFC 6455 §4.2.2 5.4)."""
    accept_input = key + GUID
    digest = hashlib.sha1(accept_input.encode("latin-1")).digest()
    return AcceptSteps(
        key=key,
        accept_input=accept_input,
        sha1_hex=digest.hex(),
        accept=base64.b64encode(digest).decode("ascii"),
    )


def accept_key(key: str) -> str:
    """Only the result: the value of ``Sec-WebSocket-Accept``."""
    return accept_steps(key).accept


def key_problem(key: str | None) -> str | None:
    """Why ``key`` is not a valid Sec-WebSocket-Key (RFC 6455 §4.1: base64 of 16 bytes)."""
    if key is None:
        return "missing Sec-WebSocket-Key"
    try:
        raw = base64.b64decode(key.encode("latin-1"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return f"Sec-WebSocket-Key {key!r} is not base64"
    if len(raw) != 16:
        return f"Sec-WebSocket-Key decodes to {len(raw)} bytes, expected 16"
    return None
