"""The wire tap: raw bytes of one connection in, ``ws_frame`` / ``ws_message`` events out.

The tap sees the same bytes as the socket, in both directions, and parses them with its own
``FrameReader``; it never looks at the protocol library's parsed frames, so what it reports
is what crossed the wire, including frames the library rejected. Fragments and control
frames interleaved with them are reported one by one (RFC 6455 §5.4); each data message is
reported once more, reassembled (and inflated under permessage-deflate, RFC 7692), as
``ws_message``.

Events are only built while somebody listens (``is_active()``). Frame parsing and message
bookkeeping always run, so a subscriber arriving mid-connection sees correct frames at once.
Inflating does not run while nobody listens (it would cost as much as the library's own);
under context takeover a compressed message skipped that way leaves the tap unable to inflate
later ones, which their ``ws_message`` says in ``error`` (sizes are then the wire sizes).
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Callable
from typing import Any

from ..events import Event, WsFrame, WsMessage
from .frames import OPCODE_NAMES, FrameReader, WireFrame, opcode_name

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


def text_preview(head: bytes, whole: bool) -> tuple[str, bool]:
    """(preview, is_text): ``head`` (a payload's start) as text if it is UTF-8, else as hex.

    ``whole`` says ``head`` is the entire payload; otherwise a character cut at the end by
    the preview cap (or by a fragment boundary) is not held against it.
    """
    head = head[:PREVIEW_BYTES]
    try:
        return str(head, "utf-8"), True
    except UnicodeDecodeError as exc:
        # An incomplete sequence at the very end is a cut, not an error (unless whole).
        if not whole and exc.end == len(head) and exc.reason == "unexpected end of data":
            return str(head[: exc.start], "utf-8"), True
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
        self.msg_decoder: Any = None  # incremental UTF-8 check of a fragmented text message
        self.msg_text_check = False  # check this message's UTF-8 (it began while listened to)
        self.msg_inflate = False  # inflate this message (compressed, listened to, in sync)
        # The inflater saw every compressed message so far (or restarts per message).
        self.inflate_synced = True
        self.msg_error: str | None = None  # first problem found in the message
        self.listening: Callable[[], bool] = lambda: True  # set by WsTap: events wanted?
        self.close: tuple[int | None, str | None] | None = None  # first close frame seen
        self.frames = 0  # frames seen in this direction
        self.ended = False  # the byte stream of this direction ended

    # -- per frame --------------------------------------------------------------------------

    def process(self, frame: WireFrame, build: bool) -> tuple[dict | None, dict | None]:
        """Update message state with ``frame``; the fields of its events when ``build``.

        Unmasks only what is needed: whole payloads to inflate (always: context takeover
        makes every message depend on the ones before) and to check UTF-8 (while somebody
        listens); just the start of a payload for a preview; nothing otherwise.
        """
        self.frames += 1
        header, length, wire, error, complete = frame
        b0 = header[0]
        op = b0 & 0x0F
        payload: bytes | None = None
        inflated_size: int | None = None
        message = None
        close_code = close_reason = None
        text = False  # the frame carries uncompressed text: preview it as text
        if op >= 0x8:
            if op <= 0xA:
                if b0 & 0x40 and self.compression:
                    error = _join(error, "RSV1 set on a control frame (RFC 7692 §6.1)")
                if op == 0x8:
                    payload = frame.payload
                    close_code, close_reason, problem = parse_close(payload)
                    if complete:
                        error = _join(error, problem)
                        if self.close is None:
                            self.close = (close_code, close_reason)
        elif op <= 0x2:
            fin = b0 >= 0x80
            if op == 0x0:
                if self.msg_opcode is None:
                    # RFC 6455 §5.4: a continuation frame needs a message to continue.
                    error = _join(error, "continuation frame without a message to continue")
                    fin = False  # belongs to no message
                elif b0 & 0x40 and self.compression:
                    error = _join(error, "RSV1 set on a continuation frame (RFC 7692 §6.1)")
            else:
                if self.msg_opcode is not None:
                    # A new data message inside a fragmented one: the old one is lost.
                    error = _join(error, "expected a continuation frame (RFC 6455 §5.4)")
                self._start(op, bool(b0 & 0x40) and self.compression)
            if self.msg_opcode is not None:
                payload, inflated_size = self._data(frame, fin, complete, build)
                text = self.msg_opcode == 0x1 and not self.msg_compressed
                if fin and complete:
                    if build:
                        message = self._message_fields()
                    self.msg_opcode = None
        if not build:
            return None, None
        # -- the ws_frame fields ----------------------------------------------------------
        b1 = header[1] if len(header) > 1 else 0
        head = payload[:PREVIEW_BYTES] if payload is not None else frame.payload_head(PREVIEW_BYTES)
        if op >= 0x8:
            preview, is_text = control_preview(head)
        elif text:
            whole = complete and op == 0x1 and b0 >= 0x80 and length <= PREVIEW_BYTES
            preview, is_text = text_preview(head, whole)
        else:
            preview, is_text = head.hex(), False
        code = b1 & 0x7F
        masked = b1 >= 0x80
        fields = {
            "direction": self.direction,
            "fin": b0 >= 0x80,
            "rsv1": bool(b0 & 0x40),
            "rsv2": bool(b0 & 0x20),
            "rsv3": bool(b0 & 0x10),
            "opcode": op,
            "opcode_name": OPCODE_NAMES.get(op) or opcode_name(op),
            "masked": masked,
            "masking_key": header[-4:].hex() if masked and len(header) >= 6 else None,
            "length": length,
            "length_encoding": 7 if code < 126 else (16 if code == 126 else 64),
            "header_hex": header.hex(),
            "payload_wire_preview": wire[:PREVIEW_BYTES].hex(),
            "payload_preview": preview,
            "payload_preview_is_text": is_text,
            "wire_size": len(header) + len(wire),
            "inflated_size": inflated_size,
            "error": error,
            "close_code": close_code,
            "close_reason": close_reason,
        }
        return fields, message

    def _data(
        self, frame: WireFrame, fin: bool, complete: bool, build: bool
    ) -> tuple[bytes | None, int | None]:
        """Account one frame of the current data message: (unmasked payload, inflated size)."""
        self.msg_frames += 1
        wire_length = len(frame[2])
        self.msg_wire_length += wire_length
        payload = None
        data = None
        inflated_size = None
        if self.msg_inflate and complete:
            payload = frame.payload
            data = self._inflate(payload, fin)
            inflated_size = len(data)
            self.msg_length += inflated_size
        else:
            self.msg_length += wire_length
        if self.msg_text_check and self.msg_error is None and data is None:
            payload = data = frame.payload  # needed whole for the UTF-8 check below
        missing = PREVIEW_BYTES - len(self.msg_head)
        if missing > 0 and (build or data is not None):
            self.msg_head += data[:missing] if data is not None else frame.payload_head(missing)
        if self.msg_text_check and self.msg_error is None:
            assert data is not None
            try:
                if self.msg_decoder is None and fin and self.msg_frames == 1:
                    str(data, "utf-8")  # a whole message in one frame: one C call
                else:
                    if self.msg_decoder is None:
                        self.msg_decoder = _utf8_decoder()
                    self.msg_decoder.decode(data, fin)
            except UnicodeDecodeError as exc:
                self.msg_error = f"invalid UTF-8 in text message: {exc.reason}"
        if self.max_size is not None and self.msg_length > self.max_size and not self.msg_error:
            self.msg_error = f"message of {self.msg_length}+ bytes exceeds {self.max_size}"
        return payload, inflated_size

    def _start(self, op: int, compressed: bool) -> None:
        self.msg_opcode = op
        self.msg_compressed = compressed
        self.msg_frames = 0
        self.msg_length = 0
        self.msg_wire_length = 0
        self.msg_head = b""
        self.msg_decoder = None
        listening = self.listening()
        # UTF-8 is checked for text messages that begin while somebody listens (§8.1).
        self.msg_text_check = op == 0x1 and listening
        self.msg_error = None
        self.msg_inflate = False
        if compressed:
            if self.reset_per_message:
                self.inflater = zlib.decompressobj(wbits=-15)
                self.inflate_synced = True
            if not listening:
                # Inflating costs as much as the library's own inflating; skip it while
                # nobody listens. Under context takeover the window is then lost for good.
                self.inflate_synced = self.reset_per_message
            elif self.inflate_synced:
                self.msg_inflate = True
            else:
                self.msg_error = (
                    "not inflated: earlier compressed messages passed while nobody listened "
                    "and context takeover needs every one of them (RFC 7692 §7.2.3)"
                )

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

    def _message_fields(self) -> dict[str, Any]:
        if self.msg_opcode == 0x1:
            whole = self.msg_length <= PREVIEW_BYTES
            preview, is_text = text_preview(self.msg_head, whole)
        else:
            preview, is_text = self.msg_head.hex(), False
        return {
            "direction": self.direction,
            "opcode_name": "text" if self.msg_opcode == 0x1 else "binary",
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
        self.inbound.listening = self.outbound.listening = is_active
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
