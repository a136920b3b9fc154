"""An incremental WebSocket frame parser that keeps every wire detail (RFC 6455 §5.2).

Sans-I/O: ``FrameReader.feed(data)`` takes bytes exactly as they came off (or went onto) the
socket, in any split down to one byte at a time, and returns the frames completed by them.
Nothing is hidden or repaired: a frame keeps its header bytes, its payload as on the wire
(masked when masked) and unmasked, and the protocol violations visible at the wire level are
reported on the frame instead of raised, so an inspector can show a bad frame next to the
close frame it provoked.

Frame layout (RFC 6455 §5.2)::

     0                   1                   2                   3
    |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
    |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
    |N|V|V|V|       |S|             |   (if payload len==126/127)   |
    | |1|2|3|       |K|             |                               |
    + - - - - - - - - - - - - - - - + - - - - - - - - - - - - - - - +
    |     Extended payload length continued, if payload len == 127  |
    + - - - - - - - - - - - - - - - +-------------------------------+
    |                               | Masking-key, if MASK set to 1 |
    +-------------------------------+-------------------------------+
    | Masking-key (continued)       |          Payload Data         |
"""

from __future__ import annotations

from operator import itemgetter as _itemgetter
from typing import Final

__all__ = [
    "CONTROL_OPCODES",
    "DATA_OPCODES",
    "OPCODE_NAMES",
    "FrameReader",
    "WireFrame",
    "encode_frame",
    "mask",
    "opcode_name",
    "unmask",
]

OPCODE_NAMES: Final[dict[int, str]] = {
    0x0: "continuation",
    0x1: "text",
    0x2: "binary",
    0x8: "close",
    0x9: "ping",
    0xA: "pong",
}
"""Opcodes defined by RFC 6455 §5.2 (§11.8 registry); 0x3-0x7 and 0xB-0xF are reserved."""

DATA_OPCODES: Final = frozenset((0x0, 0x1, 0x2))
CONTROL_OPCODES: Final = frozenset((0x8, 0x9, 0xA))

_MAX_CONTROL_PAYLOAD: Final = 125  # RFC 6455 §5.5
_TOP_BIT_64: Final = 1 << 63  # RFC 6455 §5.2: "the most significant bit MUST be 0"


def opcode_name(opcode: int) -> str:
    """``"text"``, ``"ping"``... or ``"reserved-0x3"`` for an opcode RFC 6455 leaves reserved."""
    name = OPCODE_NAMES.get(opcode)
    return name if name is not None else f"reserved-0x{opcode:x}"


_XOR_TABLES: Final = tuple(bytes(b ^ k for b in range(256)) for k in range(256))
"""``_XOR_TABLES[k]`` maps every byte b to b ^ k, for ``bytes.translate``."""

_STRIDED_FROM: Final = 2048  # payload size from which the strided XOR beats the integer one


def unmask(payload: bytes | bytearray | memoryview, key: bytes) -> bytes:
    """XOR ``payload`` with the 4-byte ``key`` repeated (RFC 6455 §5.3).

    No per-byte Python loop: small payloads are XORed as one big integer with the key
    repeated; large ones as four strided slices (bytes 0, 4, 8...; 1, 5, 9...), each through
    ``bytes.translate`` with the XOR table of its key byte. Every step runs in C.
    """
    n = len(payload)
    if n == 0:
        return b""
    if len(key) != 4:
        raise ValueError("a masking key is 4 bytes")
    if n < _STRIDED_FROM:
        keystream = (key * ((n >> 2) + 1))[:n]
        return (int.from_bytes(payload, "little") ^ int.from_bytes(keystream, "little")).to_bytes(
            n, "little"
        )
    data = bytes(payload)
    out = bytearray(n)
    tables = _XOR_TABLES
    out[0::4] = data[0::4].translate(tables[key[0]])
    out[1::4] = data[1::4].translate(tables[key[1]])
    out[2::4] = data[2::4].translate(tables[key[2]])
    out[3::4] = data[3::4].translate(tables[key[3]])
    return bytes(out)


mask = unmask
"""Masking and unmasking are the same XOR (RFC 6455 §5.3)."""


class WireFrame(tuple):
    """One frame as it crossed the wire: ``(header, length, wire_payload, error, complete)``.

    A tuple, so it is immutable, compares by value and costs one allocation to build: the
    parser makes one per frame. The header bits are read from ``header`` on access and the
    payload is unmasked on access (``payload_head(n)`` unmasks only a prefix, which is all a
    preview needs), so a frame nobody looks at into costs no XOR at all.

    - ``header``: every byte before the payload, masking key included
    - ``length``: payload length declared by the header
    - ``wire_payload``: payload as on the wire (masked when masked)
    - ``error``: wire-level protocol violation, None when the frame is valid
    - ``complete``: False when the stream ended or stopped inside the payload
    """

    __slots__ = ()

    def __new__(
        cls,
        header: bytes,
        length: int,
        wire_payload: bytes,
        error: str | None,
        complete: bool = True,
    ) -> WireFrame:
        return tuple.__new__(cls, (header, length, wire_payload, error, complete))

    header: bytes = property(_itemgetter(0))  # type: ignore[assignment]
    length: int = property(_itemgetter(1))  # type: ignore[assignment]
    wire_payload: bytes = property(_itemgetter(2))  # type: ignore[assignment]
    error: str | None = property(_itemgetter(3))  # type: ignore[assignment]
    complete: bool = property(_itemgetter(4))  # type: ignore[assignment]

    @property
    def payload(self) -> bytes:
        """The payload unmasked (still compressed under permessage-deflate); computed per call."""
        header = self[0]
        if len(header) > 1 and header[1] & 0x80:
            return unmask(self[2], header[-4:])
        return self[2]

    def payload_head(self, n: int) -> bytes:
        """The first ``n`` payload bytes, unmasked, without unmasking the rest."""
        header = self[0]
        if len(header) > 1 and header[1] & 0x80:
            return unmask(self[2][:n], header[-4:])
        return self[2][:n]

    # -- header bits (RFC 6455 §5.2) --------------------------------------------------------

    @property
    def fin(self) -> bool:
        return bool(self.header[0] & 0x80)

    @property
    def rsv1(self) -> bool:
        return bool(self.header[0] & 0x40)

    @property
    def rsv2(self) -> bool:
        return bool(self.header[0] & 0x20)

    @property
    def rsv3(self) -> bool:
        return bool(self.header[0] & 0x10)

    @property
    def opcode(self) -> int:
        return self.header[0] & 0x0F

    @property
    def opcode_name(self) -> str:
        return opcode_name(self.header[0] & 0x0F)

    @property
    def masked(self) -> bool:
        return bool(self.header[1] & 0x80)

    @property
    def masking_key(self) -> bytes | None:
        return self.header[-4:] if self.header[1] & 0x80 else None

    @property
    def length_encoding(self) -> int:
        """7, 16 or 64: how many bits carried the payload length."""
        code = self.header[1] & 0x7F
        return 7 if code < 126 else (16 if code == 126 else 64)

    @property
    def is_control(self) -> bool:
        return bool(self.header[0] & 0x08)

    @property
    def wire_size(self) -> int:
        return len(self.header) + len(self.wire_payload)

    def __repr__(self) -> str:
        extra = f" error={self.error!r}" if self.error else ""
        return (
            f"<WireFrame {self.opcode_name} fin={self.fin} masked={self.masked} "
            f"length={self.length}{extra}>"
        )


_new = tuple.__new__


def _violations(b0: int, b1: int, length: int, expect_masked: bool | None, rsv: int) -> str | None:
    """The wire-level rule a header breaks, or None (RFC 6455 §5.1, §5.2, §5.5)."""
    problems = []
    opcode = b0 & 0x0F
    if opcode not in OPCODE_NAMES:
        problems.append(f"reserved opcode 0x{opcode:x}")
    if b0 & 0x70 & ~rsv:
        bits = [
            name
            for bit, name in ((0x40, "RSV1"), (0x20, "RSV2"), (0x10, "RSV3"))
            if b0 & bit & ~rsv
        ]
        problems.append(f"{'/'.join(bits)} set without a negotiated extension")
    if opcode & 0x08:
        if length > _MAX_CONTROL_PAYLOAD:
            problems.append(f"control frame payload of {length} bytes (max 125)")
        if not b0 & 0x80:
            problems.append("fragmented control frame")
    if length & _TOP_BIT_64:
        problems.append("64-bit payload length with the most significant bit set")
    if expect_masked is not None and bool(b1 & 0x80) != expect_masked:
        problems.append("unmasked client frame" if expect_masked else "masked server frame")
    return "; ".join(problems) if problems else None


class FrameReader:
    """Turns a byte stream into ``WireFrame`` objects, one ``feed`` at a time.

    ``expect_masked``: True for client-to-server bytes, False for server-to-client, None to
    accept both (RFC 6455 §5.1). ``allowed_rsv``: the RSV bits an extension negotiated, as a
    mask of the first header byte (0x40 for permessage-deflate). ``max_payload``: a frame
    declaring a longer payload is reported at once, header only, with ``complete=False``, and
    its payload is skipped without being kept; parsing resumes after it. ``plain``: whole
    frames come as plain tuples of the same five items, not ``WireFrame`` (the wire tap's hot
    path: building a tuple subclass costs a second allocation per frame).
    """

    __slots__ = (
        "_buf",
        "_need",
        "_ok",
        "_skip",
        "allowed_rsv",
        "expect_masked",
        "max_payload",
        "plain",
        "stopped",
    )

    def __init__(
        self,
        expect_masked: bool | None = None,
        *,
        allowed_rsv: int = 0,
        max_payload: int | None = None,
        plain: bool = False,
    ) -> None:
        self.expect_masked = expect_masked  # which side's rules apply (§5.1)
        self.plain = plain  # whole frames as plain tuples
        self.allowed_rsv = allowed_rsv  # RSV bits an extension made legal (§5.2)
        self.max_payload = max_payload  # longest payload worth waiting for
        self.stopped = False  # set once the stream ended: later bytes are not parsed
        self._buf = bytearray()  # bytes of the frame still incomplete
        self._need = 2  # bytes the buffer must hold before parsing is worth retrying
        self._skip = 0  # payload bytes still to pass over after an oversize frame
        # Index (first byte << 1 | MASK bit): 1 for a data frame with only legal RSV bits and
        # the mask this direction needs. One lookup clears the common frame of every check.
        self._ok = bytes(
            1
            if (i >> 1 & 0x0F) <= 0x02
            and not (i >> 1 & 0x70 & ~allowed_rsv)
            and (expect_masked is None or bool(i & 1) == expect_masked)
            else 0
            for i in range(512)
        )

    @property
    def buffered(self) -> int:
        """Bytes received that do not yet form a whole frame."""
        return len(self._buf)

    def feed(self, data: bytes | bytearray | memoryview) -> list[WireFrame]:
        """Add bytes; return every frame they complete, in wire order."""
        if self.stopped or not data:
            return []
        if self._skip:
            if len(data) <= self._skip:
                self._skip -= len(data)
                return []
            data = data[self._skip :]
            self._skip = 0
        buf = self._buf
        if buf:
            buf += data
            if len(buf) < self._need:
                return []
            data = bytes(buf)
            buf.clear()
        elif not isinstance(data, bytes):
            data = bytes(data)
        ok = self._ok
        max_payload = self.max_payload
        end = len(data)
        if end <= 131:  # 2 header bytes + 4 key bytes + 125 payload bytes at most
            # A chunk that is one whole frame with a 7-bit length (RFC 6455 §5.2; interactive
            # traffic reads one frame per recv): the loop below, unrolled for that case.
            b1 = data[1] if end >= 2 else 0
            length = b1 & 0x7F
            start = 6 if b1 & 0x80 else 2
            if (
                end >= 2
                and length < 126
                and start + length == end
                and (max_payload is None or length <= max_payload)
            ):
                b0 = data[0]
                error = None if ok[(b0 << 1) | (b1 >> 7)] else self._check(b0, b1, length)
                frame = (data[:start], length, data[start:], error, True)
                self._need = 2
                return [frame if self.plain else _new(WireFrame, frame)]  # type: ignore[list-item]
        frames: list[WireFrame] = []
        append = frames.append
        plain = self.plain
        pos = 0
        while end - pos >= 2:
            b0 = data[pos]
            b1 = data[pos + 1]
            length = b1 & 0x7F
            if length < 126:
                start = pos + 2
            elif length == 126:
                start = pos + 4
                if start > end:
                    break
                length = (data[pos + 2] << 8) | data[pos + 3]
            else:
                start = pos + 10
                if start > end:
                    break
                length = int.from_bytes(data[pos + 2 : start], "big")
            if b1 & 0x80:
                start += 4
            stop = start + length
            if max_payload is not None and length > max_payload and start <= end:
                # Report the header now and skip the payload: a receiver fails the
                # connection here (RFC 6455 §10.4) and the payload may never fully arrive.
                error = self._check(b0, b1, length)
                too_big = f"payload length {length} exceeds the limit of {max_payload} bytes"
                cut = min(end, stop)
                append(
                    WireFrame(
                        data[pos:start],
                        length,
                        data[start:cut],
                        f"{error}; {too_big}" if error else too_big,
                        False,
                    )
                )
                self._skip = stop - cut
                pos = cut
                if self._skip:
                    break
                continue
            if stop > end:
                break
            if ok[(b0 << 1) | (b1 >> 7)] and length < _TOP_BIT_64:
                error = None
            else:
                error = self._check(b0, b1, length)
            frame = (data[pos:start], length, data[start:stop], error, True)
            append(frame if plain else _new(WireFrame, frame))  # type: ignore[arg-type]
            pos = stop
        if pos < end and not self._skip:
            buf += data[pos:]
            self._need = self._needed(buf)
        else:
            self._need = 2
        return frames

    def _check(self, b0: int, b1: int, length: int) -> str | None:
        return _violations(b0, b1, length, self.expect_masked, self.allowed_rsv)

    def _needed(self, buf: bytearray) -> int:
        """Bytes the buffered partial frame needs in all before parsing it is worth trying."""
        if len(buf) < 2:
            return 2
        code = buf[1] & 0x7F
        start = 2 if code < 126 else (4 if code == 126 else 10)
        if len(buf) < start:
            return start
        length = code if code < 126 else int.from_bytes(buf[2:start], "big")
        start += 4 if buf[1] & 0x80 else 0
        if self.max_payload is not None and length > self.max_payload:
            return start  # reported as soon as its header is complete
        return start + length

    def feed_eof(self) -> WireFrame | None:
        """The stream ended: the partial frame it cut short, if any (``complete=False``)."""
        buf = bytes(self._buf)
        self._buf.clear()
        done = self.stopped
        self.stopped = True
        if done or not buf:
            return None
        if len(buf) < 2:
            return WireFrame(buf, 0, b"", "stream ended inside a frame header", False)
        b0, b1 = buf[0], buf[1]
        code = b1 & 0x7F
        start = 2 if code < 126 else (4 if code == 126 else 10)
        if b1 & 0x80:
            start += 4
        if len(buf) < start:
            return WireFrame(buf, 0, b"", "stream ended inside a frame header", False)
        length = (
            code if code < 126 else int.from_bytes(buf[2 : start - (4 if b1 & 0x80 else 0)], "big")
        )
        header = buf[:start]
        wire = buf[start:]
        note = f"stream ended after {len(wire)} of {length} payload bytes"
        error = _violations(b0, b1, length, self.expect_masked, self.allowed_rsv)
        return WireFrame(header, length, wire, f"{error}; {note}" if error else note, False)


def encode_frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    masking_key: bytes | None = None,
    length_encoding: int | None = None,
) -> bytes:
    """Serialize one frame exactly as asked, including frames that break the rules.

    For tests and raw clients: ``length_encoding`` forces 7/16/64-bit length coding (RFC 6455
    §5.2 requires the minimal one, a receiver may not enforce it); ``rsv`` is a mask of the
    first byte (0x40 = RSV1).
    """
    n = len(payload)
    if length_encoding is None:
        length_encoding = 7 if n < 126 else (16 if n < 65536 else 64)
    b0 = (0x80 if fin else 0) | (rsv & 0x70) | (opcode & 0x0F)
    m = 0x80 if masking_key is not None else 0
    if length_encoding == 7:
        head = bytes((b0, m | n))
    elif length_encoding == 16:
        head = bytes((b0, m | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((b0, m | 127)) + n.to_bytes(8, "big")
    if masking_key is None:
        return head + bytes(payload)
    return head + masking_key + mask(payload, masking_key)
