"""The requests the composer sent: one exchange dict per row (the capture format's shape).

An exchange is what ``inspector.capture`` saves: request_id, method, url, request_headers,
request_body, status, response_headers, response_body, started, elapsed_ms; plus "error" when
the request never got a response (connection refused, timeout), which captures ignore.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from .base import TitledTableModel

__all__ = ["HistoryModel"]

_Index = QModelIndex | QPersistentModelIndex
_ERROR_BG = QBrush(QColor("#f8d7da"))


class HistoryModel(TitledTableModel):
    """Sent requests, newest last, capped at ``cap``."""

    HEADERS = ("#", "time", "method", "path", "status", "ms", "req")

    def __init__(self, cap: int = 2_000, parent: Any = None) -> None:
        super().__init__(parent)
        self._cap = max(1, cap)  # rows kept at most
        self._rows: list[dict[str, Any]] = []  # exchanges, oldest first
        self._numbers: list[int] = []  # the running number of each row
        self._next = 1  # number of the next exchange

    def add(self, exchanges: list[dict[str, Any]]) -> None:
        if not exchanges:
            return
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(exchanges) - 1)
        for ex in exchanges:
            self._rows.append(ex)
            self._numbers.append(self._next)
            self._next += 1
        self.endInsertRows()
        excess = len(self._rows) - self._cap
        if excess > 0:
            self.beginRemoveRows(QModelIndex(), 0, excess - 1)
            del self._rows[:excess]
            del self._numbers[:excess]
            self.endRemoveRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self._numbers.clear()
        self.endResetModel()

    def exchange(self, row: int) -> dict[str, Any]:
        return self._rows[row]

    def exchanges(self) -> list[dict[str, Any]]:
        """Completed exchanges (with a response), for captures and HAR."""
        return [ex for ex in self._rows if ex.get("status") is not None]

    def _row_count(self) -> int:
        return len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        ex = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return str(self._numbers[index.row()])
            if col == 1:
                return time.strftime("%H:%M:%S", time.localtime(ex.get("started") or 0))
            if col == 2:
                return ex.get("method", "")
            if col == 3:
                parts = urlsplit(ex.get("url", ""))
                return parts.path + (f"?{parts.query}" if parts.query else "")
            if col == 4:
                if ex.get("error"):
                    return "error"
                return "" if ex.get("status") is None else str(ex["status"])
            if col == 5:
                return f"{ex.get('elapsed_ms', 0.0):.1f}"
            if col == 6:
                rid = ex.get("request_id")
                return "" if rid is None else str(rid)
            return None
        if role == Qt.ItemDataRole.BackgroundRole and (
            ex.get("error") or (ex.get("status") or 0) >= 500
        ):
            return _ERROR_BG
        if role == Qt.ItemDataRole.ToolTipRole:
            return ex.get("error") or ex.get("url")
        return None
