"""One row per request the engine served, built from its events.

The engine reports a request as a run of events sharing a ``request_id``; this model folds them
into a row (method, path, status, thread, how long, how many events, whether anything failed)
so the timeline can be narrowed to one request. Bounded like the timeline.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from engine.events import EVENT_TYPES, Event

from .base import TitledTableModel
from .describe import FLAG_ERROR, FLAG_SHORT, FLAGGED_KINDS, ThreadNames, event_flag

__all__ = ["RequestInfo", "RequestsModel"]

_Index = QModelIndex | QPersistentModelIndex

# Kinds that only count toward a row (no field shown, no flag): most of every request.
_ROW_KINDS = {
    "request_ctx_pushed",
    "request_finished",
    "app_ctx_popped",
    "paused",
    "resumed",
    "ws_handshake",
}
_PLAIN_KINDS = frozenset(EVENT_TYPES) - _ROW_KINDS - FLAGGED_KINDS

_ERROR_BG = QBrush(QColor("#f8d7da"))
_PAUSED_BG = QBrush(QColor("#cfe2ff"))
_SHORT_BG = QBrush(QColor("#fff3cd"))


class RequestInfo:
    """What the window knows about one request so far."""

    __slots__ = (
        "client_id",
        "done",
        "error",
        "events",
        "first_ns",
        "last_ns",
        "method",
        "path",
        "paused",
        "request_id",
        "short_circuit",
        "status",
        "thread",
        "url",
        "websocket",
    )

    def __init__(self, request_id: int, thread: int, t_ns: int) -> None:
        self.request_id = request_id  # the engine's id
        self.thread = thread  # ident of the thread that served it
        self.client_id: str | None = None  # the X-Request-Id it was sent with, if any
        self.method = ""  # from request_ctx_pushed
        self.path = ""
        self.url = ""  # full URL as the engine saw it, to match the composer's exchanges
        self.status: int | None = None  # from request_finished
        self.events = 0  # how many events it produced
        self.first_ns = t_ns  # first and latest event times
        self.last_ns = t_ns
        self.error = False  # an exception or failing hook happened
        self.short_circuit = False  # a before_request answered instead of the view
        self.paused = False  # a breakpoint holds it right now
        self.done = False  # its app context was popped
        self.websocket = False  # it was a WebSocket handshake


class RequestsModel(TitledTableModel):
    """Requests in order of their first event, capped at ``cap``."""

    HEADERS = ("req", "method", "path", "status", "thread", "ms", "events")

    def __init__(self, threads: ThreadNames | None = None, cap: int = 10_000, parent: Any = None):
        super().__init__(parent)
        self._threads = threads or ThreadNames()  # shared short thread names
        self._cap = max(10, cap)  # rows kept at most
        self._rows: list[RequestInfo] = []  # oldest first
        self._by_id: dict[int, RequestInfo] = {}  # request_id -> row
        self._row_of: dict[int, int] = {}  # request_id -> row number, rebuilt on trim

    def ingest(self, events: list[Event]) -> None:
        by_id = self._by_id
        new: list[RequestInfo] = []
        changed: set[int] = set()
        for ev in events:
            rid = ev.request_id
            if rid is None:
                continue
            info = by_id.get(rid)
            if info is None:
                info = by_id[rid] = RequestInfo(rid, ev.thread, ev.t_ns)
                new.append(info)
            else:
                changed.add(rid)
            info.events += 1
            info.last_ns = ev.t_ns
            kind = ev.kind
            if kind in _PLAIN_KINDS:
                continue  # nothing of these shows in the row but the count and the time
            d = ev.as_dict()
            if kind == "request_ctx_pushed" and not info.method:
                info.method = d["method"]
                info.path = d["path"]
                info.url = d.get("url") or ""
                info.client_id = d.get("client_request_id")
            elif kind == "request_finished":
                info.status = d["status"]
            elif kind == "app_ctx_popped":
                info.done = True
            elif kind == "paused":
                info.paused = True
            elif kind == "resumed":
                info.paused = False
            elif kind == "ws_handshake":
                info.websocket = True
                info.path = info.path or d.get("path", "")
                if info.status is None:
                    info.status = d.get("status")
            flag = event_flag(ev)
            if flag == FLAG_ERROR:
                info.error = True
            elif flag == FLAG_SHORT:
                info.short_circuit = True
        if changed:
            rows = [self._row_of[rid] for rid in changed if rid in self._row_of]
            if rows:
                self.dataChanged.emit(
                    self.index(min(rows), 0), self.index(max(rows), len(self.HEADERS) - 1)
                )
        if new:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
            for i, info in enumerate(new):
                self._row_of[info.request_id] = start + i
            self._rows.extend(new)
            self.endInsertRows()
        self._trim()

    def _trim(self) -> None:
        excess = len(self._rows) - self._cap
        if excess <= 0:
            return
        n = min(len(self._rows), excess + self._cap // 10)
        self.beginRemoveRows(QModelIndex(), 0, n - 1)
        for info in self._rows[:n]:
            self._by_id.pop(info.request_id, None)
        del self._rows[:n]
        self._row_of = {info.request_id: i for i, info in enumerate(self._rows)}
        self.endRemoveRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self._by_id.clear()
        self._row_of.clear()
        self.endResetModel()

    def info(self, row: int) -> RequestInfo:
        return self._rows[row]

    def get(self, request_id: int) -> RequestInfo | None:
        return self._by_id.get(request_id)

    def row_for(self, request_id: int) -> int:
        """The row of ``request_id``, or -1."""
        return self._row_of.get(request_id, -1)

    def _row_count(self) -> int:
        return len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        info = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return str(info.request_id)
            if col == 1:
                return "WS" if info.websocket and not info.method else info.method
            if col == 2:
                return info.path
            if col == 3:
                if info.paused:
                    return "paused"
                if info.status is None:
                    return "…" if not info.done else ""
                return str(info.status)
            if col == 4:
                return self._threads.name(info.thread)
            if col == 5:
                return f"{(info.last_ns - info.first_ns) / 1e6:.1f}"
            if col == 6:
                return str(info.events)
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            if info.paused:
                return _PAUSED_BG
            if info.error or (info.status or 0) >= 500:
                return _ERROR_BG
            if info.short_circuit:
                return _SHORT_BG
            return None
        if role == Qt.ItemDataRole.UserRole:
            return info.request_id
        if role == Qt.ItemDataRole.ToolTipRole and col == 4:
            return f"thread ident {info.thread}"
        return None
