"""How the WebSocket tab words frames and handshakes: hex dumps, close codes, the accept check.

Qt-free functions over ``engine.events`` objects and plain strings, so they are easy to test
and shared by the tab's panels.
"""

from __future__ import annotations

import base64
import hashlib

from engine.events import Event

__all__ = [
    "WS_GUID",
    "close_text",
    "deflate_text",
    "expected_accept",
    "format_hex",
    "spaced_hex",
    "ws_url",
]

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3


def format_hex(hex_text: str, per_line: int = 16, ascii_column: bool = True) -> str:
    """``"8185..."`` as offset-prefixed lines of spaced byte pairs, like a hex dump."""
    try:
        data = bytes.fromhex(hex_text)
    except ValueError:
        return hex_text
    if not data:
        return "(empty)"
    lines = []
    for off in range(0, len(data), per_line):
        chunk = data[off : off + per_line]
        line = f"{off:04x}  {chunk.hex(' ')}"
        if ascii_column:
            ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
            line = f"{off:04x}  {chunk.hex(' '):<{per_line * 3 - 1}}  {ascii_}"
        lines.append(line)
    return "\n".join(lines)


def ws_url(base_url: str, route: str) -> str:
    """The ws:// (wss://) URL of ``route`` on the app served at ``base_url`` (http/https)."""
    base = base_url.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base[len("https://") :]
    elif base.startswith("http://"):
        base = "ws://" + base[len("http://") :]
    return base + (route if route.startswith("/") else "/" + route)


def close_text(ev: Event) -> str:
    """`` · close 1000 'bye'`` for a close frame (RFC 6455 §5.5.1: code, then UTF-8 reason)."""
    if ev.opcode != 8:
        return ""
    code = getattr(ev, "close_code", None)  # the engine parses it; older captures lack it
    if code is not None:
        if ev.length == 0:
            return f" · close without a code ({code} is reported)"
        return f" · close {code} {getattr(ev, 'close_reason', None) or ''!r}"
    if ev.length == 0:
        return " · close without a code (1005 is reported)"
    data = ev.payload_preview.encode("utf-8") if ev.payload_preview_is_text else None
    if data is None:
        try:
            data = bytes.fromhex(ev.payload_preview)
        except ValueError:
            return ""
    if len(data) < 2:
        return " · close payload of 1 byte (protocol error)"
    code = int.from_bytes(data[:2], "big")
    reason = data[2:].decode("utf-8", "replace")
    return f" · close {code} {reason!r}"


def deflate_text(ev: Event) -> str:
    """`` · RSV1: permessage-deflate ...`` for a compressed frame, else empty."""
    inflated = getattr(ev, "inflated_size", None)
    if not ev.rsv1:
        return ""
    if inflated is None:
        return " · RSV1 set"
    return f" · RSV1: permessage-deflate, inflates to {inflated} B (RFC 7692)"


def spaced_hex(hex_text: str) -> str:
    """``"8185"`` as ``"81 85"``; anything that is not hex as it is."""
    try:
        return bytes.fromhex(hex_text).hex(" ")
    except ValueError:
        return hex_text


def expected_accept(key: str) -> str:
    """``Sec-WebSocket-Accept`` for ``key``: base64(SHA-1(key + GUID)), RFC 6455 §4.2.2 5.4."""
    digest = hashlib.sha1((key + WS_GUID).encode("ascii", "replace")).digest()
    return base64.b64encode(digest).decode("ascii")
