"""The connection object a WebSocket route handler receives.

Threading model: the handler's own thread (the server thread that accepted the connection)
is the only reader of the socket; ``receive()`` reads, feeds the tap and the protocol, and
answers pings on the way. Any thread may ``send``, ``ping`` or ``close``: every use of the
sans-I/O protocol and every socket write happens under one lock, so frames from a chat
broadcast and from the handler never interleave, and the tap sees outgoing bytes in exactly
the order they are written.

The protocol logic (what to answer, which close code a violation earns) is the ``websockets``
library's ``ServerProtocol``; this module only moves bytes and turns its frames into messages.
"""

from __future__ import annotations

import collections
import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from websockets.frames import Frame, Opcode
from websockets.protocol import CLOSED, CLOSING, OPEN
from websockets.server import ServerProtocol

from .tap import WsTap

__all__ = ["ConnectionClosed", "WebSocket"]

_RECV_SIZE = 65536
_OK_CODES = frozenset((1000, 1001, 1005))  # closes that are not errors (RFC 6455 §7.4.1)


class ConnectionClosed(Exception):
    """The WebSocket connection is closed; ``code`` and ``reason`` say how (RFC 6455 §7.1.5)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"WebSocket connection closed: {code} {reason}".rstrip())
        self.code = code  # the connection close code (1006 when no close frame arrived)
        self.reason = reason  # the close reason, "" when none

    @property
    def ok(self) -> bool:
        """A normal closure (1000, 1001 or no status), not an error."""
        return self.code in _OK_CODES


class WebSocket:
    """An open WebSocket connection, as seen by its route handler.

    ``receive(timeout=None)`` returns the next message (``str`` for text, ``bytes`` for
    binary), ``send(data)`` sends one, iteration yields messages until the connection closes.
    """

    def __init__(
        self,
        sock: socket.socket,
        protocol: ServerProtocol,
        tap: WsTap | None,
        *,
        pending: bytes = b"",
        ping_interval: float | None = None,
        ping_timeout: float | None = None,
        close_timeout: float = 10.0,
    ) -> None:
        self.sock = sock  # the TCP connection
        self.protocol = protocol  # websockets' sans-I/O state machine, in the OPEN state
        self.tap = tap  # wire tap, None when disabled
        self.ping_interval = ping_interval  # seconds of silence before a keepalive ping
        self.ping_timeout = ping_timeout  # seconds a keepalive ping waits for its pong
        self.close_timeout = close_timeout  # seconds to wait for the peer during closing
        self.owner = threading.get_ident()  # the handler's thread: the only reader
        self._lock = threading.Lock()  # serializes protocol use and socket writes
        self._messages: collections.deque[str | bytes] = collections.deque()  # received
        self._parts: list[bytes] = []  # frames of the data message being assembled
        self._part_opcode: Opcode | None = None  # TEXT or BINARY while assembling
        self._pending = pending  # bytes read past the handshake before we owned the socket
        self._eof = False  # the peer's byte stream ended (or the socket failed)
        self._write_failed = False  # a write failed: the peer is gone
        self._last_recv = time.monotonic()  # for the keepalive
        self._ping_sent: tuple[bytes, float] | None = None  # keepalive payload and its time
        self.handler_error: BaseException | None = None  # set when the handler raised

    # -- state ---------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once the closing handshake started or the connection is gone."""
        return self.protocol.state is not OPEN or self._eof or self._write_failed

    @property
    def close_code(self) -> int | None:
        """The connection close code (RFC 6455 §7.1.5), None while open.

        The code of the close frame received; 1006 when the connection ended without one;
        while our own close frame still waits for its answer, the code we sent.
        """
        if not self.closed:
            return None
        rcvd = self.protocol.close_rcvd
        if rcvd is not None:
            return int(rcvd.code)
        sent = self.protocol.close_sent
        if sent is not None and self.protocol.state is not CLOSED and not self._eof:
            return int(sent.code)
        return 1006  # ended without a close frame from the peer (RFC 6455 §7.1.5)

    @property
    def close_reason(self) -> str | None:
        """The close reason that goes with ``close_code``, None while open."""
        code = self.close_code
        if code is None:
            return None
        rcvd = self.protocol.close_rcvd
        if rcvd is not None:
            return rcvd.reason
        sent = self.protocol.close_sent
        return sent.reason if sent is not None and code == sent.code and code != 1006 else ""

    def _closed_error(self) -> ConnectionClosed:
        return ConnectionClosed(self.close_code or 1006, self.close_reason or "")

    # -- receiving -----------------------------------------------------------------------

    def receive(self, timeout: float | None = None) -> str | bytes:
        """The next message: ``str`` for text, ``bytes`` for binary.

        Raises ``TimeoutError`` after ``timeout`` seconds without a message, and
        ``ConnectionClosed`` once the connection is closed and every message was read.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._messages:
            if self.closed:
                raise self._closed_error()
            if threading.get_ident() != self.owner:
                raise RuntimeError("receive() must be called from the handler's thread")
            if not self._read_once(deadline):
                raise TimeoutError(f"no WebSocket message within {timeout} s")
        return self._messages.popleft()

    def __iter__(self) -> Iterator[str | bytes]:
        """Messages until the connection closes (then the iteration simply ends)."""
        while True:
            try:
                yield self.receive()
            except ConnectionClosed:
                return

    def _read_once(self, deadline: float | None) -> bool:
        """Read and process one chunk; False when ``deadline`` passed first."""
        if self._pending:
            data, self._pending = self._pending, b""
            self._process(data)
            return True
        while True:
            now = time.monotonic()
            wait = None if deadline is None else max(deadline - now, 0.0)
            keepalive = self._keepalive_wait(now)
            if keepalive is not None and (wait is None or keepalive < wait):
                wait = keepalive
            try:
                ready, _, _ = select.select([self.sock], [], [], wait)
            except (OSError, ValueError):  # socket closed under us
                self._process(b"")
                return True
            if ready:
                break
            if self._keepalive_due():
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
        try:
            data = self.sock.recv(_RECV_SIZE)
        except OSError:
            data = b""  # reset by the peer: the same as the stream ending
        self._last_recv = time.monotonic()
        self._process(data)
        return True

    def _process(self, data: bytes) -> None:
        """Feed bytes (b"" = end of stream) to the tap and the protocol, act on the events."""
        # Only this thread reads, so the inbound tap needs no lock; keeping it outside the
        # lock keeps subscribers of ws_frame events from delaying senders on other threads.
        tap = self.tap
        if tap is not None:
            if data:
                tap.feed_in(data)
            else:
                tap.eof_in()
        with self._lock:
            protocol = self.protocol
            if data:
                protocol.receive_data(data)
            else:
                self._eof = True
                protocol.receive_eof()
            events = protocol.events_received()
            self._flush()
            for event in events:
                if isinstance(event, Frame):
                    self._on_frame(event)

    def _on_frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            self._part_opcode = opcode
            self._parts = [bytes(frame.data)]
        elif opcode is Opcode.CONT:
            self._parts.append(bytes(frame.data))
        elif opcode is Opcode.PONG:
            if self._ping_sent is not None and frame.data == self._ping_sent[0]:
                self._ping_sent = None
            return
        else:
            return  # ping (the protocol already queued the pong) and close
        if not frame.fin:
            return
        data = b"".join(self._parts)
        self._parts = []
        if self._part_opcode is Opcode.TEXT:
            try:
                self._messages.append(data.decode("utf-8"))
            except UnicodeDecodeError as exc:
                # RFC 6455 §8.1: invalid UTF-8 in a text message fails the connection, 1007
                # (the words are websockets' own, as its connections send them).
                self.protocol.fail(1007, f"{exc.reason} at position {exc.start}")
                self._flush()
        else:
            self._messages.append(data)

    # -- keepalive (RFC 6455 §5.5.2) -----------------------------------------------------

    def _keepalive_wait(self, now: float) -> float | None:
        if self.ping_interval is None or self.protocol.state is not OPEN:
            return None
        if self._ping_sent is not None:
            if self.ping_timeout is None:
                return None
            return max(self._ping_sent[1] + self.ping_timeout - now, 0.0)
        return max(self._last_recv + self.ping_interval - now, 0.0)

    def _keepalive_due(self) -> bool:
        """Send a keepalive ping or give up on a silent peer; True when something was done."""
        if self.ping_interval is None or self.protocol.state is not OPEN:
            return False
        now = time.monotonic()
        with self._lock:
            if self._ping_sent is not None:
                if self.ping_timeout is not None and now >= self._ping_sent[1] + self.ping_timeout:
                    self.protocol.fail(1011, "keepalive ping timeout")
                    self._flush()
                    return True
                return False
            if now >= self._last_recv + self.ping_interval:
                payload = os.urandom(4)
                self._ping_sent = (payload, now)
                self.protocol.send_ping(payload)
                self._flush()
                return True
        return False

    # -- sending -------------------------------------------------------------------------

    def send(self, data: str | bytes | bytearray | memoryview) -> None:
        """Send one message: text for ``str``, binary for bytes-like. Safe from any thread."""
        with self._lock:
            if self.protocol.state is not OPEN or self._write_failed:
                raise self._closed_error()
            if isinstance(data, str):
                self.protocol.send_text(data.encode("utf-8"))
            elif isinstance(data, bytes | bytearray | memoryview):
                self.protocol.send_binary(bytes(data))
            else:
                raise TypeError(f"a WebSocket message is str or bytes, not {type(data).__name__}")
            self._flush()
            if self._write_failed:
                raise self._closed_error()

    def ping(self, data: bytes | str = b"") -> None:
        """Send a ping frame (the peer answers with a pong carrying ``data``, §5.5.2)."""
        payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        with self._lock:
            if self.protocol.state is not OPEN or self._write_failed:
                raise self._closed_error()
            self.protocol.send_ping(payload)
            self._flush()

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake (RFC 6455 §7.1.2).

        From the handler's thread this waits (``close_timeout`` at most) for the client's
        close frame and the end of the TCP stream; from another thread it only sends the
        close frame and the handler's next ``receive()`` sees the end.
        """
        with self._lock:
            if self.protocol.state is OPEN and not self._write_failed:
                self.protocol.send_close(code, reason)
                self._flush()
        if threading.get_ident() == self.owner:
            self._drain()

    def fail(self, code: int, reason: str = "") -> None:
        """Fail the connection (RFC 6455 §7.1.7): close frame, then end the TCP stream."""
        with self._lock:
            if self.protocol.state is OPEN and not self._write_failed:
                self.protocol.fail(code, reason)
                self._flush()

    def _drain(self) -> None:
        """Read until the protocol is CLOSED (peer's close frame and EOF) or time runs out."""
        deadline = time.monotonic() + self.close_timeout
        while self.protocol.state is not CLOSED and not self._eof:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if self._pending:
                data, self._pending = self._pending, b""
                self._process(data)
                continue
            try:
                ready, _, _ = select.select([self.sock], [], [], remaining)
            except (OSError, ValueError):
                break
            if not ready:
                break
            try:
                data = self.sock.recv(_RECV_SIZE)
            except OSError:
                data = b""
            self._process(data)

    def _flush(self) -> None:
        """Write what the protocol queued; the tap sees each write once it went out."""
        for data in self.protocol.data_to_send():
            if self._write_failed:
                continue
            if data:
                try:
                    self.sock.sendall(data)
                except OSError:
                    self._write_failed = True
                    continue
                if self.tap is not None:
                    self.tap.feed_out(data)
            else:
                # SEND_EOF: half-close, the server's side of ending the TCP connection (§7.1.1).
                try:
                    self.sock.shutdown(socket.SHUT_WR)
                except OSError:
                    self._write_failed = True
                if self.tap is not None:
                    self.tap.eof_out()

    # -- end -----------------------------------------------------------------------------

    def finish(self, error: BaseException | None) -> None:
        """End the connection after the handler returned (1000) or raised (1011)."""
        if self.protocol.state is OPEN and not self._eof:
            if error is None:
                self.close(1000)
            else:
                self.fail(1011)
        if self.protocol.state is CLOSING or not self._eof:
            self._drain()
        if self.protocol.state is not CLOSED:
            with self._lock:
                self.protocol.receive_eof()  # nobody answered: stop waiting (§7.1.1)
                self._flush()
        try:
            self.sock.close()
        except OSError:
            pass

    def __repr__(self) -> str:
        state = self.protocol.state.name.lower()
        return f"<WebSocket {state} {self.protocol.id}>"

    def __ctxscope_summary__(self) -> dict[str, Any]:
        return {"type": "WebSocket", "state": self.protocol.state.name, "code": self.close_code}
