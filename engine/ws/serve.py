"""Serving WebSocket routes inside the engine's HTTP server.

``handle_upgrade(app, handler)`` is called by the server's request handler for requests that
carry ``Upgrade: websocket``. For a WebSocket route it runs the whole connection on the
handler's thread and returns True; otherwise it returns False and the request is served as
plain HTTP (where Werkzeug answers a route mismatch with 400).

Lifecycle of one connection, on one thread (so the per-thread storage view stays truthful):

1. A request context is built from the handshake request and pushed: ``request``,
   ``session`` and ``g`` work in the handler and stay bound for the connection's life.
2. ``request_started`` is sent, then the URL value preprocessors and ``before_request``
   functions run *before* the handshake is answered. One that returns a response refuses
   the handshake with that response (a 403 from an auth check, say); being an ordinary HTTP
   response, it is finalized like one (``after_request``, session save). An exception there
   goes through the error handlers, as in Flask.
3. The handshake is decided by websockets' sans-I/O ``ServerProtocol`` (RFC 6455 §4.2):
   version, key, origin, permessage-deflate and subprotocol negotiation. A bad handshake gets
   the library's 4xx answer.
4. After ``101 Switching Protocols`` the handler is called with the connection (and the
   rule's view arguments as keywords). ``after_request`` does not apply: no HTTP response
   follows a 101, so the session cannot be saved either.
5. When the handler returns, the connection is closed with 1000; when it raises, with 1011
   (and the error is logged and reported); when the client vanished, it is already gone.
   ``ws_closed`` is reported and the request context is popped, so teardown functions run
   with the handler's error (None for a normal end, including the client leaving).

Configuration (``app.config``):

``WEBSOCKET_MAX_SIZE`` (1 MiB)
    Largest incoming message in bytes (after inflating); bigger fails the connection with
    1009. None disables the limit.
``WEBSOCKET_COMPRESSION`` (True)
    Offer permessage-deflate (RFC 7692) with websockets' default server parameters.
``WEBSOCKET_PING_INTERVAL`` (20.0) / ``WEBSOCKET_PING_TIMEOUT`` (20.0)
    Seconds of silence before a keepalive ping, and before a missing pong fails the
    connection with 1011. Pings go out while the handler waits in ``receive()``. None
    disables them.
``WEBSOCKET_CLOSE_TIMEOUT`` (10.0)
    Seconds to wait for the client's part of the closing handshake.
``WEBSOCKET_ORIGINS`` (None)
    Accepted ``Origin`` values (None: any); others get 403.
``WEBSOCKET_SUBPROTOCOLS`` (None)
    Supported subprotocols, in order of preference.
``WEBSOCKET_TAP`` (True)
    Run the wire tap that reports ``ws_frame`` and ``ws_message``; False removes it.
"""

from __future__ import annotations

import itertools
import logging
import sys
from typing import TYPE_CHECKING, Any

from websockets.datastructures import Headers
from websockets.extensions.permessage_deflate import enable_server_permessage_deflate
from websockets.http11 import Request as WsRequest
from websockets.server import ServerProtocol
from werkzeug.exceptions import HTTPException

from ..config import WEBSOCKET_DEFAULTS
from ..events import RequestStarted, View, WsClosed, WsHandshake
from ..signals import got_request_exception, request_started
from ..summary import describe_error, qualname, summarize
from .connection import ConnectionClosed, WebSocket
from .handshake import accept_steps, key_problem
from .tap import WsTap

if TYPE_CHECKING:
    import socket

    from ..app import App

__all__ = ["DEFAULTS", "handle_upgrade"]

log = logging.getLogger("ctxscope.ws")

DEFAULTS = WEBSOCKET_DEFAULTS
"""Every WebSocket setting and its default (read with ``app.config.get``)."""

_connection_ids = itertools.count(1)
_RECV_SIZE = 65536


def _setting(app: App, key: str) -> Any:
    return app.config.get(key, DEFAULTS[key])


def _websocket_route(app: App, environ: dict[str, Any]) -> bool:
    """Whether the request matches a rule registered with ``websocket=True``."""
    try:
        adapter = app.create_url_adapter(app.request_class(environ))
        if adapter is None:
            return False
        rule, _ = adapter.match(return_rule=True, websocket=True)
    except HTTPException:
        return False  # no route, wrong method, or an HTTP route: served as plain HTTP
    except Exception:  # a broken Host header and such: let the HTTP path answer it
        return False
    return bool(getattr(rule, "websocket", False))


def handle_upgrade(app: App, handler: Any) -> bool:
    """Serve a WebSocket handshake request; False if its URL is not a WebSocket route."""
    environ = handler.make_environ()
    if not _websocket_route(app, environ):
        return False
    handler.close_connection = True
    _Session(app, handler, environ).run()
    return True


class _Session:
    """One WebSocket connection from handshake to teardown."""

    def __init__(self, app: App, handler: Any, environ: dict[str, Any]) -> None:
        self.app = app  # the application serving the route
        self.handler = handler  # Werkzeug's request handler: socket, rfile, raw headers
        self.environ = environ  # WSGI environ of the handshake request
        self.sock: socket.socket = handler.connection  # the TCP connection
        self.connection_id = next(_connection_ids)  # ties the connection's events together
        self.ctx: Any = None  # the request context of the handshake request
        self.view: Any = None  # the route's handler function
        self.error: BaseException | None = None  # passed to teardown
        self._who: tuple[int, str | None, str | None] | None = None  # request_id, name, bp

    # -- events ----------------------------------------------------------------------------

    def _origin(self) -> tuple[int | None, str | None, str | None]:
        """(request_id, name, blueprint) of every event of the connection."""
        if self._who is None:
            # Fixed for the connection's life; looked up once.
            self._who = (
                self.ctx.request_id,
                qualname(self.view) if self.view is not None else None,
                self.ctx.request.blueprint,
            )
        return self._who

    def emit(self, cls: type, fields: dict[str, Any]) -> None:
        bus = self.app.events
        if bus.active:
            request_id, name, blueprint = self._origin()
            bus.emit(cls, request_id, name, blueprint, fields)

    # -- the lifecycle -----------------------------------------------------------------------

    def run(self) -> None:
        app = self.app
        self.ctx = app.request_context(self.environ)
        try:
            self.ctx.push()
            request = self.ctx.request
            if request.url_rule is not None:
                self.view = app.view_functions.get(request.url_rule.endpoint)
            refusal = self._before_handshake()
            if refusal is not None:
                self._refuse(refusal)
                return
            conn = self._handshake()
            if conn is not None:
                self._serve(conn)
        finally:
            self.ctx.pop(self.error)

    def _before_handshake(self) -> Any:
        """request_started, URL value preprocessors, before_request: a response refuses."""
        app = self.app
        try:
            try:
                request_started.send(app, _async_wrapper=app.ensure_sync)
                if app.events.active:
                    app.events.emit(RequestStarted, self.ctx.request_id, None, None, {})
                if self.ctx.request.routing_exception is not None:
                    app.raise_routing_exception(self.ctx.request)
                rv = app.preprocess_request()
            except Exception as e:
                rv = app.handle_user_exception(e)
            if rv is None:
                return None
            return app.finalize_request(rv)
        except Exception as e:
            self.error = e
            try:
                return app.handle_exception(e)
            except Exception:
                # PROPAGATE_EXCEPTIONS would re-raise into the server; answer 500 instead.
                app.logger.error("WebSocket handshake failed", exc_info=sys.exc_info())
                return app.response_class("Internal Server Error", 500)

    def _refuse(self, response: Any) -> None:
        """Answer the handshake with the app's HTTP response instead of 101."""
        body = b"".join(response.iter_encoded()) if response.status_code not in (204, 304) else b""
        headers = Headers(list(response.headers.items()))
        if "Content-Length" not in headers and response.status_code not in (204, 304):
            headers["Content-Length"] = str(len(body))
        headers["Connection"] = "close"
        reason = response.status.split(" ", 1)[1] if " " in response.status else ""
        head = f"HTTP/1.1 {response.status_code} {reason}\r\n".encode("latin-1")
        self._write(head + headers.serialize() + body)
        if hasattr(response, "close"):
            response.close()
        self._log(response.status_code)
        self._emit_handshake(
            None,
            response.status_code,
            list(headers.raw_items()),
            f"refused before the handshake: {response.status}",
        )

    def _write(self, data: bytes) -> bool:
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def _log(self, status: int) -> None:
        log_request = getattr(self.handler, "log_request", None)
        if log_request is not None:
            try:
                log_request(status)
            except Exception:
                pass

    def _raw_request(self) -> WsRequest:
        """The handshake request as the client sent it (request line, headers in order)."""
        handler = self.handler
        return WsRequest(
            handler.path,
            Headers(list(handler.headers.items())),
            handler.command,
            handler.request_version,
        )

    def _handshake(self) -> WebSocket | None:
        """Let websockets decide the handshake; the open connection, or None if refused."""
        app = self.app
        extensions = (
            enable_server_permessage_deflate(None)
            if _setting(app, "WEBSOCKET_COMPRESSION")
            else None
        )
        max_size = _setting(app, "WEBSOCKET_MAX_SIZE")
        protocol = ServerProtocol(
            origins=_setting(app, "WEBSOCKET_ORIGINS"),
            extensions=extensions,
            subprotocols=_setting(app, "WEBSOCKET_SUBPROTOCOLS"),
            max_size=max_size,
            logger=log,
        )
        # The protocol parses the request itself, which also moves its parser past the
        # HTTP part; frames fed later are then read as frames.
        protocol.receive_data(self._raw_request().serialize())
        events = protocol.events_received()
        if not events:
            exc = protocol.handshake_exc
            detail = f"{exc}; {exc.__cause__}" if exc and exc.__cause__ else str(exc)
            response = protocol.reject(400, f"Failed to open a WebSocket connection: {detail}.\n")
            self._write(response.serialize())
            self._log(400)
            self._emit_handshake(None, 400, list(response.headers.raw_items()), detail)
            return None
        response = protocol.accept(events[0])
        protocol.send_response(response)
        written = b"".join(protocol.data_to_send())
        ok = self._write(written)
        self._log(response.status_code)
        if response.status_code != 101:
            exc = protocol.handshake_exc
            self._emit_handshake(
                None,
                response.status_code,
                list(response.headers.raw_items()),
                describe_error(exc) if exc is not None else f"HTTP {response.status_code}",
            )
            return None
        extensions_header = response.headers.get("Sec-WebSocket-Extensions")
        self._emit_handshake(
            response.headers.get("Sec-WebSocket-Accept"),
            101,
            list(response.headers.raw_items()),
            None if ok else "client gone before the 101",
        )
        tap = None
        if _setting(app, "WEBSOCKET_TAP"):
            # The tap emits per frame, straight onto the bus (no wrapper call per event).
            tap = WsTap(
                self.connection_id,
                app.events,
                origin=self._origin(),
                extensions=extensions_header,
                max_size=max_size,
            )
        return WebSocket(
            self.sock,
            protocol,
            tap,
            pending=self._take_buffered(),
            ping_interval=_setting(app, "WEBSOCKET_PING_INTERVAL"),
            ping_timeout=_setting(app, "WEBSOCKET_PING_TIMEOUT"),
            close_timeout=_setting(app, "WEBSOCKET_CLOSE_TIMEOUT"),
        )

    def _take_buffered(self) -> bytes:
        """Bytes the client sent right after the handshake that ``rfile`` already buffered.

        One non-blocking ``read1``: it returns the buffer, or whatever one socket read gets
        without waiting. From then on the socket is read directly, so ``select`` is truthful.
        """
        rfile = self.handler.rfile
        timeout = self.sock.gettimeout()
        try:
            self.sock.settimeout(0.0)
            data = rfile.read1(_RECV_SIZE)
        except OSError:
            data = b""
        finally:
            try:
                self.sock.settimeout(timeout)
            except OSError:
                pass
        return bytes(data or b"")

    def _emit_handshake(
        self, accept_sent: str | None, status: int, response_headers: list, error: str | None
    ) -> None:
        if not self.app.events.active:
            return
        handler = self.handler
        raw_headers = [[k, v] for k, v in handler.headers.items()]
        key = handler.headers.get("Sec-WebSocket-Key")
        steps = accept_steps(key) if key is not None and key_problem(key) is None else None
        if error is None and steps is not None and accept_sent != steps.accept:
            error = f"Sec-WebSocket-Accept {accept_sent!r} differs from {steps.accept!r}"
        if error is None and status != 101:
            error = key_problem(key)
        response = dict((k.lower(), v) for k, v in response_headers)
        self.emit(
            WsHandshake,
            {
                "connection_id": self.connection_id,
                "path": self.ctx.request.path,
                "headers": raw_headers,
                "key": key,
                "accept_input": steps.accept_input if steps else None,
                "sha1_hex": steps.sha1_hex if steps else None,
                "accept": accept_sent if status == 101 else None,
                "status": status,
                "extensions": response.get("sec-websocket-extensions"),
                "subprotocol": response.get("sec-websocket-protocol"),
                "error": error,
                "response_headers": [[k, v] for k, v in response_headers],
            },
        )

    # -- the open connection -------------------------------------------------------------------

    def _serve(self, conn: WebSocket) -> None:
        app = self.app
        request = self.ctx.request
        view_args = dict(request.view_args or {})
        returned: Any = None
        error: BaseException | None = None
        try:
            returned = app.ensure_sync(self.view)(conn, **view_args)
        except ConnectionClosed:
            pass  # the client left (or broke the protocol): a normal end for a handler
        except Exception as e:
            error = e
            conn.handler_error = e
        if app.events.active:
            self.emit(
                View,
                {
                    "endpoint": request.url_rule.endpoint,
                    "view_args": summarize(view_args),
                    "returned": summarize(returned),
                    "error": describe_error(error),
                },
            )
        if error is not None:
            self._report_error(error)
        try:
            conn.finish(error)
        finally:
            self._emit_closed(conn)
            self.error = error

    def _report_error(self, e: Exception) -> None:
        app = self.app
        report = getattr(app, "report_exception", None)  # absent on a bare Flask app
        if report is not None:
            report(e, handled=False, handler=None)
        got_request_exception.send(app, _async_wrapper=app.ensure_sync, exception=e)
        app.logger.error(
            f"Exception in WebSocket handler {self.ctx.request.path}",
            exc_info=(type(e), e, e.__traceback__),
        )

    def _emit_closed(self, conn: WebSocket) -> None:
        if not self.app.events.active:
            return
        tap = conn.tap
        if tap is not None:
            first = tap.first_close
            close_in, close_out = tap.close_in, tap.close_out
        else:  # no tap: the library's view is all there is
            protocol = conn.protocol
            close_in = (
                None
                if protocol.close_rcvd is None
                else (protocol.close_rcvd.code, protocol.close_rcvd.reason)
            )
            close_out = (
                None
                if protocol.close_sent is None
                else (protocol.close_sent.code, protocol.close_sent.reason)
            )
            first = None
            if close_in or close_out:
                first = "in" if protocol.close_rcvd_then_sent or not close_out else "out"
        if first == "in" and close_in is not None:
            code, reason, by = close_in[0], close_in[1], "client"
        elif first == "out" and close_out is not None:
            code, reason, by = close_out[0], close_out[1], "server"
        else:
            code, reason, by = 1006, "", "network"
        self.emit(
            WsClosed,
            {
                "connection_id": self.connection_id,
                "code": 1005 if code is None else int(code),
                "reason": reason or "",
                "closed_by": by,
                "clean": close_in is not None and close_out is not None,
            },
        )
