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
stream position tells (errors, close code, the message a frame belongs to), laid out as
``engine.ws.tap_layout`` says; ``frame_fields`` / ``message_fields`` (``engine.ws.tap_fields``)
derive the bits, hex and previews when somebody reads the event. A capture that only keeps
events pays for none of that. A frame that is a whole message, the common case, gives its
``ws_frame`` and ``ws_message`` one shared tuple; a chunk that is such a frame, as
interactive traffic reads and writes them, is taken whole on a short way that neither calls
the frame parser nor copies the chunk.

Inflating is deferred the same way: the compressed payloads of a direction wait, as the
bytes that crossed the wire, in that direction's ``InflateQueue`` (``engine.ws.inflate``),
and are inflated strictly in wire order (RFC 7692 §7.2.3) when first needed. Messages that
begin while nobody listens are not inflated at all; under context takeover one skipped that
way leaves the tap unable to inflate later ones, which their ``ws_message`` says in
``error`` (sizes are then the wire sizes).

What the tap hands the bus holds nothing the garbage collector keeps tracking (see the
queue's entries in ``engine.ws.inflate``): a capture that keeps every event costs the
collector the events themselves and nothing more.
"""

from __future__ import annotations

import codecs
import weakref
from collections.abc import Callable
from typing import Any, Protocol

from ..events import Event, WsFrame, WsMessage
from . import inflate
from .frames import FrameReader, unmask

# Re-exported: this module's public names before ``inflate`` and ``tap_fields`` were split off.
# ``INFLATE_BACKLOG`` and ``ENDED_QUEUES`` are read where they live, in ``engine.ws.inflate``.
from .inflate import (
    ENDED_QUEUES,
    INFLATE_BACKLOG,
    DeflateParams,
    InflateQueue,
    _new_slot,
    parse_deflate_params,
)
from .tap_fields import Frame, _payload, frame_fields, message_fields, parse_close
from .tap_fields import text_preview as text_preview  # re-exported, as before the split
from .tap_layout import FRAME, MESSAGE, PREVIEW_BYTES, WHOLE

__all__ = [
    "ENDED_QUEUES",
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

_utf8_decoder = codecs.getincrementaldecoder("utf-8")

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


# -- the tap -----------------------------------------------------------------------------------

_SHORT_MAX = (1 << 30) - 1  # longest chunk the tap's short way takes
_EXT16 = 240  # in ``_whole_sizes``: plus the header length, when a 16-bit length follows
_HEADER_LENGTH = bytes(
    (2 if b1 & 0x7F < 126 else (4 if b1 & 0x7F == 126 else 10)) + (4 if b1 & 0x80 else 0)
    for b1 in range(256)
)
"""By a frame's second byte: its header length. Two bytes, then a 16- or 64-bit length when
the 7-bit one says 126 or 127, then the masking key when MASK is set (RFC 6455 §5.2)."""
_sizes_cache: dict[tuple[bool, int], bytes] = {}


def _whole_sizes(masked: bool, allowed_rsv: int) -> bytes:
    """By the first two bytes of a frame (``b0 << 8 | b1``): its size in all when it is a
    whole data message in one frame with a 7-bit length, ``_EXT16`` plus its header length
    when it would be one with a 16-bit length, 0 when it cannot be one.

    A whole message in one frame: FIN set, text or binary (RFC 6455 §5.4), no RSV bit but
    the negotiated ones (§5.2), masked exactly when the client sent it (§5.1). One lookup
    then settles everything the header's first two bytes can tell.
    """
    key = (masked, allowed_rsv)
    table = _sizes_cache.get(key)
    if table is None:
        second = bytearray(256)  # by b1, for a b0 that qualifies
        for b1 in range(256):
            if (b1 >= 0x80) == masked:
                hlen = 6 if masked else 2  # the masking key follows the length
                code = b1 & 0x7F
                second[b1] = (
                    hlen + code if code < 126 else (_EXT16 + hlen + 2 if code == 126 else 0)
                )
        rows = [
            bytes(second)
            if b0 & 0x80 and b0 & 0x0F in (0x1, 0x2) and not b0 & 0x70 & ~allowed_rsv
            else bytes(256)
            for b0 in range(256)
        ]
        table = _sizes_cache[key] = b"".join(rows)
    return table


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
        allowed_rsv = 0x40 if deflate is not None else 0
        self.direction = direction  # "in" (client to server) or "out"
        self.connection_id = connection_id  # carried by every event of this direction
        self.reader = FrameReader(
            inbound,  # client frames must be masked, server frames must not (§5.1)
            allowed_rsv=allowed_rsv,
            max_payload=max_size if inbound else None,
            plain=True,  # tuples: read with _payload(), not WireFrame's properties
        )
        self.sizes = _whole_sizes(inbound, allowed_rsv)  # the short way's first test
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
        self.qid = self.queue.id if self.queue is not None else None  # its number in events
        if self.queue is not None:
            # Events may outlive the tap: the queue only needs to learn that no frame follows
            # (also when the stream never ended, as when a write failed).
            weakref.finalize(self, self.queue.close).atexit = False
        self.msg_opcode: int | None = None  # opcode of the fragmented message in progress
        self.msg_compressed = False  # RSV1 was set on its first frame
        self.msg_frames = 0  # frames of it so far
        self.msg_length = 0  # its payload bytes so far (when not queued for inflating)
        self.msg_wire_length = 0  # its payload bytes as on the wire
        self.msg_head = b""  # first PREVIEW_BYTES of its payload (when not queued)
        self.msg_decoder: Any = None  # incremental UTF-8 check of a fragmented text message
        self.msg_text_check = False  # check this message's UTF-8 (it began while listened to)
        # Its frames go to the queue (compressed, listened to, in sync).
        self.msg_queued = False
        # The queue saw every compressed message so far (or the sender restarts per message).
        self.inflate_synced = True
        self.msg_error: str | None = None  # first problem found in the message (not queued)
        self.close: tuple[int | None, str | None] | None = None  # first close frame seen
        # Shared by both directions: each appends itself on its first close frame.
        self.closes: list[str] = closes if closes is not None else []
        self.ended = False  # the byte stream of this direction ended

    # -- per frame --------------------------------------------------------------------------

    def process(self, frame: Frame, build: bool) -> tuple[Any, ...] | None:
        """Update message state with ``frame``; the raw values of its events when ``build``.

        The result's first item tells which events to emit: ``WHOLE`` (a ws_frame and a
        ws_message sharing it), or ``FRAME`` with the ws_message's raw values, if any, last.
        Unmasks only what is needed now: whole payloads of uncompressed text messages, to
        check UTF-8 while somebody listens (RFC 6455 §8.1), and the start of a fragmented
        message for its preview. Compressed payloads are queued as they crossed the wire.
        (``WsTap`` takes the common chunk, one whole message in one frame, without this.)
        """
        header, length, wire, error, complete = frame
        b0 = header[0]
        op = b0 & 0x0F
        if not (b0 & 0x80 and 0x1 <= op <= 0x2 and complete and self.msg_opcode is None):
            return self._frame(frame, build)
        # A whole message in one frame (FIN set, text or binary, RFC 6455 §5.4): the
        # bookkeeping of ``_frame`` without the state a fragmented message needs.
        compressed = bool(b0 & 0x40) and self.compression
        if not build:
            if compressed:
                # Not inflated while nobody listens: under context takeover that loses the
                # window for good (RFC 7692 §7.2.3); a sender that restarts loses nothing.
                self.inflate_synced = self.reset_per_message
            return None
        slot = None
        problem = None
        if compressed:
            if self.inflate_synced:
                q: InflateQueue = self.queue  # type: ignore[assignment] # set: compressed
                slot = q.add((wire, 0, header, True, True, True, bytearray(), op == 0x1))
            else:
                problem = _NOT_INFLATED
        else:
            if op == 0x1:
                try:
                    str(_payload(frame), "utf-8")  # the whole text in one C call
                except UnicodeDecodeError as exc:
                    problem = f"invalid UTF-8 in text message: {exc.reason}"
            max_size = self.max_size
            if max_size is not None and length > max_size and not problem:
                problem = f"message of {length}+ bytes exceeds {max_size}"
        return (
            WHOLE,
            self.connection_id,
            self.direction,
            header + wire[:PREVIEW_BYTES],
            len(header),
            length,
            error,
            compressed,
            problem,
            slot,
            self.qid,
        )

    def _frame(self, frame: Frame, build: bool) -> tuple[Any, ...] | None:
        """``process`` for every other frame: fragments, control frames, reserved opcodes."""
        header, length, wire, error, complete = frame
        b0 = header[0]
        op = b0 & 0x0F
        slot = None
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
                slot = self._data(frame, fin, complete, build)
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
                            slot,
                            self.qid,
                        )
                    self.msg_opcode = None
        if not build:
            return None
        return (
            FRAME,
            self.connection_id,
            self.direction,
            header + wire[:PREVIEW_BYTES],
            len(header),
            length,
            len(wire),
            error,
            complete,
            text,
            slot,
            self.qid,
            close,
            message,
        )

    def _data(self, frame: Frame, fin: bool, complete: bool, build: bool) -> bytearray | None:
        """Account one frame of the current data message; its result slot, if queued."""
        self.msg_frames += 1
        header, wire = frame[0], frame[2]
        self.msg_wire_length += len(wire)
        if self.msg_queued:
            queue: InflateQueue = self.queue  # type: ignore[assignment] # queued: compressed
            first = self.msg_frames == 1
            text = self.msg_opcode == 0x1
            return queue.add((wire, 0, header, first, fin, complete, bytearray(), text))
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
        self.msg_queued = False
        # UTF-8 is checked for text messages that begin while somebody listens (§8.1).
        self.msg_text_check = op == 0x1 and listening
        if compressed:
            if not listening:
                # Inflating costs as much as the library's own inflating; skip it while
                # nobody listens. Under context takeover the window is then lost for good.
                self.inflate_synced = self.reset_per_message
            elif self.inflate_synced:
                self.msg_queued = True
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
        feed_in, self.eof_in = self._feeder(self.inbound)
        feed_out, self.eof_out = self._feeder(self.outbound)
        self.feed_in: Callable[[bytes | bytearray | memoryview], None] = feed_in
        """Bytes read from the client."""
        self.feed_out: Callable[[bytes | bytearray | memoryview], None] = feed_out
        """Bytes written to the client."""
        self.eof_in: Callable[[], None]
        """The client's byte stream ended: report a frame it cut short."""
        self.eof_out: Callable[[], None]
        """The server stopped writing."""

    @property
    def first_close(self) -> str | None:
        """``"in"`` or ``"out"``: who sent the first close frame, None while nobody has."""
        closes = self._closes
        return closes[0] if closes else None

    def _feeder(
        self, side: DirectionTap
    ) -> tuple[Callable[[bytes | bytearray | memoryview], None], Callable[[], None]]:
        """The functions that take one direction's bytes to events, and its end."""
        bus = self.bus
        request_id, name, blueprint = self.origin
        process = side.process
        reader = side.reader
        parse = reader.feed
        sizes = side.sizes
        max_payload = reader.max_payload
        # The short way only takes a chunk no longer than the reader's limit: a frame that
        # is longer, or close, goes the long way, which knows where the limit lies. Under
        # 2**30 in any case, so the comparison stays one of small ints (CPython's fast path).
        limit = _SHORT_MAX if max_payload is None else min(max_payload, _SHORT_MAX)
        max_size = side.max_size
        queue: Any = side.queue  # used only for compressed frames, which need one
        pending: Any = queue._pending if queue is not None else None
        connection_id = side.connection_id
        direction = side.direction
        qid = side.qid

        # The short way is open: nothing buffered or being skipped, no fragmented message
        # in progress, the stream not ended. Only the long way and the end change that.
        short = True

        def deliver(frames: list[Frame]) -> None:
            for frame in frames:
                # Asked per frame: a subscriber arriving mid-chunk gets the next frame.
                raw = process(frame, bus.active)
                if raw is None:
                    continue
                emit = bus.emit  # looked up per use: a bus may rebuild it on (un)subscribe
                emit(WsFrame, request_id, name, blueprint, raw)
                if raw[0] == WHOLE:  # one tuple for both events
                    emit(WsMessage, request_id, name, blueprint, raw)
                elif raw[-1] is not None:  # the message this frame completes
                    emit(WsMessage, request_id, name, blueprint, raw[-1])

        def feed(data: bytes | bytearray | memoryview) -> None:
            nonlocal short
            if type(data) is not bytes:
                data = bytes(data)  # kept by events and the queue: never a buffer reused later
            # The short way: a chunk that is one whole message in one frame with a 7- or 16-bit
            # length (RFC 6455 §5.2), as interactive traffic reads one frame per recv and
            # writes one per send. Taken here whole, the chunk kept as it is: ``FrameReader``
            # and ``process`` give the same values, after two calls and a few copies.
            n = len(data)
            size = -1  # the frame's size, if the chunk may be one such frame
            if short and n >= 2:
                size = sizes[(data[0] << 8) | data[1]]
                if size > _EXT16 and n >= 4:  # hlen + the 16-bit length (RFC 6455 §5.2)
                    size += ((data[2] << 8) | data[3]) - _EXT16
            if size != n or n > limit:
                deliver(parse(data))
                short = not reader._buf and not reader._skip and side.msg_opcode is None
                return
            b0 = data[0]
            compressed = b0 & 0x40 != 0  # RSV1: ``sizes`` allows it only when negotiated
            if not bus.active:
                if compressed:
                    # Not inflated while nobody listens: under context takeover that loses
                    # the window for good (RFC 7692 §7.2.3).
                    side.inflate_synced = side.reset_per_message
                return
            hlen = _HEADER_LENGTH[data[1]]
            length = n - hlen
            slot = None
            problem = None
            if compressed:
                if side.inflate_synced:
                    slot = _new_slot()
                else:
                    problem = _NOT_INFLATED
            else:
                if b0 & 0x0F == 0x1:
                    payload = data[hlen:]
                    if data[1] & 0x80:
                        payload = unmask(payload, data[hlen - 4 : hlen])
                    try:
                        str(payload, "utf-8")  # the whole text in one C call (RFC 6455 §8.1)
                    except UnicodeDecodeError as exc:
                        problem = f"invalid UTF-8 in text message: {exc.reason}"
                if max_size is not None and length > max_size and not problem:
                    problem = f"message of {length}+ bytes exceeds {max_size}"
            head = data if n <= hlen + PREVIEW_BYTES else data[: hlen + PREVIEW_BYTES]
            raw = (
                WHOLE,
                connection_id,
                direction,
                head,
                hlen,
                length,
                None,
                compressed,
                problem,
                slot,
                qid,
            )
            if slot is not None:
                # InflateQueue.add, inlined. A frame that fits in its head is all in its raw
                # values, which then serve as its queue entry as well.
                pending.append(
                    raw
                    if head is data
                    else (data, hlen, None, True, True, True, slot, b0 & 0x0F == 0x1)
                )
                queue.added += length
                if queue.added - queue.inflated > inflate.INFLATE_BACKLOG:
                    queue.settle(slot)
            emit = bus.emit
            emit(WsFrame, request_id, name, blueprint, raw)
            emit(WsMessage, request_id, name, blueprint, raw)

        def end() -> None:
            nonlocal short
            if side.ended:
                return
            side.ended = True
            short = False  # the reader stops: later bytes are not parsed
            partial = reader.feed_eof()
            if partial is not None:
                deliver([partial])  # type: ignore[list-item] # a WireFrame: the same five items
            if queue is not None:
                queue.close()

        return feed, end

    # -- what the wire says about the end ---------------------------------------------------

    @property
    def close_in(self) -> tuple[int | None, str | None] | None:
        """(code, reason) of the client's first close frame, None if it sent none."""
        return self.inbound.close

    @property
    def close_out(self) -> tuple[int | None, str | None] | None:
        """(code, reason) of the server's first close frame, None if it sent none."""
        return self.outbound.close
