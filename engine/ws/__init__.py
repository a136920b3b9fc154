"""WebSockets in the engine: serving routes, and a tap that reports every frame on the wire.

- ``frames``: sans-I/O frame parser keeping every wire detail (RFC 6455 §5.2).
- ``handshake``: the ``Sec-WebSocket-Accept`` computation, step by step (§4.2.2).
- ``tap``: raw bytes of a connection in, ``ws_frame`` / ``ws_message`` events out.
- ``tap_layout``: the raw values the tap emits, by layout.
- ``tap_fields``: the events' fields, derived from those raw values when read.
- ``inflate``: permessage-deflate parameters and deferred inflating (RFC 7692).
- ``connection``: the object a route handler receives.
- ``serve``: ``handle_upgrade(app, handler)``, called by the engine's HTTP server.
"""

from __future__ import annotations

from .connection import ConnectionClosed, WebSocket
from .frames import FrameReader, WireFrame, encode_frame, mask, opcode_name, unmask
from .handshake import accept_key, accept_steps

__all__ = [
    "ConnectionClosed",
    "FrameReader",
    "WebSocket",
    "WireFrame",
    "accept_key",
    "accept_steps",
    "encode_frame",
    "mask",
    "opcode_name",
    "unmask",
]
