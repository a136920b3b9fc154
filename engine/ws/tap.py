"""The wire tap: raw bytes of one connection in, ``ws_frame`` / ``ws_message`` events out.

The tap sees the same bytes as the socket, in both directions, and parses them with its own
``FrameReader``; it never looks at the protocol library's parsed frames, so what it reports
is what crossed the wire, including frames the library rejected. Fragments and control
frames interleaved with them are reported one by one (RFC 6455 §5.4); each data message is
reported once more, reassembled (and inflated under permessage-deflate, RFC 7692), as
``ws_message``.

Events are only built while somebody listens (``is_active()``); the parsing, inflating and
message bookkeeping always run, so that a subscriber arriving mid-connection still gets
correct inflation (context takeover makes every message depend on the previous ones).
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Callable
from typing import Any

from ..events import Event, WsFrame, WsMessage
from .frames import FrameReader, WireFrame, opcode_name

__all__ = ["PREVIEW_BYTES", "DeflateParams", "DirectionTap", "WsTap", "parse_deflate_params"]

PREVIEW_BYTES = 64
"""Payload bytes kept in a preview; ``length`` fields always give the full size."""

_EMPTY_BLOCK = b"\x00\x00\xff\xff"  # RFC 7692 §7.2.2: removed by the sender, re-added here
_printable = re.compile(rb"[\x09-\x0d\x20-\x7e]*").fullmatch
_utf8_decoder = codecs.getincrementaldecoder("utf-8")
_VALID_CLOSE = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}

Emit = Callable[[type[Event], dict[str, Any]], None]


class DeflateParams:
    """permessage-deflate as negotiated (RFC 7692 §7.1), read from the response header."""

    __slots__ = ("client_no_context_takeover", "server_no_context_takeover")

    def __init__(self, server_no_context_takeover: bool, client_no_context_takeover: bool) -> None:
        self.server_no_context_takeover = server_no_context_takeover  # server resets per message
        self.client_no_context_takeover = client_no_context_takeover  # client resets per message


def parse_deflate_params(extensions_header: str | None) -> DeflateParams | None:
    """The permessage-deflate parameters of a ``Sec-WebSocket-Extensions`` response, if any.

    Window sizes need no tracking: a 15-bit inflater reads any smaller window (RFC 7692
    §7.1.2), so only context takeover changes how the tap inflates.
    """
    if not extensions_header:
        return None
    for offer in extensions_header.split(","):
        parts = [p.strip().lower() for p in offer.split(";")]
        if parts[0] == "permessage-deflate":
            names = {p.split("=", 1)[0].strip() for p in parts[1:]}
            return DeflateParams(
                "server_no_context_takeover" in names, "client_no_context_takeover" in names
            )
    return None


def text_preview(data: bytes, complete: bool) -> tuple[str, bool]:
    """(preview, is_text): the start of ``data`` as text if it is UTF-8, else as hex.

    ``complete`` says ``data`` is the whole payload; otherwise a character cut by the preview
    cap (or by a fragment boundary) is not held against it.
    """
    head = data[:PREVIEW_BYTES]
    final = complete and len(data) <= PREVIEW_BYTES
    try:
        return _utf8_decoder().decode(head, final), True
    except UnicodeDecodeError:
        return head.hex(), False


def control_preview(data: bytes) -> tuple[str, bool]:
    """Control payloads: printable ASCII as text, anything else as hex (as websockets logs)."""
    head = data[:PREVIEW_BYTES]
    if _printable(head):
        return head.decode("ascii"), True
    return head.hex(), False


def parse_close(payload: bytes) -> tuple[int | None, str | None, str | None]:
    """(code, reason, problem) of a close payload (RFC 6455 §5.5.1, §7.4)."""
    if not payload:
        return 1005, "", None  # no status code present (§7.1.5)
    if len(payload) == 1:
        return None, None, "close payload of 1 byte (a status code takes 2)"
    code = int.from_bytes(payload[:2], "big")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError as exc:
        return code, payload[2:].decode("utf-8", "replace"), f"close reason is not UTF-8: {exc}"
    if code not in _VALID_CLOSE and not 3000 <= code < 5000:
        return code, reason, f"close code {code} must not be sent (RFC 6455 §7.4)"
    return code, reason, None


class DirectionTap:
    """The tap of one direction of a connection."""

    def __init__(
        self,
        direction: str,
        *,
        deflate: DeflateParams | None,
        max_size: int | None,
    ) -> None:
        inbound = direction == "in"
        self.direction = direction  # "in" (client to server) or "out"
        self.reader = FrameReader(
            inbound,  # client frames must be masked, server frames must not (§5.1)
            allowed_rsv=0x40 if deflate is not None else 0,
            max_payload=max_size if inbound else None,
        )
        self.max_size = max_size if inbound else None  # limit of a whole message, inflated
        self.compression = deflate is not None  # permessage-deflate negotiated
        # Each side's own flag decides whether its compressor restarts per message.
        if deflate is None:
            self.reset_per_message = False  # no compression at all
        elif inbound:
            self.reset_per_message = deflate.client_no_context_takeover
        else:
            self.reset_per_message = deflate.server_no_context_takeover
        self.inflater: Any = zlib.decompressobj(wbits=-15) if deflate else None  # shared window
        self.msg_opcode: int | None = None  # opcode of the data message in progress
        self.msg_compressed = False  # RSV1 was set on its first frame
        self.msg_frames = 0  # frames of it so far
        self.msg_length = 0  # its (inflated) payload bytes so far
        self.msg_wire_length = 0  # its payload bytes as on the wire
        self.msg_head = b""  # first PREVIEW_BYTES of its (inflated) payload
        self.msg_decoder: Any = None  # incremental UTF-8 check of a text message
        self.msg_error: str | None = None  # first problem found in the message
        self.frame_text = False  # the last frame carried uncompressed text (for its preview)
        self.close: tuple[int | None, str | None] | None = None  # first close frame seen
        self.frames = 0  # frames seen in this direction
        self.ended = False  # the byte stream of this direction ended

    # -- per frame --------------------------------------------------------------------------

    def process(self, frame: WireFrame, build: bool) -> tuple[dict | None, dict | None]:
        """Update message state with ``frame``; the fields of its events when ``build``."""
        self.frames += 1
        op = frame.header[0] & 0x0F
        error = frame.error
        inflated: bytes | None = None
        message = None
        close_code = close_reason = None
        self.frame_text = False
        if op & 0x08 and op in (0x8, 0x9, 0xA):
            if frame.header[0] & 0x40 and self.compression:
                error = _join(error, "RSV1 set on a control frame (RFC 7692 §6.1)")
            if op == 0x8:
                close_code, close_reason, problem = parse_close(frame.payload)
                if frame.complete:
                    error = _join(error, problem)
                    if self.close is None:
                        self.close = (close_code, close_reason)
        elif op <= 0x2:
            inflated, error, message = self._data(frame, op, error, build)
        if not build:
            return None, None
        return self._frame_fields(frame, op, error, inflated, close_code, close_reason), message

    def _data(
        self, frame: WireFrame, op: int, error: str | None, build: bool
    ) -> tuple[bytes | None, str | None, dict | None]:
        rsv1 = bool(frame.header[0] & 0x40)
        fin = bool(frame.header[0] & 0x80)
        if op == 0x0:
            if self.msg_opcode is None:
                # RFC 6455 §5.4: a continuation frame needs a message to continue.
                return None, _join(error, "continuation frame without a message to continue"), None
            if rsv1 and self.compression:
                error = _join(error, "RSV1 set on a continuation frame (RFC 7692 §6.1)")
        else:
            if self.msg_opcode is not None:
                # A new data message started inside a fragmented one: the old one is lost.
                error = _join(error, "expected a continuation frame (RFC 6455 §5.4)")
            self._start(op, rsv1 and self.compression)
        self.frame_text = self.msg_opcode == 0x1 and not self.msg_compressed
        self.msg_frames += 1
        self.msg_wire_length += len(frame.wire_payload)
        data: bytes = frame.payload
        inflated = None
        if self.msg_compressed and frame.complete:
            data = inflated = self._inflate(data, fin)
        self.msg_length += len(data)
        if len(self.msg_head) < PREVIEW_BYTES:
            self.msg_head += data[: PREVIEW_BYTES - len(self.msg_head)]
        if self.msg_decoder is not None and self.msg_error is None:
            try:
                self.msg_decoder.decode(data, fin)
            except UnicodeDecodeError as exc:
                self.msg_error = f"invalid UTF-8 in text message: {exc.reason}"
        if self.max_size is not None and self.msg_length > self.max_size and not self.msg_error:
            self.msg_error = f"message of {self.msg_length}+ bytes exceeds {self.max_size}"
        if not fin or not frame.complete:
            return inflated, error, None
        message = self._message_fields() if build else None
        self.msg_opcode = None
        return inflated, error, message

    def _start(self, op: int, compressed: bool) -> None:
        self.msg_opcode = op
        self.msg_compressed = compressed
        self.msg_frames = 0
        self.msg_length = 0
        self.msg_wire_length = 0
        self.msg_head = b""
        self.msg_decoder = _utf8_decoder() if op == 0x1 else None
        self.msg_error = None
        if compressed and self.reset_per_message:
            self.inflater = zlib.decompressobj(wbits=-15)

    def _inflate(self, data: bytes, fin: bool) -> bytes:
        if self.msg_error is not None and self.msg_error.startswith("inflat"):
            return b""
        if fin:
            data += _EMPTY_BLOCK
        limit = 0
        if self.max_size is not None:
            # Never inflate past the limit (a zip bomb would otherwise cost the tap memory).
            limit = max(self.max_size - self.msg_length + 1, 1)
        try:
            out = self.inflater.decompress(data, limit)
        except zlib.error as exc:
            self.msg_error = f"inflating failed: {exc}"
            return b""
        if self.inflater.unconsumed_tail:
            self.msg_error = f"inflates to more than {self.max_size} bytes"
            self.inflater = zlib.decompressobj(wbits=-15)
        return out

    # -- event fields -----------------------------------------------------------------------

    def _frame_fields(
        self,
        frame: WireFrame,
        op: int,
        error: str | None,
        inflated: bytes | None,
        close_code: int | None,
        close_reason: str | None,
    ) -> dict[str, Any]:
        header = frame.header
        b0 = header[0]
        b1 = header[1] if len(header) > 1 else 0
        payload = frame.payload
        if op & 0x08:
            preview, is_text = control_preview(payload)
        elif self.frame_text:
            preview, is_text = text_preview(payload, frame.complete and op == 0x1 and b0 >= 0x80)
        else:
            preview, is_text = payload[:PREVIEW_BYTES].hex(), False
        code = b1 & 0x7F
        return {
            "direction": self.direction,
            "fin": b0 >= 0x80,
            "rsv1": bool(b0 & 0x40),
            "rsv2": bool(b0 & 0x20),
            "rsv3": bool(b0 & 0x10),
            "opcode": op,
            "opcode_name": opcode_name(op),
            "masked": b1 >= 0x80,
            "masking_key": header[-4:].hex() if b1 >= 0x80 and len(header) >= 6 else None,
            "length": frame.length,
            "length_encoding": 7 if code < 126 else (16 if code == 126 else 64),
            "header_hex": header.hex(),
            "payload_wire_preview": frame.wire_payload[:PREVIEW_BYTES].hex(),
            "payload_preview": preview,
            "payload_preview_is_text": is_text,
            "wire_size": len(header) + len(frame.wire_payload),
            "inflated_size": None if inflated is None else len(inflated),
            "error": error,
            "close_code": close_code,
            "close_reason": close_reason,
        }

    def _message_fields(self) -> dict[str, Any]:
        if self.msg_opcode == 0x1:
            preview, is_text = text_preview(self.msg_head, self.msg_length <= PREVIEW_BYTES)
        else:
            preview, is_text = self.msg_head.hex(), False
        return {
            "direction": self.direction,
            "opcode_name": opcode_name(self.msg_opcode or 0),
            "length": self.msg_length,
            "frames": self.msg_frames,
            "compressed": self.msg_compressed,
            "preview": preview,
            "wire_length": self.msg_wire_length,
            "preview_is_text": is_text,
            "error": self.msg_error,
        }


def _join(error: str | None, problem: str | None) -> str | None:
    if problem is None:
        return error
    return problem if error is None else f"{error}; {problem}"


class WsTap:
    """Both directions of one connection, reporting through ``emit``."""

    def __init__(
        self,
        connection_id: int,
        emit: Emit,
        is_active: Callable[[], bool],
        *,
        extensions: str | None = None,
        max_size: int | None = None,
    ) -> None:
        deflate = parse_deflate_params(extensions)
        self.connection_id = connection_id  # shared by every event of the connection
        self.emit = emit  # (event class, fields) -> None
        self.is_active = is_active  # whether events are wanted right now
        self.inbound = DirectionTap("in", deflate=deflate, max_size=max_size)  # client → server
        self.outbound = DirectionTap("out", deflate=deflate, max_size=None)  # server → client
        self.first_close: str | None = None  # "in" or "out": who sent the first close frame

    def feed_in(self, data: bytes | bytearray | memoryview) -> None:
        """Bytes read from the client."""
        self._run(self.inbound, self.inbound.reader.feed(data))

    def feed_out(self, data: bytes | bytearray | memoryview) -> None:
        """Bytes written to the client."""
        self._run(self.outbound, self.outbound.reader.feed(data))

    def eof_in(self) -> None:
        """The client's byte stream ended; report a frame it cut short."""
        self._end(self.inbound)

    def eof_out(self) -> None:
        """The server stopped writing."""
        self._end(self.outbound)

    def _end(self, side: DirectionTap) -> None:
        if side.ended:
            return
        side.ended = True
        partial = side.reader.feed_eof()
        if partial is not None:
            self._run(side, [partial])

    def _run(self, side: DirectionTap, frames: list[WireFrame]) -> None:
        if not frames:
            return
        emit = self.emit
        cid = self.connection_id
        for frame in frames:
            build = self.is_active()
            fields, message = side.process(frame, build)
            if self.first_close is None and side.close is not None:
                self.first_close = side.direction
            if fields is not None:
                fields["connection_id"] = cid
                emit(WsFrame, fields)
            if message is not None:
                message["connection_id"] = cid
                emit(WsMessage, message)

    # -- what the wire says about the end ---------------------------------------------------

    @property
    def close_in(self) -> tuple[int | None, str | None] | None:
        """(code, reason) of the client's first close frame, None if it sent none."""
        return self.inbound.close

    @property
    def close_out(self) -> tuple[int | None, str | None] | None:
        """(code, reason) of the server's first close frame, None if it sent none."""
        return self.outbound.close
