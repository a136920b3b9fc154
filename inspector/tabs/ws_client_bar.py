"""The WebSocket tab's client controls: connect to a route, send text, binary or a ping, close
with a code; and the one-line status and error under them.

The client (``WsClient``) only makes traffic: what it sends and receives reaches the frames
table through the engine's events, like any other client's. Its own view of the conversation
goes out as ``logged`` lines for the tab's client log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from inspector.tabs.style import ERROR_STYLE, OK_STYLE, selectable
from inspector.tabs.ws_client import WsClient
from inspector.tabs.ws_text import ws_url
from inspector.views.long_line import LongLineEdit

__all__ = ["ClientBar", "PayloadEdit"]

# Close codes an endpoint may send (RFC 6455 §7.4.1-2): 1004-1006 and 1015 are never sent,
# the rest of 1000-2999 is reserved for the protocol, 3000-4999 is for libraries and apps.
_SENDABLE_CLOSE = frozenset(
    {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}
)


class PayloadEdit(LongLineEdit):
    """The message field: a long message shows from its start, and whole in the tooltip."""


class ClientBar(QWidget):
    """Connection bar, send bar and status line, driving the tab's built-in ``WsClient``."""

    logged = Signal(str)  # one line for the client log: what the client sent, got, or hit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._base_url = ""  # http(s) URL of the served app, set by set_target
        self._client = WsClient(self)  # the built-in client, threads of its own
        self._cookie_source: Callable[[], str | None] | None = None  # the composer's jar
        self._build()
        self._wire_client()
        self._update_buttons(connected=False)

    @property
    def client(self) -> WsClient:
        return self._client

    def set_cookie_source(self, source: Callable[[], str | None] | None) -> None:
        """Where the handshake's ``Cookie`` header comes from (the composer's jar)."""
        self._cookie_source = source

    def set_target(self, base_url: str, routes: list[str]) -> None:
        """The served app's URL and its WebSocket routes, offered in the route box."""
        self._base_url = base_url
        current = self.route_box.currentText()
        self.route_box.blockSignals(True)
        self.route_box.clear()
        self.route_box.addItems(list(routes))
        self.route_box.blockSignals(False)
        idx = self.route_box.findText(current)
        self.route_box.setCurrentIndex(idx if idx >= 0 else 0)
        self._route_changed()
        self.connect_btn.setEnabled(not self._client.is_active() and bool(self.url_edit.text()))

    # --- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)  # its rows line up with the rest of the tab

        # connection bar
        bar = QHBoxLayout()
        self.route_box = QComboBox()  # the app's WebSocket routes
        self.route_box.setMinimumContentsLength(14)
        self.route_box.setToolTip("WebSocket routes of the served app")
        self.url_edit = LongLineEdit()  # full ws:// URL, editable
        self.url_edit.setPlaceholderText("ws://127.0.0.1:PORT/ws/echo")
        self.deflate_box = QCheckBox("permessage-deflate")  # offer compression (RSV1 frames)
        self.deflate_box.setToolTip("Offer the permessage-deflate extension (RFC 7692)")
        self.connect_btn = QPushButton("Connect")
        self.disconnect_btn = QPushButton("Disconnect")
        self.status_label = QLabel("Not connected")  # client state, one line
        bar.addWidget(QLabel("Route"))
        bar.addWidget(self.route_box)
        bar.addWidget(QLabel("URL"))
        bar.addWidget(self.url_edit, 1)
        bar.addWidget(self.deflate_box)
        bar.addWidget(self.connect_btn)
        bar.addWidget(self.disconnect_btn)
        root.addLayout(bar)

        # send / close bar
        send = QHBoxLayout()
        self.kind_box = QComboBox()  # what the payload field holds
        self.kind_box.addItems(["Text", "Binary (hex)"])
        self.payload_edit = PayloadEdit()  # text, or hex bytes for binary and ping
        self.payload_edit.setPlaceholderText("message text, or hex bytes such as 01 02 ff")
        self.send_btn = QPushButton("Send")
        self.ping_btn = QPushButton("Ping")
        self.ping_btn.setToolTip("Send a ping; the payload field as hex is its payload (≤ 125 B)")
        self.close_code = QSpinBox()  # close code to send (RFC 6455 §7.4)
        self.close_code.setRange(1000, 4999)
        self.close_code.setValue(1000)
        self.close_reason = QLineEdit()  # close reason (UTF-8, ≤ 123 bytes)
        self.close_reason.setPlaceholderText("reason")
        self.close_reason.setMaximumWidth(120)
        self.close_btn = QPushButton("Close")
        send.addWidget(self.kind_box)
        send.addWidget(self.payload_edit, 1)
        send.addWidget(self.send_btn)
        send.addWidget(self.ping_btn)
        send.addSpacing(16)
        send.addWidget(QLabel("Close code"))
        send.addWidget(self.close_code)
        send.addWidget(self.close_reason)
        send.addWidget(self.close_btn)
        root.addLayout(send)

        status = QHBoxLayout()
        self.error_label = selectable(QLabel(""))  # one-line errors
        self.error_label.setStyleSheet(ERROR_STYLE)
        status.addWidget(self.status_label)
        status.addWidget(self.error_label, 1)
        root.addLayout(status)

        self.route_box.currentIndexChanged.connect(self._route_changed)
        self.url_edit.textChanged.connect(
            lambda _t: self.connect_btn.setEnabled(
                not self._client.is_active() and bool(self.url_edit.text().strip())
            )
        )
        self.connect_btn.clicked.connect(self._connect)
        self.disconnect_btn.clicked.connect(lambda: self._send_close(1000, ""))
        self.send_btn.clicked.connect(self._send)
        self.payload_edit.returnPressed.connect(self._send)
        self.ping_btn.clicked.connect(self._ping)
        self.close_btn.clicked.connect(
            lambda: self._send_close(self.close_code.value(), self.close_reason.text())
        )

    # --- client -------------------------------------------------------------------------------

    def _wire_client(self) -> None:
        c = self._client
        c.opened.connect(self._client_opened)
        c.received.connect(self._client_received)
        c.sent.connect(lambda what: self.logged.emit(f"sent {what}"))
        c.pong.connect(lambda ms: self.logged.emit(f"pong after {ms:.2f} ms"))
        c.failed.connect(self._client_failed)
        c.closed.connect(self._client_closed)

    def _route_changed(self, *_: Any) -> None:
        route = self.route_box.currentText()
        if self._base_url and route:
            self.url_edit.setText(ws_url(self._base_url, route))

    def _connect(self) -> None:
        url = self.url_edit.text().strip()
        if not url.startswith(("ws://", "wss://")):
            self._error("the URL must start with ws:// or wss://")
            return
        self._error("")
        cookie = self._cookie_source() if self._cookie_source is not None else None
        if self._client.connect_to(
            url, compression=self.deflate_box.isChecked(), cookie=cookie or None
        ):
            self.status_label.setText(f"Connecting to {url} …")
            self.connect_btn.setEnabled(False)

    def _send(self) -> None:
        text = self.payload_edit.text()
        if self.kind_box.currentIndex() == 0:
            self._error("")
            self._client.send_text(text)
            return
        data = self._parse_hex(text)
        if data is not None:
            self._client.send_binary(data)

    def _ping(self) -> None:
        data = self._parse_hex(self.payload_edit.text()) if self.kind_box.currentIndex() else b""
        if data is None:
            return
        if len(data) > 125:
            self._error("a ping carries at most 125 bytes (RFC 6455 §5.5)")
            return
        self._client.ping(data)

    def _send_close(self, code: int, reason: str) -> None:
        if code not in _SENDABLE_CLOSE and not 3000 <= code <= 4999:
            self._error(f"close code {code} may not be sent (RFC 6455 §7.4)")
            return
        if len(reason.encode("utf-8")) > 123:
            self._error("a close reason is at most 123 bytes (RFC 6455 §5.5)")
            return
        self._error("")
        self._client.close(code, reason)

    def _parse_hex(self, text: str) -> bytes | None:
        cleaned = "".join(text.replace("0x", "").replace(",", " ").split())
        try:
            data = bytes.fromhex(cleaned)
        except ValueError:
            self._error("binary payload: enter hex bytes such as 01 02 ff")
            return None
        self._error("")
        return data

    def _client_opened(self, info: str) -> None:
        self.status_label.setText(f"Connected: {info}")
        self.status_label.setStyleSheet(OK_STYLE)
        self.logged.emit(f"open: {info}")
        self._update_buttons(connected=True)

    def _client_received(self, message: object) -> None:
        if isinstance(message, bytes):
            self.logged.emit(f"received binary {len(message)} B: {message[:64].hex(' ')}")
        else:
            text = str(message)
            self.logged.emit(f"received text {len(text.encode('utf-8'))} B: {text[:200]}")

    def _client_failed(self, message: str) -> None:
        self._error(message)
        self.logged.emit(f"error: {message}")

    def _client_closed(self, code: int, reason: str) -> None:
        self.status_label.setText(f"Closed: {code} {reason}".rstrip())
        self.status_label.setStyleSheet("")
        self.logged.emit(f"closed: {code} {reason!r}")
        self._update_buttons(connected=False)

    def _update_buttons(self, connected: bool) -> None:
        self.connect_btn.setEnabled(not connected and bool(self.url_edit.text().strip()))
        for w in (self.disconnect_btn, self.send_btn, self.ping_btn, self.close_btn):
            w.setEnabled(connected)

    def _error(self, message: str) -> None:
        self.error_label.setText(message.splitlines()[0] if message else "")
