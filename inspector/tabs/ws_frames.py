"""The WebSocket frames table: a model fed with ``ws_frame`` events in batches, and its filter."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from engine.events import Event

__all__ = ["COLUMNS", "OPCODE_GROUPS", "FrameFilterProxy", "FramesModel"]

COLUMNS = (
    "Conn",
    "Dir",
    "Time",
    "Opcode",
    "FIN",
    "RSV1",
    "MASK",
    "Length",
    "Len bits",
    "Wire",
    "Payload",
)
_COL = {name: i for i, name in enumerate(COLUMNS)}

OPCODE_GROUPS: dict[str, frozenset[int] | None] = {
    "All opcodes": None,
    "Data (text, binary, continuation)": frozenset({0, 1, 2}),
    "Control (close, ping, pong)": frozenset({8, 9, 10}),
    "text": frozenset({1}),
    "binary": frozenset({2}),
    "continuation": frozenset({0}),
    "close": frozenset({8}),
    "ping": frozenset({9}),
    "pong": frozenset({10}),
}  # RFC 6455 §5.2/§5.5: control opcodes have the high bit of the nibble set

Index = QModelIndex | QPersistentModelIndex
_IN_BRUSH = QBrush(QColor("#1a5fb4"))  # client → server
_OUT_BRUSH = QBrush(QColor("#26a269"))  # server → client
_ERROR_BRUSH = QBrush(QColor("#f8d7da"))
_CENTER = int(Qt.AlignmentFlag.AlignCenter)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class FramesModel(QAbstractTableModel):
    """One row per ``ws_frame`` event, appended in batches (one insert per batch)."""

    def __init__(self, parent: QObject | None = None, max_rows: int = 200_000) -> None:
        super().__init__(parent)
        self._frames: list[Event] = []  # ws_frame events in arrival order
        self._t0: dict[int, int] = {}  # connection id -> t_ns its times are measured from
        self._max_rows = max_rows  # oldest rows are dropped past this, so memory stays bounded

    # --- feeding ----------------------------------------------------------------------------

    def set_origin(self, connection_id: int, t_ns: int) -> None:
        """Measure a connection's frame times from ``t_ns`` (its handshake)."""
        self._t0.setdefault(connection_id, t_ns)

    def add_frames(self, frames: Iterable[Event]) -> None:
        batch = [ev for ev in frames if ev.kind == "ws_frame"]
        if not batch:
            return
        for ev in batch:
            self._t0.setdefault(ev.connection_id, ev.t_ns)
        overflow = len(self._frames) + len(batch) - self._max_rows
        if overflow > 0:
            drop = min(overflow, len(self._frames))
            if drop:
                self.beginRemoveRows(QModelIndex(), 0, drop - 1)
                del self._frames[:drop]
                self.endRemoveRows()
            batch = batch[-self._max_rows :]
        first = len(self._frames)
        self.beginInsertRows(QModelIndex(), first, first + len(batch) - 1)
        self._frames.extend(batch)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._frames.clear()
        self._t0.clear()
        self.endResetModel()

    def frame(self, row: int) -> Event | None:
        return self._frames[row] if 0 <= row < len(self._frames) else None

    def frames(self) -> Sequence[Event]:
        return self._frames

    # --- model ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._frames)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.ToolTipRole:
                return _HEADER_TIPS.get(COLUMNS[section])
        elif orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < len(self._frames) and 0 <= col < len(COLUMNS)):
            return None
        ev = self._frames[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(ev, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            if ev.error:
                return f"Protocol error: {ev.error}"
            if col == _COL["Payload"]:
                return ev.payload_preview[:2000]
            return None
        if role == Qt.ItemDataRole.ForegroundRole and col == _COL["Dir"]:
            return _IN_BRUSH if ev.direction == "in" else _OUT_BRUSH
        if role == Qt.ItemDataRole.BackgroundRole and ev.error:
            return _ERROR_BRUSH
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in (_COL["Length"], _COL["Wire"], _COL["Time"], _COL["Conn"]):
                return _RIGHT
            if col in (_COL["FIN"], _COL["RSV1"], _COL["MASK"], _COL["Len bits"]):
                return _CENTER
            return None
        if role == Qt.ItemDataRole.UserRole:
            return row
        return None

    def _display(self, ev: Event, col: int) -> str:
        if col == 0:
            return f"#{ev.connection_id}"
        if col == 1:
            return "→ in" if ev.direction == "in" else "← out"
        if col == 2:
            ms = (ev.t_ns - self._t0.get(ev.connection_id, ev.t_ns)) / 1e6
            return f"{ms:.3f} ms" if abs(ms) < 1000 else f"{ms / 1000:.3f} s"
        if col == 3:
            return f"{ev.opcode_name} ({ev.opcode:X})"
        if col == 4:
            return "1" if ev.fin else "0"
        if col == 5:
            return "1" if ev.rsv1 else "0"
        if col == 6:
            return "1" if ev.masked else "0"
        if col == 7:
            return str(ev.length)
        if col == 8:
            return {7: "7", 16: "7+16", 64: "7+64"}.get(ev.length_encoding, str(ev.length_encoding))
        if col == 9:
            return str(ev.wire_size)
        preview = ev.payload_preview
        code = getattr(ev, "close_code", None)
        if ev.opcode == 8 and code is not None:  # RFC 6455 §5.5.1: code, then UTF-8 reason
            reason = getattr(ev, "close_reason", None) or ""
            return f"close {code}" + (f" {reason!r}" if reason else "")
        inflated = getattr(ev, "inflated_size", None)
        if ev.rsv1 and inflated is not None:  # RFC 7692: RSV1 marks a compressed message
            shown = " ".join(preview[i : i + 2] for i in range(0, min(len(preview), 64), 2))
            return f"[deflate → {inflated} B] {shown}"
        if not ev.payload_preview_is_text:
            return " ".join(preview[i : i + 2] for i in range(0, min(len(preview), 96), 2))
        return preview[:200].replace("\n", "⏎")


_HEADER_TIPS = {
    "Conn": "Connection id (one per WebSocket handshake)",
    "Dir": "in: client → server (must be masked); out: server → client (never masked)",
    "Time": "Time since the connection's handshake",
    "Opcode": "RFC 6455 §5.2 opcode",
    "FIN": "1 on the last frame of a message",
    "RSV1": "Set on the first frame of a permessage-deflate compressed message",
    "MASK": "1 when the payload is masked with a 4-byte key",
    "Length": "Payload length in bytes",
    "Len bits": "How the length is encoded: 7 bits, or 7-bit marker 126/127 + 16/64 bits",
    "Wire": "Bytes on the wire: header + payload",
    "Payload": "Unmasked payload (text, or hex for binary)",
}


class FrameFilterProxy(QSortFilterProxyModel):
    """Filters the frames by direction, opcode group and connection."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._direction: str | None = None  # "in", "out" or None for both
        self._opcodes: frozenset[int] | None = None  # None: every opcode
        self._connection: int | None = None  # None: every connection

    def set_direction(self, direction: str | None) -> None:
        self._change(lambda: setattr(self, "_direction", direction))

    def set_opcodes(self, opcodes: Iterable[int] | None) -> None:
        group = None if opcodes is None else frozenset(opcodes)
        self._change(lambda: setattr(self, "_opcodes", group))

    def set_connection(self, connection_id: int | None) -> None:
        self._change(lambda: setattr(self, "_connection", connection_id))

    def _change(self, apply: Callable[[], None]) -> None:
        # Qt 6.9+ wants begin/endFilterChange around the change (invalidateFilter is deprecated)
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            apply()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # older Qt
            apply()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, FramesModel):
            return True
        ev = model.frame(source_row)
        if ev is None:
            return False
        if self._direction is not None and ev.direction != self._direction:
            return False
        if self._opcodes is not None and ev.opcode not in self._opcodes:
            return False
        return self._connection is None or ev.connection_id == self._connection
