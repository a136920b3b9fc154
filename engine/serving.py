"""Serving an app over real HTTP on Werkzeug's server, startable and stoppable from any thread.

Threaded by default (a thread per connection, so the per-thread storage view shows requests
side by side); ``threaded=False`` serves one request at a time and the rest queue, which is how
the classic design was first explained. Loopback only unless the caller names another host.
WebSocket upgrades are handed to ``engine.ws`` on the same host and port.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

__all__ = ["RequestHandler", "Server", "ServerError"]

log = logging.getLogger("ctxscope.server")


class ServerError(Exception):
    """The server could not start (port in use, bad host...); the message is one line."""


class RequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, quiet, with WebSocket upgrades routed to ``engine.ws``."""

    def run_wsgi(self) -> None:
        if self.headers.get("Upgrade", "").lower() == "websocket":
            from .ws.serve import handle_upgrade

            if handle_upgrade(self.server.app, self):  # type: ignore[attr-defined]
                return
        super().run_wsgi()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Every request is already an event; an access log on stderr would only be noise.
        pass

    def log(self, type: str, message: str, *args: Any) -> None:
        log.log(logging.ERROR if type == "error" else logging.INFO, message, *args)


def _bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise ServerError(f"cannot resolve host {host!r}: {e.strerror}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise ServerError(f"port {port} on {host} is already in use") from None
        if e.errno == errno.EACCES:
            raise ServerError(f"not allowed to listen on {host}:{port}") from None
        raise ServerError(f"cannot listen on {host}:{port}: {e.strerror}") from None
    return sock


class Server:
    """One app served on ``host:port`` (port 0 picks a free one)."""

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        threaded: bool = True,
    ) -> None:
        self.app = app  # the WSGI app (engine App or an attached Flask app)
        self.threaded = threaded  # False: one request at a time, the others queue
        self._socket = _bind(host, port)  # bound here so a busy port fails with one line
        self._server: BaseWSGIServer = make_server(
            host,
            self._socket.getsockname()[1],
            app,
            threaded=threaded,
            request_handler=RequestHandler,
            fd=self._socket.fileno(),
        )
        self._thread: threading.Thread | None = None  # serve_forever when started in background
        self.host, self.port = self._server.server_address[:2]  # where it really listens

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> Server:
        """Serve in a background thread; returns at once."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"ctxscope-server:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on the calling thread until ``stop()`` is called from another one."""
        self._server.serve_forever()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, wait for the serving loop to end, and close the socket."""
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout)
        self._server.server_close()
        self._socket.close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
