"""The wire tap: raw bytes of one connection in, ``ws_frame`` / ``ws_message`` events out.

The tap sees the same bytes as the socket, in both directions, and parses them with its own
``FrameReader``; it never looks at the protocol library's parsed frames, so what it reports
is what crossed the wire, including frames the library rejected. Fragments and control
frames interleaved with them are reported one by one (RFC 6455 §5.4); each data message is
reported once more, reassembled (and inflated under permessage-deflate, RFC 7692), as
``ws_message``.

Events are only built while somebody listens (``bus.active``). Frame parsing and message
bookkeeping always run, so a subscriber arriving mid-connection sees correct frames at once.

Events are raw (see ``engine.events``): the tap hands the bus immutable values taken from
the wire (the frame's header bytes, the start of its payload as sent) and what only the
stream position tells (errors, close code, the message a frame belongs to);
``frame_fields`` / ``message_fields`` derive the bits, hex and previews when somebody
reads the event. A capture that only keeps events pays for none of that. A frame that is a
whole message, the common case, gives its ``ws_frame`` and ``ws_message`` one shared tuple.

Inflating is deferred the same way. The compressed payloads of a direction wait, as the
bytes that crossed the wire, in that direction's ``InflateQueue``, and are inflated strictly
in wire order (context takeover makes every message depend on the ones before, RFC 7692
§7.2.3) when an event that needs a result is first read, or at once when more than
``INFLATE_BACKLOG`` compressed bytes wait. Messages that begin while nobody listens are not
inflated at all; under context takeover one skipped that way leaves the tap unable to
inflate later ones, which their ``ws_message`` says in ``error`` (sizes are then the wire
sizes).
"""

from __future__ import annotations

import codecs
import re
import threading
import zlib
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from ..events import Event, WsFrame, WsMessage
from .frames import OPCODE_NAMES, FrameReader, opcode_name, unmask

__all__ = [
    "INFLATE_BACKLOG",
    "PREVIEW_BYTES",
    "Bus",
    "DeflateParams",
    "DirectionTap",
    "InflateQueue",
    "WsTap",
    "frame_fields",
    "message_fields",
    "parse_deflate_params",
]

PREVIEW_BYTES = 64
"""Payload bytes kept in a preview; ``length`` fields always give the full size."""

INFLATE_BACKLOG = 256 << 10
"""Compressed bytes a direction may hold uninflated; past it the tap inflates at once."""

_EMPTY_BLOCK = b"\x00\x00\xff\xff"  # RFC 7692 §7.2.2: removed by the sender, re-added here
_printable = re.compile(rb"[\x09-\x0d\x20-\x7e]*").fullmatch
_utf8_decoder = codecs.getincrementaldecoder("utf-8")
_VALID_CLOSE = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}
Frame = tuple[bytes, int, bytes, str | None, bool]
"""A frame as the tap's readers give it: a ``WireFrame``'s five items, as a plain tuple."""

_NOT_INFLATED = (
    "not inflated: earlier compressed messages passed while nobody listened "
    "and context takeover needs every one of them (RFC 7692 §7.2.3)"
)


class Bus(Protocol):
    """What the tap needs of an ``EventBus``: whether anybody listens, and ``emit``."""

    active: bool

    def emit(
        self,
        cls: type[Event],
        request_id: int | None,
        name: object,
        blueprint: str | None,
        extras: tuple[Any, ...],
    ) -> object: ...


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


def _payload(frame: Frame, n: int | None = None) -> bytes:
    """A frame's payload (its first ``n`` bytes) unmasked (RFC 6455 §5.3).

    ``WireFrame.payload`` for the plain tuples the tap's readers return.
    """
    header = frame[0]
    wire = frame[2] if n is None else frame[2][:n]
    if len(header) > 1 and header[1] & 0x80:
        return unmask(wire, header[-4:])
    return wire


# -- deferred inflating ----------------------------------------------------------------------

# A queued frame ("piece") is a small list, not an object: one is made per compressed frame
# on the hot path, and a list is several times cheaper to build than an instance. Its
# message's inflate state follows in the same list when the frame is the whole message;
# a fragmented message keeps it in a list of its own (same layout), that its pieces name.
# Only ``InflateQueue`` and the decoders read these lists.
_P_WIRE = 0  # the payload as on the wire (masked when masked); None once inflated
_P_HEADER = 1  # the frame's header bytes (the masking key is their last 4)
_P_FIN = 2
_P_COMPLETE = 3  # False for a frame cut short: it is counted, not inflated
_P_STATE = 4  # the list holding its message's state; None: this one
_P_SIZE = 5  # bytes it inflated to, once inflated (None for a frame cut short)
_M_LENGTH = 6  # the message's inflated bytes so far
_M_HEAD = 7  # first PREVIEW_BYTES of its inflated payload
_M_ERROR = 8  # first problem found
_M_DECODER = 9  # incremental UTF-8 decoder of a fragmented text message
_M_FRAMES = 10  # frames inflated so far
_M_TEXT = 11  # a text message: check its UTF-8 (RFC 6455 §8.1)
_M_QUEUE = 12  # the InflateQueue that inflates it


def _state(piece: list[Any]) -> list[Any]:
    state = piece[_P_STATE]
    return piece if state is None else state  # type: ignore[no-any-return]


class InflateQueue:
    """The compressed frames of one direction, inflated in wire order when a result is read.

    The connection's thread appends (``add``); any thread may ask for a frame's result
    (``settle``), which inflates every frame queued before it first, under a lock: a
    deflate stream with context takeover can only be read in order (RFC 7692 §7.2.3).
    The queue holds only the immutable payload bytes that crossed the wire, so reading an
    event long after the connection moved on gives what inflating at once would have.
    """

    __slots__ = (
        "_current",
        "_inflater",
        "_lock",
        "_pending",
        "added",
        "inflated",
        "max_size",
        "reset_per_message",
    )

    def __init__(self, reset_per_message: bool, max_size: int | None) -> None:
        self.reset_per_message = reset_per_message  # the sender restarts its window per message
        self.max_size = max_size  # inflate no message past this (a zip bomb costs no memory)
        self._inflater: Any = None  # zlib decompressor, made on first use (most never need one)
        self._current: list[Any] | None = None  # state of the message being inflated
        self._pending: deque[list[Any]] = deque()  # pieces not inflated yet, in wire order
        self._lock = threading.Lock()  # one inflater, readers on any thread
        self.added = 0  # compressed bytes queued so far (connection thread only)
        self.inflated = 0  # compressed bytes inflated so far (under the lock)

    def message(self, text: bool) -> list[Any]:
        """The state of a fragmented compressed message, named by each of its pieces."""
        return [None, None, None, None, None, None, 0, b"", None, None, 0, text, self]

    def add(self, piece: list[Any]) -> list[Any]:
        """Queue ``piece`` (a frame cut short included: it keeps the count right)."""
        self._pending.append(piece)
        self.added += len(piece[_P_WIRE])
        if self.added - self.inflated > INFLATE_BACKLOG:
            self.settle(piece)  # nobody reads: keep memory bounded by inflating now
        return piece

    def settle(self, piece: list[Any]) -> None:
        """Inflate every queued frame up to and including ``piece``."""
        if piece[_P_WIRE] is None:  # set last, under the lock: the results are in place
            return
        with self._lock:
            pending = self._pending
            while piece[_P_WIRE] is not None:
                self._step(pending.popleft())

    def _step(self, piece: list[Any]) -> None:
        wire, header, fin, complete = piece[:4]
        state = _state(piece)
        if state is not self._current:
            self._current = state
            if self.reset_per_message or self._inflater is None:
                self._inflater = zlib.decompressobj(wbits=-15)  # raw deflate, RFC 7692 §7.2.2
        state[_M_FRAMES] += 1
        size = None
        if complete:
            payload = unmask(wire, header[-4:]) if header[1] & 0x80 else wire
            data = self._inflate(payload, fin, state)
            size = len(data)
            state[_M_LENGTH] += size
            missing = PREVIEW_BYTES - len(state[_M_HEAD])
            if missing > 0:
                state[_M_HEAD] += data[:missing]
            if state[_M_TEXT] and state[_M_ERROR] is None:
                try:
                    if state[_M_DECODER] is None and fin and state[_M_FRAMES] == 1:
                        str(data, "utf-8")  # a whole message in one frame: one C call
                    else:
                        if state[_M_DECODER] is None:
                            state[_M_DECODER] = _utf8_decoder()
                        state[_M_DECODER].decode(data, fin)
                except UnicodeDecodeError as exc:
                    state[_M_ERROR] = f"invalid UTF-8 in text message: {exc.reason}"
        else:
            # Cut short (stream end, or over the limit and skipped): nothing to inflate, and
            # the inflater is out of step from here on, which later frames will show.
            state[_M_LENGTH] += len(wire)
        max_size = self.max_size
        if max_size is not None and state[_M_LENGTH] > max_size and not state[_M_ERROR]:
            state[_M_ERROR] = f"message of {state[_M_LENGTH]}+ bytes exceeds {max_size}"
        self.inflated += len(wire)
        piece[_P_SIZE] = size
        piece[_P_WIRE] = None  # last: marks the piece done (and frees the payload)

    def _inflate(self, data: bytes, fin: bool, state: list[Any]) -> bytes:
        error = state[_M_ERROR]
        if error is not None and error.startswith("inflat"):
            return b""
        if fin:
            data += _EMPTY_BLOCK
        limit = 0
        if self.max_size is not None:
            # Never inflate past the limit (a zip bomb would otherwise cost the tap memory).
            limit = max(self.max_size - state[_M_LENGTH] + 1, 1)
        try:
            out: bytes = self._inflater.decompress(data, limit)
        except zlib.error as exc:
            state[_M_ERROR] = f"inflating failed: {exc}"
            return b""
        if self._inflater.unconsumed_tail:
            state[_M_ERROR] = f"inflates to more than {self.max_size} bytes"
            self._inflater = zlib.decompressobj(wbits=-15)
        return out


# -- the events' fields, derived when read ---------------------------------------------------

# The raw values the tap emits: a tuple whose first item names its layout. Only immutable
# values from the wire, plus the queued piece of a compressed frame: the one mutable value,
# whose results the queue fills in once, under its lock, from the immutable bytes the piece
# holds, so they are the same whenever that happens. A tuple of plain values is also
# untracked by the garbage collector after its first pass, which matters when a capture
# keeps every event.
#
# "whole": a frame that is a whole message; its ws_frame and ws_message share the tuple.
#   ("whole", connection_id, direction, header, wire_head, length, received, error,
#    compressed, problem, piece)
# "frame": any other frame, with the raw values of the ws_message it completes, if any.
#   ("frame", connection_id, direction, header, wire_head, length, received, error,
#    complete, text, piece, close, message)
# "message": a fragmented message.
#   ("message", connection_id, direction, opcode, frames, compressed, wire_length, length,
#    head, error, piece)
#
# header: every byte before the payload; wire_head: the first PREVIEW_BYTES of the payload
# as sent; received: payload bytes that arrived; piece: the (last) queued piece, or None;
# problem: the message's error when not queued; close: (code, reason) of a close frame.
WHOLE = "whole"
FRAME = "frame"
MESSAGE = "message"


def frame_fields(raw: tuple[Any, ...]) -> dict[str, Any]:
    """The ``ws_frame`` fields of the tap's raw values (``WsFrame._decode`` calls this)."""
    cid, direction, header, wire_head, length, received, error = raw[1:8]
    if raw[0] == WHOLE:
        compressed, piece = raw[8], raw[10]
        complete = True
        text = header[0] & 0x0F == 0x1 and not compressed
        close = None
    else:
        complete, text, piece, close = raw[8:12]
    b0 = header[0]
    op = b0 & 0x0F
    b1 = header[1] if len(header) > 1 else 0
    masked = b1 >= 0x80
    # The preview's bytes unmasked: the XOR of RFC 6455 §5.3 from the payload's start.
    head = unmask(wire_head, header[-4:]) if masked else wire_head
    if op >= 0x8:
        preview, is_text = control_preview(head)
    elif text:
        whole = complete and op == 0x1 and b0 >= 0x80 and length <= PREVIEW_BYTES
        preview, is_text = text_preview(head, whole)
    else:
        preview, is_text = head.hex(), False
    inflated_size = None
    if piece is not None:
        _state(piece)[_M_QUEUE].settle(piece)
        inflated_size = piece[_P_SIZE]
    code = b1 & 0x7F
    return {
        "connection_id": cid,
        "direction": direction,
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
        "payload_wire_preview": wire_head.hex(),
        "payload_preview": preview,
        "payload_preview_is_text": is_text,
        "wire_size": len(header) + received,
        "inflated_size": inflated_size,
        "error": error,
        "close_code": close[0] if close is not None else None,
        "close_reason": close[1] if close is not None else None,
    }


def message_fields(raw: tuple[Any, ...]) -> dict[str, Any]:
    """The ``ws_message`` fields of the tap's raw values (``WsMessage._decode`` calls this).

    With a queued piece, length, head and error are the inflated message's, known once the
    queue reached that piece.
    """
    if raw[0] == WHOLE:
        _, cid, direction, header, wire_head, _, received, _, compressed, error, piece = raw
        opcode = header[0] & 0x0F
        frames = 1
        wire_length = length = received
        # Not inflated: the head is the payload's, unmasked (RFC 6455 §5.3).
        head = unmask(wire_head, header[-4:]) if header[1] & 0x80 else wire_head
    else:
        _, cid, direction, opcode, frames, compressed, wire_length, length, head, error, piece = raw
    if piece is not None:
        state = _state(piece)
        state[_M_QUEUE].settle(piece)
        length, head, error = state[_M_LENGTH], state[_M_HEAD], state[_M_ERROR]
    if opcode == 0x1:
        preview, is_text = text_preview(head, length <= PREVIEW_BYTES)
    else:
        preview, is_text = head.hex(), False
    return {
        "connection_id": cid,
        "direction": direction,
        "opcode_name": "text" if opcode == 0x1 else "binary",
        "length": length,
        "frames": frames,
        "compressed": compressed,
        "preview": preview,
        "wire_length": wire_length,
        "preview_is_text": is_text,
        "error": error,
    }


# -- the tap -----------------------------------------------------------------------------------


class DirectionTap:
    """The tap of one direction of a connection."""

    def __init__(
        self,
        direction: str,
        *,
        deflate: DeflateParams | None,
        max_size: int | None,
        connection_id: int = 0,
        closes: list[str] | None = None,
    ) -> None:
        inbound = direction == "in"
        self.direction = direction  # "in" (client to server) or "out"
        self.connection_id = connection_id  # carried by every event of this direction
        self.reader = FrameReader(
            inbound,  # client frames must be masked, server frames must not (§5.1)
            allowed_rsv=0x40 if deflate is not None else 0,
            max_payload=max_size if inbound else None,
            plain=True,  # tuples: read with _payload(), not WireFrame's properties
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
        # Compressed frames wait here to be inflated in order (None without compression).
        self.queue = InflateQueue(self.reset_per_message, self.max_size) if deflate else None
        self.msg_opcode: int | None = None  # opcode of the fragmented message in progress
        self.msg_compressed = False  # RSV1 was set on its first frame
        self.msg_frames = 0  # frames of it so far
        self.msg_length = 0  # its payload bytes so far (when not queued for inflating)
        self.msg_wire_length = 0  # its payload bytes as on the wire
        self.msg_head = b""  # first PREVIEW_BYTES of its payload (when not queued)
        self.msg_decoder: Any = None  # incremental UTF-8 check of a fragmented text message
        self.msg_text_check = False  # check this message's UTF-8 (it began while listened to)
        # Its inflate state while its frames go to the queue (compressed, listened to, in sync).
        self.msg_state: list[Any] | None = None
        # The queue saw every compressed message so far (or the sender restarts per message).
        self.inflate_synced = True
        self.msg_error: str | None = None  # first problem found in the message (not queued)
        self.close: tuple[int | None, str | None] | None = None  # first close frame seen
        # Shared by both directions: each appends itself on its first close frame.
        self.closes: list[str] = closes if closes is not None else []
        self.frames = 0  # frames seen in this direction
        self.ended = False  # the byte stream of this direction ended

    # -- per frame --------------------------------------------------------------------------

    def process(self, frame: Frame, build: bool) -> tuple[Any, ...] | None:
        """Update message state with ``frame``; the raw values of its events when ``build``.

        The result's first item tells which events to emit: ``WHOLE`` (a ws_frame and a
        ws_message sharing it), or ``FRAME`` with the ws_message's raw values, if any, last.
        Unmasks only what is needed now: whole payloads of uncompressed text messages, to
        check UTF-8 while somebody listens (RFC 6455 §8.1), and the start of a fragmented
        message for its preview. Compressed payloads are queued as they crossed the wire.
        """
        self.frames += 1
        header, length, wire, error, complete = frame
        b0 = header[0]
        op = b0 & 0x0F
        if not (b0 & 0x80 and 0x1 <= op <= 0x2 and complete and self.msg_opcode is None):
            return self._frame(frame, build)
        # The common frame: a whole message in one (FIN set, text or binary, RFC 6455 §5.4).
        # The bookkeeping of ``_frame`` without the state a fragmented message needs.
        compressed = bool(b0 & 0x40) and self.compression
        if not build:
            if compressed:
                # Not inflated while nobody listens: under context takeover that loses the
                # window for good (RFC 7692 §7.2.3); a sender that restarts loses nothing.
                self.inflate_synced = self.reset_per_message
            return None
        piece = None
        problem = None
        received = len(wire)
        if compressed:
            if self.inflate_synced:
                q: InflateQueue = self.queue  # type: ignore[assignment] # set: compressed
                # The piece, then its message's state (its own: the frame is the message).
                piece = [wire, header, True, True, None, None, 0, b"", None, None, 0, op == 1, q]
                q._pending.append(piece)  # InflateQueue.add, inlined on the hot path
                q.added += received
                if q.added - q.inflated > INFLATE_BACKLOG:
                    q.settle(piece)
            else:
                problem = _NOT_INFLATED
        else:
            if op == 0x1:
                try:
                    str(_payload(frame), "utf-8")  # the whole text in one C call
                except UnicodeDecodeError as exc:
                    problem = f"invalid UTF-8 in text message: {exc.reason}"
            max_size = self.max_size
            if max_size is not None and received > max_size and not problem:
                problem = f"message of {received}+ bytes exceeds {max_size}"
        # Slicing copies at most PREVIEW_BYTES (a shorter payload is the same bytes object).
        return (
            WHOLE,
            self.connection_id,
            self.direction,
            header,
            wire[:PREVIEW_BYTES],
            length,
            received,
            error,
            compressed,
            problem,
            piece,
        )

    def _frame(self, frame: Frame, build: bool) -> tuple[Any, ...] | None:
        """``process`` for every other frame: fragments, control frames, reserved opcodes."""
        header, length, wire, error, complete = frame
        b0 = header[0]
        op = b0 & 0x0F
        piece = None
        message = None
        close = None
        text = False  # the frame carries uncompressed text: preview it as text
        if op >= 0x8:
            if op <= 0xA:
                if b0 & 0x40 and self.compression:
                    error = _join(error, "RSV1 set on a control frame (RFC 7692 §6.1)")
                if op == 0x8:
                    close_code, close_reason, problem = parse_close(_payload(frame))
                    close = (close_code, close_reason)
                    if complete:
                        error = _join(error, problem)
                        if self.close is None:
                            self.close = close
                            self.closes.append(self.direction)
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
                self._start(op, bool(b0 & 0x40) and self.compression, build)
            if self.msg_opcode is not None:
                piece = self._data(frame, fin, complete, build)
                text = self.msg_opcode == 0x1 and not self.msg_compressed
                if fin and complete:
                    if build:
                        message = (
                            MESSAGE,
                            self.connection_id,
                            self.direction,
                            self.msg_opcode,
                            self.msg_frames,
                            self.msg_compressed,
                            self.msg_wire_length,
                            self.msg_length,
                            self.msg_head,
                            self.msg_error,
                            piece,
                        )
                    self.msg_opcode = None
        if not build:
            return None
        return (
            FRAME,
            self.connection_id,
            self.direction,
            header,
            wire[:PREVIEW_BYTES],
            length,
            len(wire),
            error,
            complete,
            text,
            piece,
            close,
            message,
        )

    def _data(self, frame: Frame, fin: bool, complete: bool, build: bool) -> list[Any] | None:
        """Account one frame of the current data message; its queued piece, if queued."""
        self.msg_frames += 1
        wire = frame[2]
        self.msg_wire_length += len(wire)
        state = self.msg_state
        if state is not None:
            queue: InflateQueue = state[_M_QUEUE]
            return queue.add([wire, frame[0], fin, complete, state, None])
        self.msg_length += len(wire)
        data = None
        if self.msg_text_check and self.msg_error is None:
            data = _payload(frame)  # needed whole for the UTF-8 check below
        missing = PREVIEW_BYTES - len(self.msg_head)
        if missing > 0 and (build or data is not None):
            self.msg_head += data[:missing] if data is not None else _payload(frame, missing)
        if data is not None:
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
        return None

    def _start(self, op: int, compressed: bool, listening: bool) -> None:
        self.msg_opcode = op
        self.msg_compressed = compressed
        self.msg_frames = 0
        self.msg_length = 0
        self.msg_wire_length = 0
        self.msg_head = b""
        self.msg_decoder = None
        self.msg_error = None
        self.msg_state = None
        # UTF-8 is checked for text messages that begin while somebody listens (§8.1).
        self.msg_text_check = op == 0x1 and listening
        if compressed:
            if not listening:
                # Inflating costs as much as the library's own inflating; skip it while
                # nobody listens. Under context takeover the window is then lost for good.
                self.inflate_synced = self.reset_per_message
            elif self.inflate_synced:
                self.msg_state = self.queue.message(op == 0x1)  # type: ignore[union-attr]
            else:
                self.msg_error = _NOT_INFLATED


def _join(error: str | None, problem: str | None) -> str | None:
    if problem is None:
        return error
    return problem if error is None else f"{error}; {problem}"


class WsTap:
    """Both directions of one connection, reporting straight onto an event bus.

    ``origin``: the (request_id, name, blueprint) every event of the connection carries.
    """

    def __init__(
        self,
        connection_id: int,
        bus: Bus,
        *,
        origin: tuple[int | None, object, str | None] = (None, None, None),
        extensions: str | None = None,
        max_size: int | None = None,
    ) -> None:
        deflate = parse_deflate_params(extensions)
        self.connection_id = connection_id  # shared by every event of the connection
        self.bus = bus  # events go here, and only while ``bus.active``
        self.origin = origin  # request_id, name, blueprint of every event
        self._closes: list[str] = []  # directions in the order their first close frame came
        self.inbound = DirectionTap(  # client → server
            "in",
            deflate=deflate,
            max_size=max_size,
            connection_id=connection_id,
            closes=self._closes,
        )
        self.outbound = DirectionTap(  # server → client
            "out", deflate=deflate, max_size=None, connection_id=connection_id, closes=self._closes
        )
        # One closure per direction: ``feed_in`` / ``feed_out`` run for every chunk on the
        # connection's hot path, and a closure reads what it needs without attribute lookups.
        self.feed_in: Callable[[bytes | bytearray | memoryview], None] = self._feeder(self.inbound)
        """Bytes read from the client."""
        self.feed_out: Callable[[bytes | bytearray | memoryview], None] = self._feeder(
            self.outbound
        )
        """Bytes written to the client."""

    @property
    def first_close(self) -> str | None:
        """``"in"`` or ``"out"``: who sent the first close frame, None while nobody has."""
        closes = self._closes
        return closes[0] if closes else None

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
            # The way every frame goes, given the one frame the stream cut short.
            self._feeder(side, parse=lambda _data: [partial])(b"")

    def _feeder(
        self,
        side: DirectionTap,
        parse: Callable[[bytes | bytearray | memoryview], list[Frame]] | None = None,
    ) -> Callable[[bytes | bytearray | memoryview], None]:
        """The function that parses one direction's bytes and emits their events."""
        bus = self.bus
        emit = bus.emit
        request_id, name, blueprint = self.origin
        process = side.process
        frames_of = side.reader.feed if parse is None else parse

        def feed(data: bytes | bytearray | memoryview) -> None:
            for frame in frames_of(data):
                # Asked per frame: a subscriber arriving mid-chunk gets the next frame.
                raw = process(frame, bus.active)
                if raw is None:
                    continue
                if raw[0] == WHOLE:  # one tuple for both events
                    emit(WsFrame, request_id, name, blueprint, raw)
                    emit(WsMessage, request_id, name, blueprint, raw)
                else:
                    emit(WsFrame, request_id, name, blueprint, raw)
                    if raw[-1] is not None:  # the message this frame completes
                        emit(WsMessage, request_id, name, blueprint, raw[-1])

        return feed

    # -- what the wire says about the end ---------------------------------------------------

    @property
    def close_in(self) -> tuple[int | None, str | None] | None:
        """(code, reason) of the client's first close frame, None if it sent none."""
        return self.inbound.close

    @property
    def close_out(self) -> tuple[int | None, str | None] | None:
        """(code, reason) of the server's first close frame, None if it sent none."""
        return self.outbound.close
