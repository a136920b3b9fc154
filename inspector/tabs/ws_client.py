"""A WebSocket client for the window, off the GUI thread.

Built on ``websockets.sync.client`` (QtWebSockets is not part of PySide6-Essentials). One reader
thread connects and receives; commands (send, ping, close) run one at a time on a second thread
so that a slow peer never blocks the GUI. Everything the client learns reaches the GUI as Qt
signals; the receiver lives on the GUI thread, so Qt queues them across threads.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

__all__ = ["WsClient"]

_STOP = object()  # sentinel that ends the command thread


class _ConnHolder:
    """The client connection, in a plain object that Qt's deletion of WsClient leaves alone."""

    def __init__(self) -> None:
        self.conn: Any = None  # websockets.sync.client.ClientConnection while open

    def close(self, *_: Any) -> None:
        conn = self.conn
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already closing or broken: the reader thread ends either way
                pass


class WsClient(QObject):
    """One client connection at a time; ``connect_to`` while connected is refused."""

    opened = Signal(str)  # a one-line description of the handshake answer
    received = Signal(object)  # str (text message) or bytes (binary message)
    sent = Signal(str)  # a description of what was sent
    pong = Signal(float)  # round-trip time of a ping, in milliseconds
    failed = Signal(str)  # one-line error
    closed = Signal(int, str)  # close code and reason (1006 when no close frame came)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._holder = _ConnHolder()  # the open connection; outlives this QObject if need be
        self._reader: threading.Thread | None = None  # connects, then receives until closed
        self._commands: queue.Queue[Any] = queue.Queue()  # work for the command thread
        self._worker: threading.Thread | None = None  # runs commands one at a time
        self._lock = threading.Lock()  # guards _conn and the threads against two connects
        app = QCoreApplication.instance()
        if app is not None:  # a window closing does not close its child widgets: quit does
            app.aboutToQuit.connect(self.shutdown)
        # deleted with its tab (no shutdown call): close the connection so the threads end
        self.destroyed.connect(self._holder.close)

    def is_active(self) -> bool:
        with self._lock:
            return self._reader is not None and self._reader.is_alive()

    def connect_to(
        self,
        url: str,
        *,
        compression: bool = False,
        subprotocols: list[str] | None = None,
        cookie: str | None = None,
    ) -> bool:
        """Start connecting; False (and ``failed``) when a connection is already running."""
        with self._lock:
            if self._reader is not None and self._reader.is_alive():
                self._emit("failed", "already connected; close the connection first")
                return False
            self._commands = queue.Queue()
            self._reader = threading.Thread(
                target=self._run,
                args=(url, compression, subprotocols, cookie, self._commands),
                name="ctxscope-ws-client",
                daemon=True,
            )
            self._reader.start()
            return True

    def send_text(self, text: str) -> None:
        self._submit(("text", text))

    def send_binary(self, data: bytes) -> None:
        self._submit(("binary", bytes(data)))

    def ping(self, data: bytes = b"") -> None:
        self._submit(("ping", bytes(data)))

    def close(self, code: int = 1000, reason: str = "") -> None:
        self._submit(("close", (code, reason)))

    def shutdown(self, timeout: float = 3.0) -> None:
        """Close the connection (if any) and wait for the threads; used when the tab goes away."""
        self._holder.close()
        reader, worker = self._reader, self._worker
        for t in (reader, worker):
            if t is not None and t is not threading.current_thread():
                t.join(timeout)

    # --- threads ------------------------------------------------------------------------------

    def _emit(self, name: str, *args: Any) -> None:
        # The tab (and this QObject) may be deleted while a thread still reports: drop it then.
        try:
            getattr(self, name).emit(*args)
        except RuntimeError:
            pass

    def _submit(self, command: tuple[str, Any]) -> None:
        if self._holder.conn is None:
            self._emit("failed", "not connected")
            return
        self._commands.put(command)

    def _run(
        self,
        url: str,
        compression: bool,
        subprotocols: list[str] | None,
        cookie: str | None,
        commands: queue.Queue,
    ) -> None:
        from websockets.exceptions import InvalidHandshake, InvalidURI
        from websockets.sync.client import connect

        try:
            conn = connect(
                url,
                compression="deflate" if compression else None,
                subprotocols=subprotocols or None,  # type: ignore[arg-type]
                # The handshake is an HTTP request: it carries the session like any other.
                additional_headers={"Cookie": cookie} if cookie else None,
                proxy=None,  # a system proxy must not take 127.0.0.1 traffic
                open_timeout=5,
                ping_interval=None,  # pings only when asked, so every frame is the user's
                close_timeout=3,
            )
        except InvalidURI as exc:
            self._emit("failed", f"invalid WebSocket URL: {exc}")
            self._emit("closed", 1006, "not connected")
            return
        except InvalidHandshake as exc:
            self._emit("failed", f"handshake refused: {exc}")
            self._emit("closed", 1006, "handshake refused")
            return
        except (OSError, TimeoutError) as exc:
            self._emit("failed", f"cannot connect to {url}: {exc}")
            self._emit("closed", 1006, "not connected")
            return
        except Exception as exc:  # any other library error still ends as one line
            self._emit("failed", f"cannot connect to {url}: {type(exc).__name__}: {exc}")
            self._emit("closed", 1006, "not connected")
            return
        with conn:  # websockets 17 wants the context manager; it closes on the way out
            self._serve(conn, commands)

    def _serve(self, conn: Any, commands: queue.Queue) -> None:
        from websockets.exceptions import ConnectionClosed

        self._holder.conn = conn
        worker = threading.Thread(
            target=self._work, args=(conn, commands), name="ctxscope-ws-send", daemon=True
        )
        self._worker = worker
        worker.start()
        resp = conn.response
        extra = []
        if conn.subprotocol:
            extra.append(f"subprotocol {conn.subprotocol}")
        ext = resp.headers.get("Sec-WebSocket-Extensions") if resp is not None else None
        if ext:
            extra.append(f"extensions {ext}")
        status = f"{resp.status_code} {resp.reason_phrase}" if resp is not None else "open"
        self._emit("opened", f"{status}" + (f" ({', '.join(extra)})" if extra else ""))
        try:
            while True:
                message = conn.recv()
                self._emit("received", message)
        except ConnectionClosed:
            pass
        except Exception as exc:
            self._emit("failed", f"receive failed: {type(exc).__name__}: {exc}")
        finally:
            commands.put(_STOP)
            self._holder.conn = None
            rcvd = conn.protocol.close_rcvd
            sent = conn.protocol.close_sent
            if rcvd is not None:
                self._emit("closed", int(rcvd.code), rcvd.reason)
            elif sent is not None:
                self._emit("closed", int(sent.code), sent.reason)
            else:
                self._emit("closed", 1006, "connection lost")  # §7.1.5: no close frame at all

    def _work(self, conn: Any, commands: queue.Queue) -> None:
        from websockets.exceptions import ConnectionClosed

        while True:
            item = commands.get()
            if item is _STOP:
                return
            what, arg = item
            try:
                if what == "text":
                    conn.send(arg, text=True)
                    self._emit("sent", f"text, {len(arg.encode('utf-8'))} bytes")
                elif what == "binary":
                    conn.send(arg, text=False)
                    self._emit("sent", f"binary, {len(arg)} bytes")
                elif what == "ping":
                    start = time.perf_counter()
                    acked = conn.ping(arg)
                    self._emit("sent", f"ping, {len(arg)} bytes")
                    if acked.wait(5):
                        self._emit("pong", (time.perf_counter() - start) * 1000)
                    else:
                        self._emit("failed", "no pong within 5 s")
                elif what == "close":
                    code, reason = arg
                    self._emit("sent", f"close {code} {reason!r}")
                    conn.close(code, reason)
            except ConnectionClosed:
                self._emit("failed", f"cannot send {what}: the connection is closed")
            except (ValueError, TypeError) as exc:  # e.g. close code the library refuses
                self._emit("failed", f"cannot send {what}: {exc}")
            except Exception as exc:
                self._emit("failed", f"cannot send {what}: {type(exc).__name__}: {exc}")
