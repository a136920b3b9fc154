"""A raw WebSocket client for tests (handcrafted frames over a real socket) and event helpers."""

from __future__ import annotations

import base64
import os
import socket
import struct
import threading
import time
from typing import Any

from engine.events import Event
from engine.ws.frames import FrameReader, WireFrame


class EventLog:
    """Collects an app's events (subscribed callback runs on the server threads)."""

    def __init__(self, app: Any) -> None:
        self.events: list[Event] = []  # in delivery order
        self._cond = threading.Condition()  # wakes waiters on each event
        self.subscription = app.subscribe(self._on_event)  # our hook into the bus

    def _on_event(self, event: Event) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def of(self, kind: str, **match: Any) -> list[Event]:
        with self._cond:
            events = list(self.events)
        return [
            e
            for e in events
            if e.kind == kind and all(getattr(e, k) == v for k, v in match.items())
        ]

    def wait_for(self, kind: str, timeout: float = 5.0, **match: Any) -> Event:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for e in self.events:
                    if e.kind == kind and all(getattr(e, k) == v for k, v in match.items()):
                        return e
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {kind} event matching {match}")
                self._cond.wait(remaining)

    def for_request(self, request_id: int) -> list[Event]:
        with self._cond:
            return [e for e in self.events if e.request_id == request_id]


def frame_bytes(
    opcode: int,
    payload: bytes,
    *,
    fin: bool = True,
    key: bytes | None = b"\x37\xfa\x21\x3d",
    rsv: int = 0,
) -> bytes:
    """A frame built by hand (struct, not the code under test), masked with ``key``."""
    n = len(payload)
    b0 = (0x80 if fin else 0) | rsv | opcode
    m = 0x80 if key is not None else 0
    if n < 126:
        head = struct.pack("!BB", b0, m | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, m | 126, n)
    else:
        head = struct.pack("!BBQ", b0, m | 127, n)
    if key is None:
        return head + payload
    masked = (
        bytes(b ^ key[i % 4] for i, b in enumerate(payload)) if n < 4096 else _mask(payload, key)
    )
    return head + key + masked


def _mask(payload: bytes, key: bytes) -> bytes:
    # Independent of engine.ws.frames.unmask: a bytes.translate-free zip over a repeated key.
    reps = (key * (len(payload) // 4 + 1))[: len(payload)]
    return bytes(a ^ b for a, b in zip(payload, reps, strict=True))


class RawClient:
    """A WebSocket client that sends exactly the bytes a test asks for."""

    def __init__(self, url: str, path: str, headers: dict[str, str] | None = None) -> None:
        host, port = url.split("//", 1)[1].split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        self.key = base64.b64encode(os.urandom(16)).decode()  # Sec-WebSocket-Key
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {self.key}",
            "Sec-WebSocket-Version: 13",
        ]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.reader = FrameReader(False)  # server frames must be unmasked
        self.frames: list[WireFrame] = []  # server frames received so far
        self.eof = False  # the server ended its byte stream
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        self.response_head = head.decode("latin-1")  # status line and headers
        self.status = int(self.response_head.split(" ", 2)[1])  # e.g. 101
        self.rest = rest  # bytes after the response head (body of a refusal, or frames)
        if self.status == 101 and rest:
            self.frames += self.reader.feed(rest)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def next_frame(self, timeout: float = 5.0) -> WireFrame:
        deadline = time.monotonic() + timeout
        while not self.frames:
            if self.eof:
                raise EOFError("server closed the connection")
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                raise AssertionError("no frame from the server in time") from None
            if not data:
                self.eof = True
                continue
            self.frames += self.reader.feed(data)
        return self.frames.pop(0)

    def read_until_eof(self, timeout: float = 5.0) -> list[WireFrame]:
        """Every frame until the server ends the stream."""
        out: list[WireFrame] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                out.append(self.next_frame(max(deadline - time.monotonic(), 0.01)))
            except EOFError:
                return out

    def close_handshake(self, payload: bytes, key: bytes = b"\x37\xfa\x21\x3d") -> list[WireFrame]:
        """Send a close frame, read until the server ends the stream, close the socket."""
        self.send(frame_bytes(0x8, payload, key=key))
        frames = self.read_until_eof()
        self.close()
        return frames

    def close(self) -> None:
        self.sock.close()
