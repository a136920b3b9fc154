"""The lifecycle timeline: every event kept, oldest first, bounded.

Rows are the engine's own ``Event`` objects plus two numbers computed once at ingest (time since
the request's first event, time since the request's previous event); everything else is read
from the event when a cell is painted. The history is capped: past ``cap`` rows the oldest are
dropped in chunks (one ``beginRemoveRows`` each), so memory stops growing however long the
window runs.

A filter narrows the rows to one request; the unfiltered list is kept so the filter can be
changed or cleared without losing anything.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from engine.events import Event

from .describe import (
    FLAG_ERROR,
    FLAG_NONE,
    FLAG_PAUSED,
    FLAG_SHORT,
    ThreadNames,
    event_detail,
    event_flag,
    hook_label,
)

__all__ = ["DEFAULT_CAP", "TimelineModel", "TimelineRow"]

DEFAULT_CAP = 100_000

_Index = QModelIndex | QPersistentModelIndex

_BACKGROUNDS = {
    FLAG_ERROR: QBrush(QColor("#f8d7da")),
    FLAG_SHORT: QBrush(QColor("#fff3cd")),
    FLAG_PAUSED: QBrush(QColor("#cfe2ff")),
}
_FOREGROUNDS = {
    FLAG_ERROR: QBrush(QColor("#842029")),
    FLAG_SHORT: QBrush(QColor("#664d03")),
    FLAG_PAUSED: QBrush(QColor("#084298")),
}


class TimelineRow:
    """One event and its timing within its request."""

    __slots__ = ("delta_ns", "event", "flag", "offset_ns")

    def __init__(self, event: Event, offset_ns: int, delta_ns: int, flag: int) -> None:
        self.event = event  # the engine's event, never copied
        self.offset_ns = offset_ns  # since the first event of the same request
        self.delta_ns = delta_ns  # since the previous event of the same request
        self.flag = flag  # FLAG_* for highlighting


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.3f}"


class TimelineModel(QAbstractTableModel):
    """Every event in arrival order (optionally one request's), capped at ``cap`` rows."""

    HEADERS = (
        "seq",
        "req",
        "thread",
        "+ms",
        "Δms",
        "kind",
        "hook / view  [blueprint]",
        "app/req",
        "detail",
    )
    COL_SEQ, COL_REQ, COL_THREAD, COL_OFFSET, COL_DELTA, COL_KIND, COL_HOOK, COL_DEPTH, COL_DETAIL = (
        range(9)
    )

    def __init__(
        self,
        threads: ThreadNames | None = None,
        cap: int = DEFAULT_CAP,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._threads = threads or ThreadNames()  # T1, T2 ... shared with other views
        self._cap = max(10, cap)  # rows kept at most
        self._chunk = max(1, self._cap // 10)  # rows dropped at once when over the cap
        self._all: list[TimelineRow] = []  # every kept row, oldest first
        self._rows: list[TimelineRow] = self._all  # what the view shows (all or filtered)
        self._filter: int | None = None  # the request shown, None for all
        self._kind_filter: frozenset[str] | None = None  # kinds hidden, None for none
        self._first: dict[int, int] = {}  # request_id -> t_ns of its first event
        self._last: dict[int, int] = {}  # request_id -> t_ns of its latest event
        self._last_seq: dict[int, int] = {}  # request_id -> seq of its latest event
        self._bold = QFont()  # kinds that change a stack are drawn bold
        self._bold.setBold(True)

    # --- feeding -------------------------------------------------------------------------------

    def ingest(self, events: list[Event]) -> None:
        """Append a batch (one insert notification) and drop the oldest past the cap."""
        if not events:
            return
        first, last, last_seq = self._first, self._last, self._last_seq
        new: list[TimelineRow] = []
        append = new.append
        for ev in events:
            rid = ev.request_id
            t = ev.t_ns
            if rid is None:
                append(TimelineRow(ev, 0, 0, event_flag(ev)))
                continue
            start = first.get(rid)
            if start is None:
                first[rid] = last[rid] = t
                last_seq[rid] = ev.seq
                append(TimelineRow(ev, 0, 0, event_flag(ev)))
            else:
                append(TimelineRow(ev, t - start, t - last[rid], event_flag(ev)))
                last[rid] = t
                last_seq[rid] = ev.seq
        if self._rows is self._all:
            start = len(self._all)
            self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
            self._all.extend(new)
            self.endInsertRows()
        else:
            self._all.extend(new)
            shown = [r for r in new if self._accepts(r)]
            if shown:
                start = len(self._rows)
                self.beginInsertRows(QModelIndex(), start, start + len(shown) - 1)
                self._rows.extend(shown)
                self.endInsertRows()
        self._trim()

    def _accepts(self, row: TimelineRow) -> bool:
        if self._filter is not None and row.event.request_id != self._filter:
            return False
        return not (self._kind_filter and row.event.kind in self._kind_filter)

    def _trim(self) -> None:
        excess = len(self._all) - self._cap
        if excess <= 0:
            return
        n = excess + self._chunk - 1  # drop a whole chunk so trims stay rare
        n = min(n, len(self._all))
        cutoff_seq = self._all[n - 1].event.seq
        dropped = self._all[:n]
        if self._rows is self._all:
            self.beginRemoveRows(QModelIndex(), 0, n - 1)
            del self._all[:n]
            self.endRemoveRows()
        else:
            del self._all[:n]
            gone = {id(r) for r in dropped}
            k = 0
            while k < len(self._rows) and id(self._rows[k]) in gone:
                k += 1
            if k:
                self.beginRemoveRows(QModelIndex(), 0, k - 1)
                del self._rows[:k]
                self.endRemoveRows()
        # Forget the timing of requests none of whose rows is left.
        last_seq = self._last_seq
        for row in dropped:
            rid = row.event.request_id
            if rid is not None and last_seq.get(rid, cutoff_seq + 1) <= cutoff_seq:
                del last_seq[rid]
                self._first.pop(rid, None)
                self._last.pop(rid, None)

    def clear(self) -> None:
        self.beginResetModel()
        self._all = []
        self._rows = self._all if self._filter is None and not self._kind_filter else []
        self._first.clear()
        self._last.clear()
        self._last_seq.clear()
        self.endResetModel()

    # --- filtering -----------------------------------------------------------------------------

    def set_request_filter(self, request_id: int | None) -> None:
        """Show only ``request_id``'s events (None: all)."""
        if request_id == self._filter:
            return
        self._filter = request_id
        self._refilter()

    def set_hidden_kinds(self, kinds: set[str] | frozenset[str] | None) -> None:
        """Hide events of these kinds (e.g. local_set noise)."""
        self._kind_filter = frozenset(kinds) if kinds else None
        self._refilter()

    def _refilter(self) -> None:
        self.beginResetModel()
        if self._filter is None and not self._kind_filter:
            self._rows = self._all
        else:
            self._rows = [r for r in self._all if self._accepts(r)]
        self.endResetModel()

    @property
    def request_filter(self) -> int | None:
        return self._filter

    @property
    def cap(self) -> int:
        return self._cap

    def total(self) -> int:
        """Events kept, whatever the filter."""
        return len(self._all)

    def row_of(self, r: int) -> TimelineRow:
        return self._rows[r]

    def event_at(self, r: int) -> Event:
        return self._rows[r].event

    def events(self) -> list[Event]:
        """Every kept event, oldest first (captures save these)."""
        return [r.event for r in self._all]

    def find_seq(self, seq: int) -> int:
        """The visible row of event ``seq``, or -1."""
        rows = self._rows
        lo, hi = 0, len(rows)
        while lo < hi:  # rows are in seq order per app; bisect, then scan for safety
            mid = (lo + hi) // 2
            if rows[mid].event.seq < seq:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(rows) and rows[lo].event.seq == seq:
            return lo
        for i, row in enumerate(rows):
            if row.event.seq == seq:
                return i
        return -1

    # --- Qt model API --------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self.HEADERS):
                return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = index.row()
        if r >= len(self._rows):
            return None
        row = self._rows[r]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, index.column())
        if role == Qt.ItemDataRole.BackgroundRole:
            return _BACKGROUNDS.get(row.flag) if row.flag != FLAG_NONE else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return _FOREGROUNDS.get(row.flag) if row.flag != FLAG_NONE else None
        if role == Qt.ItemDataRole.ToolTipRole:
            col = index.column()
            if col == self.COL_THREAD:
                return f"thread ident {row.event.thread}"
            if col == self.COL_HOOK:
                return row.event.name
            if col == self.COL_DETAIL:
                return event_detail(row.event)
            return None
        if role == Qt.ItemDataRole.FontRole and index.column() == self.COL_KIND:
            kind = row.event.kind
            if kind.endswith(("_pushed", "_popped")):
                return self._bold
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (
            self.COL_SEQ,
            self.COL_REQ,
            self.COL_OFFSET,
            self.COL_DELTA,
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return row.event.seq
        return None

    def _display(self, row: TimelineRow, column: int) -> str:
        ev = row.event
        if column == self.COL_SEQ:
            return str(ev.seq)
        if column == self.COL_REQ:
            return "" if ev.request_id is None else str(ev.request_id)
        if column == self.COL_THREAD:
            return self._threads.name(ev.thread)
        if column == self.COL_OFFSET:
            return _ms(row.offset_ns)
        if column == self.COL_DELTA:
            return _ms(row.delta_ns)
        if column == self.COL_KIND:
            return ev.kind
        if column == self.COL_HOOK:
            return hook_label(ev)
        if column == self.COL_DEPTH:
            depth = ev.depth or {}
            return f"{depth.get('app', 0)} / {depth.get('request', 0)}"
        if column == self.COL_DETAIL:
            return event_detail(ev)
        return ""
