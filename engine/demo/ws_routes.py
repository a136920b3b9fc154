"""The demo's WebSocket routes: echo, chat, a push ticker and a binary echo.

Each handler runs inside the request context of its handshake, so the login kept in
``session["user_info"]`` (see ``/login``) and ``g`` are there for the connection's life.

- ``/ws/echo``: every text or binary message is sent back unchanged; the first message of
  the connection is a greeting naming the logged-in user.
- ``/ws/chat``: every text message is broadcast, prefixed with the sender's user name, to
  every connection in the room (sent from the sender's thread: cross-thread sends are safe).
- ``/ws/ticker?ms=N``: a ``tick N`` message every N ms (default 500), pushed from the
  handler's loop between receive timeouts; the client may send ``stop`` to end it.
- ``/ws/binary``: binary echo; a text message is refused with close code 1003.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from engine import g, request, session

__all__ = ["ChatRoom", "register"]

MIN_TICK_MS = 10
MAX_TICK_MS = 60_000


class ChatRoom:
    """The connections of one chat room; broadcasting tolerates members that left."""

    def __init__(self) -> None:
        self._members: set[Any] = set()  # open connections in the room
        self._lock = threading.Lock()  # the set is changed from every member's thread

    def join(self, ws: Any) -> None:
        with self._lock:
            self._members.add(ws)

    def leave(self, ws: Any) -> None:
        with self._lock:
            self._members.discard(ws)

    def members(self) -> int:
        with self._lock:
            return len(self._members)

    def broadcast(self, message: str) -> int:
        """Send ``message`` to every member; returns how many got it."""
        with self._lock:
            members = list(self._members)
        sent = 0
        for member in members:
            try:
                member.send(message)
                sent += 1
            except Exception:  # that member is closing: its own handler removes it
                continue
        return sent


def _user() -> str:
    return session.get("user_info") or "anonymous"


def register(app: Any) -> None:
    """Add the WebSocket demo routes to ``app``."""
    room = ChatRoom()
    app.extensions["ws_chat_room"] = room

    @app.websocket("/ws/echo")
    def ws_echo(ws: Any) -> None:
        g.ws_user = _user()
        ws.send(f"hello {g.ws_user}")
        for message in ws:
            ws.send(message)

    @app.websocket("/ws/chat")
    def ws_chat(ws: Any) -> None:
        user = _user()
        room.join(ws)
        g.chat_user = user
        try:
            room.broadcast(f"* {user} joined")
            for message in ws:
                if isinstance(message, bytes):
                    message = message.decode("utf-8", "replace")
                room.broadcast(f"{user}: {message}")
        finally:
            room.leave(ws)
            room.broadcast(f"* {user} left")

    @app.websocket("/ws/ticker")
    def ws_ticker(ws: Any) -> None:
        try:
            ms = int(request.args.get("ms", "500"))
        except ValueError:
            ms = 500
        interval = min(max(ms, MIN_TICK_MS), MAX_TICK_MS) / 1000
        count = 0
        next_tick = time.monotonic() + interval
        while True:
            try:
                message = ws.receive(timeout=max(next_tick - time.monotonic(), 0))
            except TimeoutError:
                count += 1
                ws.send(f"tick {count}")
                next_tick += interval
                continue
            if message == "stop":
                ws.close(1000, f"stopped after {count} ticks")
                return

    @app.websocket("/ws/binary")
    def ws_binary(ws: Any) -> None:
        for message in ws:
            if isinstance(message, str):
                ws.close(1003, "binary messages only")
                return
            ws.send(message)
