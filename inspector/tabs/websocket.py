"""The WebSocket tab: connect to the app's WebSocket routes, and see every frame down to its bits.

Frames come from the engine's ``ws_*`` events (``ingest``), so the table shows exactly what
crossed the wire on the server side, whoever the client was: this tab's own client, a browser, or
a capture opened from disk. The built-in client (``WsClient``) only makes traffic.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFont, QFontDatabase, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.events import Event
from inspector.tabs.bitfield import FrameHeaderBits
from inspector.tabs.ws_client import WsClient
from inspector.tabs.ws_frames import OPCODE_GROUPS, FrameFilterProxy, FramesModel

__all__ = ["WS_GUID", "WebSocketTab", "format_hex"]

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3
_ERROR_STYLE = "color: #b00020;"
_OK_STYLE = "color: #1e7d32;"
# Close codes an endpoint may send (RFC 6455 §7.4.1-2): 1004-1006 and 1015 are never sent,
# the rest of 1000-2999 is reserved for the protocol, 3000-4999 is for libraries and apps.
_SENDABLE_CLOSE = frozenset(
    {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}
)


def format_hex(hex_text: str, per_line: int = 16, ascii_column: bool = True) -> str:
    """``"8185..."`` as offset-prefixed lines of spaced byte pairs, like a hex dump."""
    try:
        data = bytes.fromhex(hex_text)
    except ValueError:
        return hex_text
    if not data:
        return "(empty)"
    lines = []
    for off in range(0, len(data), per_line):
        chunk = data[off : off + per_line]
        line = f"{off:04x}  {chunk.hex(' ')}"
        if ascii_column:
            ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
            line = f"{off:04x}  {chunk.hex(' '):<{per_line * 3 - 1}}  {ascii_}"
        lines.append(line)
    return "\n".join(lines)


def _ws_url(base_url: str, route: str) -> str:
    base = base_url.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base[len("https://") :]
    elif base.startswith("http://"):
        base = "ws://" + base[len("http://") :]
    return base + (route if route.startswith("/") else "/" + route)


def _close_text(ev: Event) -> str:
    """`` · close 1000 'bye'`` for a close frame (RFC 6455 §5.5.1: code, then UTF-8 reason)."""
    if ev.opcode != 8:
        return ""
    code = getattr(ev, "close_code", None)  # the engine parses it; older captures lack it
    if code is not None:
        if ev.length == 0:
            return f" · close without a code ({code} is reported)"
        return f" · close {code} {getattr(ev, 'close_reason', None) or ''!r}"
    if ev.length == 0:
        return " · close without a code (1005 is reported)"
    data = ev.payload_preview.encode("utf-8") if ev.payload_preview_is_text else None
    if data is None:
        try:
            data = bytes.fromhex(ev.payload_preview)
        except ValueError:
            return ""
    if len(data) < 2:
        return " · close payload of 1 byte (protocol error)"
    code = int.from_bytes(data[:2], "big")
    reason = data[2:].decode("utf-8", "replace")
    return f" · close {code} {reason!r}"


def _deflate_text(ev: Event) -> str:
    inflated = getattr(ev, "inflated_size", None)
    if not ev.rsv1:
        return ""
    if inflated is None:
        return " · RSV1 set"
    return f" · RSV1: permessage-deflate, inflates to {inflated} B (RFC 7692)"


def _spaced_hex(hex_text: str) -> str:
    try:
        return bytes.fromhex(hex_text).hex(" ")
    except ValueError:
        return hex_text


def _mono() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    return font


def _selectable(label: QLabel, wrap: bool = False) -> QLabel:
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(wrap)
    return label


class WebSocketTab(QWidget):
    """Frames table, frame bits, handshake and a client to talk to the app's WebSocket routes."""

    requestContextSelected = Signal(int)  # request_id of the selected connection's handshake

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._base_url = ""  # http(s) URL of the served app, set by set_target
        self._handshakes: dict[int, Event] = {}  # connection id -> ws_handshake event
        self._closed: dict[int, Event] = {}  # connection id -> ws_closed event
        self._messages: dict[int, int] = {}  # connection id -> ws_message count
        self._current: Event | None = None  # the ws_frame shown in the detail panel
        self._current_conn: int | None = None  # connection whose handshake is shown
        self._listed: set[int] = set()  # connection ids offered in the connection filter
        self._client = WsClient(self)  # the built-in client, threads of its own
        self._cookie_source: Callable[[], str | None] | None = None  # the composer's jar
        self._model = FramesModel(self)  # every ws_frame ingested
        self._proxy = FrameFilterProxy(self)  # direction/opcode/connection filters
        self._proxy.setSourceModel(self._model)
        self._build()
        self._wire_client()
        self._update_buttons(connected=False)
        self._update_counts()

    # --- public API (window-core relies on it) ------------------------------------------------

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

    def ingest(self, events: Iterable[Event]) -> None:
        """Take a batch of engine events (any kinds); the ws_* ones are kept."""
        frames: list[Event] = []
        new_conn = False
        touched: set[int] = set()
        for ev in events:
            kind = ev.kind
            if not kind.startswith("ws_"):
                continue
            cid = ev.connection_id
            if kind == "ws_frame":
                frames.append(ev)
            elif kind == "ws_handshake":
                new_conn = new_conn or cid not in self._handshakes
                self._handshakes[cid] = ev
                self._model.set_origin(cid, ev.t_ns)
                touched.add(cid)
            elif kind == "ws_closed":
                self._closed[cid] = ev
                touched.add(cid)
            elif kind == "ws_message":
                self._messages[cid] = self._messages.get(cid, 0) + 1
        if frames:
            bar = self.table.verticalScrollBar()
            follow = bar.value() >= bar.maximum() - 2
            new_conn = new_conn or any(ev.connection_id not in self._listed for ev in frames)
            self._model.add_frames(frames)
            if follow:
                self.table.scrollToBottom()
        if new_conn or touched - self._listed:
            self._refresh_connections()
        if self._current_conn in touched:
            self._show_handshake(self._current_conn)
        self._update_counts()

    def clear(self) -> None:
        """Forget every frame and connection (the client connection, if any, stays open)."""
        self._model.clear()
        self._handshakes.clear()
        self._closed.clear()
        self._messages.clear()
        self._current = None
        self._current_conn = None
        self._refresh_connections()
        self._show_frame(None)
        self._show_handshake(None)
        self._update_counts()

    # --- accessors used by tests and the window ------------------------------------------------

    @property
    def client(self) -> WsClient:
        return self._client

    @property
    def frames_model(self) -> FramesModel:
        return self._model

    @property
    def frames_proxy(self) -> FrameFilterProxy:
        return self._proxy

    def select_frame(self, source_row: int) -> None:
        """Select the frame at ``source_row`` of the model (if the filters let it through)."""
        proxy_index = self._proxy.mapFromSource(self._model.index(source_row, 0))
        if proxy_index.isValid():
            self.table.selectRow(proxy_index.row())

    # --- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(6, 6, 6, 6)

        # connection bar
        bar = QHBoxLayout()
        self.route_box = QComboBox()  # the app's WebSocket routes
        self.route_box.setMinimumContentsLength(14)
        self.route_box.setToolTip("WebSocket routes of the served app")
        self.url_edit = QLineEdit()  # full ws:// URL, editable
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
        self.payload_edit = QLineEdit()  # text, or hex bytes for binary and ping
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
        self.error_label = _selectable(QLabel(""))  # one-line errors
        self.error_label.setStyleSheet(_ERROR_STYLE)
        status.addWidget(self.status_label)
        status.addWidget(self.error_label, 1)
        root.addLayout(status)

        split = QSplitter(Qt.Orientation.Horizontal)
        root.addWidget(split, 1)

        # left: filters + table + client log
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        self.dir_box = QComboBox()  # direction filter
        self.dir_box.addItem("Both directions", None)
        self.dir_box.addItem("→ in (client → server)", "in")
        self.dir_box.addItem("← out (server → client)", "out")
        self.op_box = QComboBox()  # opcode filter
        for name, group in OPCODE_GROUPS.items():
            self.op_box.addItem(name, None if group is None else sorted(group))
        self.conn_box = QComboBox()  # connection filter
        self.conn_box.addItem("All connections", None)
        self.show_request_btn = QPushButton("Show request")
        self.show_request_btn.setToolTip(
            "Select the request context of the selected frame's connection"
        )
        for box in (self.dir_box, self.op_box, self.conn_box):
            # long item texts must not widen the frames side of the splitter
            box.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            box.setMinimumContentsLength(10)
        self.count_label = QLabel("")  # frames shown / total
        filters.addWidget(self.dir_box)
        filters.addWidget(self.op_box)
        filters.addWidget(self.conn_box)
        filters.addWidget(self.show_request_btn)
        filters.addStretch(1)
        filters.addWidget(self.count_label)
        lv.addLayout(filters)

        self.table = QTableView()  # the frames
        self.table.setModel(self._proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.verticalHeader().setVisible(False)
        hh = self.table.horizontalHeader()
        hh.setStretchLastSection(True)
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((48, 64, 84, 104, 36, 44, 48, 60, 62, 48)):
            self.table.setColumnWidth(col, width)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.show_request_action = QAction("Show request context", self.table)
        self.show_request_action.setEnabled(False)
        self.table.addAction(self.show_request_action)
        self.table.doubleClicked.connect(lambda _i: self._show_request())
        lv.addWidget(self.table, 1)

        self.log = QPlainTextEdit()  # what the built-in client saw
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        self.log.setPlaceholderText("Client log: messages received by the built-in client")
        self.log.setFont(_mono())
        split.addWidget(left)

        # right: frame detail and handshake
        self.detail_tabs = QTabWidget()
        self.detail_tabs.addTab(self._build_frame_panel(), "Frame")
        self.detail_tabs.addTab(self._build_handshake_panel(), "Handshake")
        self.detail_tabs.addTab(self.log, "Client log")
        split.addWidget(self.detail_tabs)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        self._split = split  # frames | detail; halves are set when first shown
        self._sized = False  # whether the splitter got its first-show sizes

        # signals
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
        self.dir_box.currentIndexChanged.connect(
            lambda _i: self._proxy.set_direction(self.dir_box.currentData())
        )
        self.op_box.currentIndexChanged.connect(
            lambda _i: self._proxy.set_opcodes(self.op_box.currentData())
        )
        self.conn_box.currentIndexChanged.connect(
            lambda _i: self._proxy.set_connection(self.conn_box.currentData())
        )
        self._proxy.rowsInserted.connect(lambda *_: self._update_counts())
        self._proxy.modelReset.connect(self._update_counts)
        self._proxy.layoutChanged.connect(self._update_counts)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.show_request_btn.clicked.connect(self._show_request)
        self.show_request_action.triggered.connect(self._show_request)
        self.hs_request_btn.clicked.connect(self._show_request)
        self.show_request_btn.setEnabled(False)

    def _build_frame_panel(self) -> QWidget:
        panel = QWidget()
        v = QVBoxLayout(panel)
        self.frame_title = _selectable(
            QLabel("No frame selected"), wrap=True
        )  # one-line frame summary
        title_font = self.frame_title.font()
        title_font.setBold(True)
        self.frame_title.setFont(title_font)
        v.addWidget(self.frame_title)
        self.bits = FrameHeaderBits()  # the header, bit by bit (RFC 6455 §5.2)
        scroll = QScrollArea()
        scroll.setWidget(self.bits)
        scroll.setWidgetResizable(True)
        scroll.setMinimumHeight(self.bits.minimumSizeHint().height() + 12)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        v.addWidget(scroll, 4)
        form = QFormLayout()
        self.header_hex = _selectable(QLabel("—"))  # raw header bytes
        self.header_hex.setFont(_mono())
        self.mask_label = _selectable(QLabel("—"))  # masking key
        self.mask_label.setFont(_mono())
        self.frame_error = _selectable(QLabel(""), wrap=True)  # protocol violation of this frame
        self.frame_error.setStyleSheet(_ERROR_STYLE)
        form.addRow("Header bytes", self.header_hex)
        form.addRow("Masking key", self.mask_label)
        form.addRow("", self.frame_error)
        v.addLayout(form)
        self.wire_view = QPlainTextEdit()  # payload as on the wire (masked when masked)
        self.plain_view = QPlainTextEdit()  # payload unmasked
        for view in (self.wire_view, self.plain_view):
            view.setMinimumHeight(44)  # two lines; stacked layouts get little height
            # height comes from the stretch factors, not the editor's generous size hint
            view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
            view.setReadOnly(True)
            view.setFont(_mono())
            view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.wire_box = QGroupBox("Payload on the wire")
        QVBoxLayout(self.wire_box).addWidget(self.wire_view)
        self.plain_box = QGroupBox("Payload unmasked")
        QVBoxLayout(self.plain_box).addWidget(self.plain_view)
        v.addWidget(self.wire_box, 1)
        v.addWidget(self.plain_box, 1)
        return panel

    def _build_handshake_panel(self) -> QWidget:
        panel = QWidget()
        v = QVBoxLayout(panel)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.hs_fields: dict[str, QLabel] = {}  # field name -> value label
        for key, label in (
            ("connection", "Connection"),
            ("path", "Path"),
            ("status", "Status"),
            ("key", "Sec-WebSocket-Key"),
            ("accept_input", "Key + GUID"),
            ("sha1_hex", "SHA-1 (hex)"),
            ("accept", "Sec-WebSocket-Accept"),
            ("check", "Check"),
            ("extensions", "Extensions"),
            ("subprotocol", "Subprotocol"),
            ("closed", "Closed"),
            ("error", "Error"),
        ):
            value = _selectable(QLabel("—"))
            # long values (key + GUID) are clipped rather than widening the whole window
            value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            value.setMinimumWidth(120)
            if key in ("key", "accept_input", "sha1_hex", "accept"):
                value.setFont(_mono())
            self.hs_fields[key] = value
            form.addRow(label, value)
        self.hs_fields["error"].setStyleSheet(_ERROR_STYLE)
        v.addLayout(form)
        row = QHBoxLayout()
        self.hs_request_label = QLabel("Request context: —")  # request id of the handshake
        self.hs_request_btn = QPushButton("Show request")
        self.hs_request_btn.setEnabled(False)
        row.addWidget(self.hs_request_label)
        row.addStretch(1)
        row.addWidget(self.hs_request_btn)
        v.addLayout(row)
        v.addWidget(QLabel("Headers (request, then response)"))
        self.hs_headers = QPlainTextEdit()  # the handshake request's headers
        self.hs_headers.setReadOnly(True)
        self.hs_headers.setFont(_mono())
        self.hs_headers.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        v.addWidget(self.hs_headers, 1)
        return panel

    # --- client -------------------------------------------------------------------------------

    def _wire_client(self) -> None:
        c = self._client
        c.opened.connect(self._client_opened)
        c.received.connect(self._client_received)
        c.sent.connect(lambda what: self._log(f"sent {what}"))
        c.pong.connect(lambda ms: self._log(f"pong after {ms:.2f} ms"))
        c.failed.connect(self._client_failed)
        c.closed.connect(self._client_closed)

    def _route_changed(self, *_: Any) -> None:
        route = self.route_box.currentText()
        if self._base_url and route:
            self.url_edit.setText(_ws_url(self._base_url, route))

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
        self.status_label.setStyleSheet(_OK_STYLE)
        self._log(f"open: {info}")
        self._update_buttons(connected=True)

    def _client_received(self, message: object) -> None:
        if isinstance(message, bytes):
            self._log(f"received binary {len(message)} B: {message[:64].hex(' ')}")
        else:
            text = str(message)
            self._log(f"received text {len(text.encode('utf-8'))} B: {text[:200]}")

    def _client_failed(self, message: str) -> None:
        self._error(message)
        self._log(f"error: {message}")

    def _client_closed(self, code: int, reason: str) -> None:
        self.status_label.setText(f"Closed: {code} {reason}".rstrip())
        self.status_label.setStyleSheet("")
        self._log(f"closed: {code} {reason!r}")
        self._update_buttons(connected=False)

    def _update_buttons(self, connected: bool) -> None:
        self.connect_btn.setEnabled(not connected and bool(self.url_edit.text().strip()))
        for w in (self.disconnect_btn, self.send_btn, self.ping_btn, self.close_btn):
            w.setEnabled(connected)

    def _log(self, line: str) -> None:
        self.log.appendPlainText(line)

    def _error(self, message: str) -> None:
        self.error_label.setText(message.splitlines()[0] if message else "")

    # --- frames and handshake -----------------------------------------------------------------

    def _refresh_connections(self) -> None:
        ids = sorted(set(self._handshakes) | {f.connection_id for f in self._model.frames()})
        self._listed = set(ids)
        current = self.conn_box.currentData()
        self.conn_box.blockSignals(True)
        self.conn_box.clear()
        self.conn_box.addItem("All connections", None)
        for cid in ids:
            hs = self._handshakes.get(cid)
            self.conn_box.addItem(f"#{cid} {hs.path if hs else ''}".rstrip(), cid)
        idx = self.conn_box.findData(current)
        self.conn_box.setCurrentIndex(max(idx, 0))
        self.conn_box.blockSignals(False)
        if idx < 0 and current is not None:
            self._proxy.set_connection(None)

    def _update_counts(self) -> None:
        shown, total = self._proxy.rowCount(), self._model.rowCount()
        conns = len(self._handshakes)
        self.count_label.setText(f"{shown} of {total} frames · {conns} connections")

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self._show_frame(None)
            return
        source = self._proxy.mapToSource(rows[0])
        self._show_frame(self._model.frame(source.row()))

    def _show_frame(self, ev: Event | None) -> None:
        self._current = ev
        if ev is None:
            self.frame_title.setText("No frame selected")
            self.bits.set_header(None)
            self.header_hex.setText("—")
            self.mask_label.setText("—")
            self.frame_error.setText("")
            self.wire_view.setPlainText("")
            self.plain_view.setPlainText("")
            self.show_request_btn.setEnabled(False)
            self.show_request_action.setEnabled(False)
            return
        arrow = "client → server" if ev.direction == "in" else "server → client"
        self.frame_title.setText(
            f"Connection #{ev.connection_id} · {arrow} · {ev.opcode_name} "
            f"(opcode 0x{ev.opcode:X}) · {ev.length} B payload · {ev.wire_size} B on the wire"
            + _close_text(ev)
            + _deflate_text(ev)
        )
        self.bits.set_header(ev.header_hex)
        self.header_hex.setText(_spaced_hex(ev.header_hex) or "—")
        if ev.masked and ev.masking_key:
            self.mask_label.setText(
                f"{bytes.fromhex(ev.masking_key).hex(' ')}  (payload[i] ^ key[i % 4], §5.3)"
            )
        else:
            self.mask_label.setText("none (server frames are never masked, §5.1)")
        self.frame_error.setText(f"Protocol error: {ev.error}" if ev.error else "")
        capped = ""
        if len(ev.payload_wire_preview) // 2 < ev.length:
            capped = f"  (first {len(ev.payload_wire_preview) // 2} of {ev.length} bytes)"
        self.wire_box.setTitle(
            ("Payload on the wire, masked" if ev.masked else "Payload on the wire") + capped
        )
        # masked bytes read as noise, so no ASCII column for them
        self.wire_view.setPlainText(format_hex(ev.payload_wire_preview, ascii_column=not ev.masked))
        if ev.payload_preview_is_text:
            self.plain_box.setTitle("Payload unmasked (text)")
            unmasked = ev.payload_preview
            try:
                hex_view = format_hex(unmasked.encode("utf-8").hex())
            except UnicodeEncodeError:
                hex_view = ""
            self.plain_view.setPlainText(f"{unmasked}\n\n{hex_view}" if unmasked else "(empty)")
        else:
            self.plain_box.setTitle("Payload unmasked (hex)")
            self.plain_view.setPlainText(format_hex(ev.payload_preview))
        self._show_handshake(ev.connection_id)
        linked = self._request_id(ev.connection_id) is not None
        self.show_request_btn.setEnabled(linked)
        self.show_request_action.setEnabled(linked)

    def _request_id(self, cid: int | None) -> int | None:
        if cid is None:
            return None
        hs = self._handshakes.get(cid)
        if hs is not None and hs.request_id is not None:
            return hs.request_id
        if self._current is not None and self._current.connection_id == cid:
            return self._current.request_id
        return None

    def _show_handshake(self, cid: int | None) -> None:
        self._current_conn = cid
        hs = self._handshakes.get(cid) if cid is not None else None
        for label in self.hs_fields.values():
            label.setText("—")
        self.hs_fields["check"].setStyleSheet("")
        self.hs_headers.setPlainText("")
        rid = self._request_id(cid)
        self.hs_request_label.setText(f"Request context: {rid if rid is not None else '—'}")
        self.hs_request_btn.setEnabled(rid is not None)
        if cid is None:
            return
        count = self._messages.get(cid, 0)
        self.hs_fields["connection"].setText(f"#{cid} · {count} data message(s) so far")
        closed = self._closed.get(cid)
        if closed is not None:
            how = "clean" if closed.clean else "not clean"
            self.hs_fields["closed"].setText(
                f"{closed.code} {closed.reason!r} by {closed.closed_by} ({how})"
            )
        if hs is None:
            self.hs_fields["path"].setText("(handshake not recorded)")
            return
        self.hs_fields["path"].setText(hs.path)
        self.hs_fields["status"].setText(str(hs.status))
        self.hs_fields["key"].setText(hs.key or "—")
        self.hs_fields["accept_input"].setText(hs.accept_input or "—")
        self.hs_fields["sha1_hex"].setText(hs.sha1_hex or "—")
        self.hs_fields["accept"].setText(hs.accept or "—")
        self.hs_fields["extensions"].setText(hs.extensions or "none")
        self.hs_fields["subprotocol"].setText(hs.subprotocol or "none")
        if hs.error:
            self.hs_fields["error"].setText(hs.error)
        if hs.key:
            # recompute §4.2.2 step 5.4 independently of the engine, so a wrong accept shows
            digest = hashlib.sha1((hs.key + WS_GUID).encode("ascii", "replace")).digest()
            expected = base64.b64encode(digest).decode("ascii")
            if hs.accept == expected:
                self.hs_fields["check"].setText("✓ base64(SHA-1(key + GUID)) matches the accept")
                self.hs_fields["check"].setStyleSheet(_OK_STYLE)
            elif hs.accept:
                self.hs_fields["check"].setText(f"✗ expected {expected}")
                self.hs_fields["check"].setStyleSheet(_ERROR_STYLE)
        lines = [f"{k}: {v}" for k, v in hs.headers or []]
        answer = getattr(hs, "response_headers", None) or []
        if answer:
            lines += ["", f"— response ({hs.status}) —", *(f"{k}: {v}" for k, v in answer)]
        self.hs_headers.setPlainText("\n".join(lines))

    def _show_request(self) -> None:
        cid = self._current.connection_id if self._current is not None else self._current_conn
        rid = self._request_id(cid)
        if rid is not None:
            self.requestContextSelected.emit(rid)

    # --- lifetime -----------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Close the built-in client's connection and wait for its threads."""
        self._client.shutdown()

    WIDE = 1150  # pixels from which frames and details sit side by side, else stacked

    def showEvent(self, event: QShowEvent) -> None:
        if not self._sized:  # before the first show the splitter has no size to share
            self._sized = True
            layout = self.layout()
            if layout is not None:
                layout.activate()  # give the splitter its real size first
            self._arrange(force=True)
        super().showEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._sized:
            self._arrange()

    def _arrange(self, force: bool = False) -> None:
        # The bit diagram wants width: in a narrow pane (the window's right side) the details go
        # under the frames table instead of squeezing both into half the width.
        wide = self.width() >= self.WIDE
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if not force and orientation == self._split.orientation():
            return
        self._split.setOrientation(orientation)
        total = self._split.width() if wide else self._split.height()
        first = total // 2 if wide else max(1, total // 3)
        self._split.setSizes([first, max(1, total - first)])

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def frames_shown(self) -> Sequence[Event]:
        """The frames that pass the filters, in table order."""
        out = []
        for row in range(self._proxy.rowCount()):
            src = self._proxy.mapToSource(self._proxy.index(row, 0, QModelIndex()))
            ev = self._model.frame(src.row())
            if ev is not None:
                out.append(ev)
        return out
