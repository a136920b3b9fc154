"""The WebSocket tab: connect to the app's WebSocket routes, and see every frame down to its bits.

Frames come from the engine's ``ws_*`` events (``ingest``), so the table shows exactly what
crossed the wire on the server side, whoever the client was: this tab's own client, a browser, or
a capture opened from disk. The built-in client only makes traffic.

This module lays the tab out and keeps the connections apart; the pieces it composes are the
client controls (``ws_client_bar``), the frame and handshake panels (``ws_frame_panel``,
``ws_handshake_panel``), the frames model and its filters (``ws_frames``) and the wording of
frames (``ws_text``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.events import Event
from inspector.tabs.style import mono
from inspector.tabs.ws_client import WsClient
from inspector.tabs.ws_client_bar import ClientBar
from inspector.tabs.ws_frame_panel import FramePanel
from inspector.tabs.ws_frames import OPCODE_GROUPS, FrameFilterProxy, FramesModel
from inspector.tabs.ws_handshake_panel import HandshakePanel
from inspector.tabs.ws_text import WS_GUID, format_hex

__all__ = ["WS_GUID", "WebSocketTab", "format_hex"]


class WebSocketTab(QWidget):
    """Frames table, frame bits, handshake and a client to talk to the app's WebSocket routes."""

    requestContextSelected = Signal(int)  # request_id of the selected connection's handshake

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._handshakes: dict[int, Event] = {}  # connection id -> ws_handshake event
        self._closed: dict[int, Event] = {}  # connection id -> ws_closed event
        self._messages: dict[int, int] = {}  # connection id -> ws_message count
        self._current: Event | None = None  # the ws_frame shown in the detail panel
        self._current_conn: int | None = None  # connection whose handshake is shown
        self._listed: set[int] = set()  # connection ids offered in the connection filter
        self._model = FramesModel(self)  # every ws_frame ingested
        self._proxy = FrameFilterProxy(self)  # direction/opcode/connection filters
        self._proxy.setSourceModel(self._model)
        self._build()
        self._update_counts()

    # --- public API (window-core relies on it) ------------------------------------------------

    def set_cookie_source(self, source: Callable[[], str | None] | None) -> None:
        """Where the handshake's ``Cookie`` header comes from (the composer's jar)."""
        self.client_bar.set_cookie_source(source)

    def set_target(self, base_url: str, routes: list[str]) -> None:
        """The served app's URL and its WebSocket routes, offered in the route box."""
        self.client_bar.set_target(base_url, routes)

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
        return self.client_bar.client

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
        self.client_bar = ClientBar()  # connect, send, close; status and errors
        root.addWidget(self.client_bar)

        split = QSplitter(Qt.Orientation.Horizontal)
        root.addWidget(split, 1)

        # left: filters + table
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
        split.addWidget(left)

        # right: frame detail, handshake and client log
        self.log = QPlainTextEdit()  # what the built-in client saw
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        self.log.setPlaceholderText("Client log: messages received by the built-in client")
        self.log.setFont(mono())
        self.frame_panel = FramePanel()  # the selected frame, bit by bit
        self.handshake_panel = HandshakePanel()  # the selected frame's connection
        self.detail_tabs = QTabWidget()
        self.detail_tabs.addTab(self.frame_panel, "Frame")
        self.detail_tabs.addTab(self.handshake_panel, "Handshake")
        self.detail_tabs.addTab(self.log, "Client log")
        split.addWidget(self.detail_tabs)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        self._split = split  # frames | detail; halves are set when first shown
        self._sized = False  # whether the splitter got its first-show sizes

        # signals
        self.client_bar.logged.connect(self.log.appendPlainText)
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
        self.handshake_panel.showRequest.connect(self._show_request)
        self.show_request_btn.setEnabled(False)

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
        self.frame_panel.show_frame(ev)
        if ev is None:
            self.show_request_btn.setEnabled(False)
            self.show_request_action.setEnabled(False)
            return
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
        known = cid is not None
        self.handshake_panel.show_connection(
            cid,
            self._handshakes.get(cid) if known else None,
            self._closed.get(cid) if known else None,
            self._messages.get(cid, 0) if known else 0,
            self._request_id(cid),
        )

    def _show_request(self) -> None:
        cid = self._current.connection_id if self._current is not None else self._current_conn
        rid = self._request_id(cid)
        if rid is not None:
            self.requestContextSelected.emit(rid)

    # --- lifetime -----------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Close the built-in client's connection and wait for its threads."""
        self.client_bar.client.shutdown()

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
