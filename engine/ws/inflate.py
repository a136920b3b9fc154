"""permessage-deflate in the tap (RFC 7692): the negotiated parameters, and inflating deferred.

The compressed payloads of a direction wait, as the bytes that crossed the wire, in that
direction's ``InflateQueue``, and are inflated strictly in wire order (context takeover makes
every message depend on the ones before, RFC 7692 §7.2.3) when an event that needs a result
is first read, or at once when more than ``INFLATE_BACKLOG`` compressed bytes wait, or when
more than ``ENDED_QUEUES`` ended connections keep frames waiting. Events name their queue by
number, in the module-level registry ``_queues``; a queue is let go once no frame will come
and none waits to be inflated.

What the queues hold is nothing the garbage collector keeps tracking (see the entries
below), so the raw values of the events that point into them add nothing tracked either.
"""

from __future__ import annotations

import codecs
import itertools
import marshal
import threading
import zlib
from collections import deque
from typing import Any

from .frames import unmask
from .tap_layout import PREVIEW_BYTES, WHOLE

__all__ = [
    "ENDED_QUEUES",
    "INFLATE_BACKLOG",
    "DeflateParams",
    "InflateQueue",
    "parse_deflate_params",
]

INFLATE_BACKLOG = 256 << 10
"""Compressed bytes a direction may hold uninflated; past it the tap inflates at once."""

_EMPTY_BLOCK = b"\x00\x00\xff\xff"  # RFC 7692 §7.2.2: removed by the sender, re-added here
_utf8_decoder = codecs.getincrementaldecoder("utf-8")


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


# -- deferred inflating ----------------------------------------------------------------------

# A queued frame ("entry") is a plain tuple of immutable wire values and its result slot:
#   (buf, start, header, first, fin, complete, slot, text)
# or, for a whole message in one frame no longer than its head, the "whole" raw values of its
# events (below), which hold the same.
# buf[start:] is the payload as on the wire (masked when masked); header is the frame's
# header, or None when it is buf[:start] (the chunk that held the frame, kept as it was read,
# so the hot path copies nothing); first: the frame begins its message; complete: False for
# a frame cut short, which is counted, not inflated; text: its message is text, whose UTF-8
# is checked (RFC 6455 §8.1). The slot is a bytearray the queue fills in, once, with the
# marshalled results (see ``_results``).
#
# Why a bytearray and a queue number instead of an object or a list: a capture keeps every
# event, and each container the garbage collector tracks among what it keeps is visited
# again at every collection of the old generation. A bytearray references nothing, so it is
# not tracked; a tuple holding only such values is untracked by the collector's first pass
# over it. The raw values of a ws_frame / ws_message event then add nothing tracked beyond
# the event itself. The events find their queue by number, in ``_queues``.
_LENGTH = 0  # of the message being inflated: its inflated bytes so far
_HEAD = 1  # first PREVIEW_BYTES of its inflated payload
_ERROR = 2  # first problem found
_DECODER = 3  # incremental UTF-8 decoder of a fragmented text message
_FRAMES = 4  # frames inflated so far
_TEXT = 5  # a text message: check its UTF-8

ENDED_QUEUES = 16
"""Queues of ended connections that may keep frames waiting for a reader; the oldest past
this many is inflated at once (its events then need it no more) and let go."""

_new_slot = bytearray().copy  # an empty bytearray, without bytearray()'s argument parsing
_queues: dict[int, InflateQueue] = {}  # every queue whose events may still need it
_queue_ids = itertools.count(1)
_ended: deque[InflateQueue] = deque()  # closed queues still holding frames, oldest first
_ended_lock = threading.Lock()


def _forget(queue: InflateQueue) -> None:
    """Drop a closed queue that holds no frames: every event it served has its results."""
    _queues.pop(queue.id, None)
    with _ended_lock:
        try:
            _ended.remove(queue)
        except ValueError:
            pass


def _results(slot: bytearray, qid: int) -> tuple[int | None, int, bytes, str | None]:
    """(inflated size of the frame or None when cut short, then its message's inflated
    length, head and error as of that frame) of a queued frame, inflating up to it first."""
    if not slot:
        queue = _queues.get(qid)
        if queue is not None:  # None: it was settled before it was let go
            queue.settle(slot)
    return marshal.loads(slot)  # type: ignore[no-any-return]


class InflateQueue:
    """The compressed frames of one direction, inflated in wire order when a result is read.

    The connection's thread appends (``add``); any thread may ask for a frame's result
    (``settle``), which inflates every frame queued before it first, under a lock: a
    deflate stream with context takeover can only be read in order (RFC 7692 §7.2.3).
    The queue holds only the immutable payload bytes that crossed the wire, so reading an
    event long after the connection moved on gives what inflating at once would have.
    ``close()`` says no frame will follow; a closed queue is let go once it holds no frames.
    """

    __slots__ = (
        "_inflater",
        "_lock",
        "_msg",
        "_pending",
        "added",
        "closed",
        "id",
        "inflated",
        "max_size",
        "reset_per_message",
    )

    def __init__(self, reset_per_message: bool, max_size: int | None) -> None:
        self.reset_per_message = reset_per_message  # the sender restarts its window per message
        self.max_size = max_size  # inflate no message past this (a zip bomb costs no memory)
        self._inflater: Any = None  # zlib decompressor, made on first use (most never need one)
        self._msg: list[Any] | None = None  # state of the message being inflated (_LENGTH...)
        self._pending: deque[tuple[Any, ...]] = deque()  # entries not inflated, in wire order
        self._lock = threading.Lock()  # one inflater, readers on any thread
        self.added = 0  # compressed bytes queued so far (connection thread only)
        self.inflated = 0  # compressed bytes inflated so far (under the lock)
        self.closed = False  # no frame will be added any more
        self.id = next(_queue_ids)  # how raw event values name it
        _queues[self.id] = self

    def add(self, entry: tuple[Any, ...]) -> bytearray:
        """Queue ``entry`` (a frame cut short included: it keeps the count right); its slot."""
        self._pending.append(entry)
        self.added += len(entry[0]) - entry[1]
        slot: bytearray = entry[6]
        if self.added - self.inflated > INFLATE_BACKLOG:
            self.settle(slot)  # nobody reads: keep memory bounded by inflating now
        return slot

    def settle(self, slot: bytearray) -> None:
        """Inflate every queued frame up to and including the one ``slot`` belongs to."""
        if slot:  # filled last, under the lock: the results are in place
            return
        with self._lock:
            pending = self._pending
            while not slot:
                self._step(pending.popleft())
            drained = self.closed and not pending
        if drained:
            _forget(self)

    def settle_all(self) -> None:
        """Inflate every queued frame."""
        with self._lock:
            pending = self._pending
            while pending:
                self._step(pending.popleft())
            drained = self.closed
        if drained:
            _forget(self)

    def close(self) -> None:
        """No frame will follow. Let go at once when nothing waits; otherwise kept (for the
        events still to be read) among at most ``ENDED_QUEUES`` others."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            drained = not self._pending
        if drained:
            _forget(self)
            return
        with _ended_lock:
            _ended.append(self)
            evicted = [_ended.popleft() for _ in range(len(_ended) - ENDED_QUEUES)]
        for queue in evicted:  # outside _ended_lock: settling takes the queue's lock
            queue.settle_all()

    def _step(self, entry: tuple[Any, ...]) -> None:
        if entry[0] is WHOLE:  # a whole message's raw values: its head is the whole frame
            buf, start, slot = entry[3], entry[4], entry[9]
            header, first, fin, complete, text = None, True, True, True, buf[0] & 0x0F == 0x1
        else:
            buf, start, header, first, fin, complete, slot, text = entry
        wire = buf[start:] if start else buf
        msg = self._msg
        if first or msg is None:
            msg = self._msg = [0, b"", None, None, 0, text]
            if self.reset_per_message or self._inflater is None:
                self._inflater = zlib.decompressobj(wbits=-15)  # raw deflate, RFC 7692 §7.2.2
        msg[_FRAMES] += 1
        size = None
        if complete:
            if header is None:
                header = buf[:start]
            payload = unmask(wire, header[-4:]) if header[1] & 0x80 else wire
            data = self._inflate(payload, fin, msg)
            size = len(data)
            msg[_LENGTH] += size
            missing = PREVIEW_BYTES - len(msg[_HEAD])
            if missing > 0:
                msg[_HEAD] += data[:missing]
            if msg[_TEXT] and msg[_ERROR] is None:
                try:
                    if msg[_DECODER] is None and fin and msg[_FRAMES] == 1:
                        str(data, "utf-8")  # a whole message in one frame: one C call
                    else:
                        if msg[_DECODER] is None:
                            msg[_DECODER] = _utf8_decoder()
                        msg[_DECODER].decode(data, fin)
                except UnicodeDecodeError as exc:
                    msg[_ERROR] = f"invalid UTF-8 in text message: {exc.reason}"
        else:
            # Cut short (stream end, or over the limit and skipped): nothing to inflate, and
            # the inflater is out of step from here on, which later frames will show.
            msg[_LENGTH] += len(wire)
        max_size = self.max_size
        if max_size is not None and msg[_LENGTH] > max_size and not msg[_ERROR]:
            msg[_ERROR] = f"message of {msg[_LENGTH]}+ bytes exceeds {max_size}"
        self.inflated += len(wire)
        # Last: a filled slot marks the entry done. One C call, so a reader on another
        # thread sees it empty or whole.
        slot += marshal.dumps((size, msg[_LENGTH], msg[_HEAD], msg[_ERROR]))

    def _inflate(self, data: bytes, fin: bool, msg: list[Any]) -> bytes:
        error = msg[_ERROR]
        if error is not None and error.startswith("inflat"):
            return b""
        if fin:
            data += _EMPTY_BLOCK
        limit = 0
        if self.max_size is not None:
            # Never inflate past the limit (a zip bomb would otherwise cost the tap memory).
            limit = max(self.max_size - msg[_LENGTH] + 1, 1)
        try:
            out: bytes = self._inflater.decompress(data, limit)
        except zlib.error as exc:
            msg[_ERROR] = f"inflating failed: {exc}"
            return b""
        if self._inflater.unconsumed_tail:
            msg[_ERROR] = f"inflates to more than {self.max_size} bytes"
            self._inflater = zlib.decompressobj(wbits=-15)
        return out
