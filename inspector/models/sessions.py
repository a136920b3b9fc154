"""Per request: the session as opened and as saved, from session_opened / session_saved."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from engine.events import Event

from .base import TitledTableModel
from .describe import short_json

__all__ = ["SessionRecord", "SessionsModel"]

_Index = QModelIndex | QPersistentModelIndex


class SessionRecord:
    __slots__ = ("opened", "request_id", "saved")

    def __init__(self, request_id: int) -> None:
        self.request_id = request_id  # the request the session belonged to
        self.opened: Event | None = None  # session_opened
        self.saved: Event | None = None  # session_saved (absent for a null session)


def _yes(flag: Any) -> str:
    return "yes" if flag else "no"


class SessionsModel(TitledTableModel):
    """One row per request that opened a session, oldest first, capped."""

    HEADERS = ("req", "verdict", "before", "after", "accessed", "modified", "Set-Cookie")

    def __init__(self, cap: int = 10_000, parent: Any = None) -> None:
        super().__init__(parent)
        self._cap = max(10, cap)  # rows kept at most
        self._rows: list[SessionRecord] = []  # oldest first
        self._by_id: dict[int, int] = {}  # request_id -> row

    def ingest(self, events: list[Event]) -> None:
        new: list[SessionRecord] = []
        changed: list[int] = []
        pending: dict[int, SessionRecord] = {}
        for ev in events:
            kind = ev.kind
            if kind != "session_opened" and kind != "session_saved":
                continue
            rid = ev.request_id
            if rid is None:
                continue
            row = self._by_id.get(rid)
            if row is not None:
                rec = self._rows[row]
                changed.append(row)
            else:
                rec = pending.get(rid)
                if rec is None:
                    rec = pending[rid] = SessionRecord(rid)
                    new.append(rec)
            if kind == "session_opened":
                rec.opened = ev
            else:
                rec.saved = ev
        if changed:
            self.dataChanged.emit(
                self.index(min(changed), 0), self.index(max(changed), len(self.HEADERS) - 1)
            )
        if new:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
            for i, rec in enumerate(new):
                self._by_id[rec.request_id] = start + i
            self._rows.extend(new)
            self.endInsertRows()
        excess = len(self._rows) - self._cap
        if excess > 0:
            n = min(len(self._rows), excess + self._cap // 10)
            self.beginRemoveRows(QModelIndex(), 0, n - 1)
            del self._rows[:n]
            self._by_id = {rec.request_id: i for i, rec in enumerate(self._rows)}
            self.endRemoveRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self._by_id.clear()
        self.endResetModel()

    def record(self, row: int) -> SessionRecord:
        return self._rows[row]

    def row_for(self, request_id: int) -> int:
        return self._by_id.get(request_id, -1)

    def _row_count(self) -> int:
        return len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        rec = self._rows[index.row()]
        o = rec.opened.as_dict() if rec.opened is not None else {}
        s = rec.saved.as_dict() if rec.saved is not None else {}
        col = index.column()
        if col == 0:
            return str(rec.request_id)
        if col == 1:
            return str(o.get("verdict", ""))
        if col == 2:
            return short_json(s.get("before", o.get("session")), 60) if (o or s) else ""
        if col == 3:
            return short_json(s["after"], 60) if s else "(not saved)"
        if col == 4:
            return _yes(s.get("accessed")) if s else ""
        if col == 5:
            return _yes(s.get("modified")) if s else ""
        if col == 6:
            if not s:
                return ""
            if s.get("deleted"):
                return "deleted"
            return "sent" if s.get("set_cookie") else "—"
        return None
