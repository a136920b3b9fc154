"""The lifecycle timeline: every event kept, oldest first, bounded.

Rows are the engine's own ``Event`` objects plus two numbers computed once at ingest (time since
the request's first event, time since the request's previous event) and a highlight flag,
kept in parallel arrays rather than one Python object per row: ingest is the hot path, and a
row object per event would also give the garbage collector hundreds of thousands more objects
to walk. Everything else is read from the event when a cell is painted. The history is capped:
past ``cap`` rows the oldest are dropped in chunks (one ``beginRemoveRows`` each), so memory
stops growing however long the window runs.

A filter narrows the rows to one request (and can hide kinds); the unfiltered store is kept so
the filter can be changed or cleared without losing anything.
"""

from __future__ import annotations

from array import array
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from engine.events import Event

from .base import TitledTableModel
from .describe import (
    FLAG_ERROR,
    FLAG_PAUSED,
    FLAG_SHORT,
    ThreadNames,
    event_detail,
    event_flag,
    hook_label,
    hook_tooltip,
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
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_USER = int(Qt.ItemDataRole.UserRole)
_HANDLED = frozenset({_DISPLAY, _BACKGROUND, _FOREGROUND, _TOOLTIP, _FONT, _ALIGN, _USER})
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class TimelineRow:
    """One row as the window reads it (built on demand, not stored)."""

    __slots__ = ("delta_ns", "event", "flag", "offset_ns")

    def __init__(self, event: Event, offset_ns: int, delta_ns: int, flag: int) -> None:
        self.event = event  # the engine's event, never copied
        self.offset_ns = offset_ns  # since the first event of the same request
        self.delta_ns = delta_ns  # since the previous event of the same request
        self.flag = flag  # FLAG_* for highlighting


class _Rows:
    """Parallel arrays: events, offsets, deltas, flags."""

    __slots__ = ("delta", "events", "flag", "offset")

    def __init__(self) -> None:
        self.events: list[Event] = []  # oldest first
        self.offset = array("q")  # ns since the request's first event
        self.delta = array("q")  # ns since the request's previous event
        self.flag = bytearray()  # FLAG_*

    def __len__(self) -> int:
        return len(self.events)

    def extend(self, other: _Rows) -> None:
        self.events.extend(other.events)
        self.offset.extend(other.offset)
        self.delta.extend(other.delta)
        self.flag.extend(other.flag)

    def drop_front(self, n: int) -> None:
        del self.events[:n]
        del self.offset[:n]
        del self.delta[:n]
        del self.flag[:n]

    def subset(self, keep: Any) -> _Rows:
        out = _Rows()
        for i, ev in enumerate(self.events):
            if keep(ev):
                out.events.append(ev)
                out.offset.append(self.offset[i])
                out.delta.append(self.delta[i])
                out.flag.append(self.flag[i])
        return out


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.3f}"


class TimelineModel(TitledTableModel):
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
    (
        COL_SEQ,
        COL_REQ,
        COL_THREAD,
        COL_OFFSET,
        COL_DELTA,
        COL_KIND,
        COL_HOOK,
        COL_DEPTH,
        COL_DETAIL,
    ) = range(9)

    def __init__(
        self,
        threads: ThreadNames | None = None,
        cap: int = DEFAULT_CAP,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._threads = threads or ThreadNames()  # T1, T2 ... shared with other views
        self._cap = max(10, cap)  # rows kept at most
        self._chunk = max(1, self._cap // 20)  # rows dropped at once when over the cap
        self._all = _Rows()  # every kept row, oldest first
        self._rows = self._all  # what the view shows (all, or a filtered subset)
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
        new = _Rows()
        offsets, deltas, flags = new.offset, new.delta, new.flag
        for ev in events:
            rid = ev.request_id
            if rid is None:
                offsets.append(0)
                deltas.append(0)
            else:
                t = ev.t_ns
                start = first.get(rid)
                if start is None:
                    first[rid] = last[rid] = t
                    offsets.append(0)
                    deltas.append(0)
                else:
                    offsets.append(t - start)
                    deltas.append(t - last[rid])
                    last[rid] = t
                last_seq[rid] = ev.seq
            flags.append(event_flag(ev))
        new.events = events if isinstance(events, list) else list(events)
        if self._rows is self._all:
            start_row = len(self._all)
            self.beginInsertRows(QModelIndex(), start_row, start_row + len(new) - 1)
            self._all.extend(new)
            self.endInsertRows()
        else:
            self._all.extend(new)
            shown = new.subset(self._accepts)
            if len(shown):
                start_row = len(self._rows)
                self.beginInsertRows(QModelIndex(), start_row, start_row + len(shown) - 1)
                self._rows.extend(shown)
                self.endInsertRows()
        self._trim()

    def _accepts(self, ev: Event) -> bool:
        if self._filter is not None and ev.request_id != self._filter:
            return False
        return not (self._kind_filter and ev.kind in self._kind_filter)

    def _trim(self) -> None:
        excess = len(self._all) - self._cap
        if excess <= 0:
            return
        n = min(len(self._all), excess + self._chunk - 1)  # a whole chunk: trims stay rare
        dropped = self._all.events[:n]
        cutoff_seq = dropped[-1].seq
        if self._rows is self._all:
            self.beginRemoveRows(QModelIndex(), 0, n - 1)
            self._all.drop_front(n)
            self.endRemoveRows()
        else:
            self._all.drop_front(n)
            gone = {id(ev) for ev in dropped}
            shown = self._rows.events
            k = 0
            while k < len(shown) and id(shown[k]) in gone:
                k += 1
            if k:
                self.beginRemoveRows(QModelIndex(), 0, k - 1)
                self._rows.drop_front(k)
                self.endRemoveRows()
        # Forget the timing of requests none of whose rows is left.
        last_seq = self._last_seq
        for ev in dropped:
            rid = ev.request_id
            if rid is not None and last_seq.get(rid, cutoff_seq + 1) <= cutoff_seq:
                del last_seq[rid]
                self._first.pop(rid, None)
                self._last.pop(rid, None)

    def clear(self) -> None:
        self.beginResetModel()
        self._all = _Rows()
        self._rows = self._all if self._filter is None and not self._kind_filter else _Rows()
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
            self._rows = self._all.subset(self._accepts)
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
        rows = self._rows
        return TimelineRow(rows.events[r], rows.offset[r], rows.delta[r], rows.flag[r])

    def event_at(self, r: int) -> Event:
        return self._rows.events[r]

    def events(self) -> list[Event]:
        """Every kept event, oldest first (captures save these)."""
        return list(self._all.events)

    def find_seq(self, seq: int) -> int:
        """The visible row of event ``seq``, or -1."""
        events = self._rows.events
        lo, hi = 0, len(events)
        while lo < hi:  # rows are in seq order per app; bisect, then scan for safety
            mid = (lo + hi) // 2
            if events[mid].seq < seq:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(events) and events[lo].seq == seq:
            return lo
        for i, ev in enumerate(events):
            if ev.seq == seq:
                return i
        return -1

    # --- Qt model API --------------------------------------------------------------------------

    def _row_count(self) -> int:
        return len(self._rows.events)

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        # Called for every visible cell and role on every repaint: cheapest checks first.
        if role not in _HANDLED:
            return None
        r = index.row()
        rows = self._rows
        if r < 0 or r >= len(rows.events):
            return None
        col = index.column()
        if role == _DISPLAY:
            return self._display(rows, r, col)
        if role == _BACKGROUND:
            return _BACKGROUNDS.get(rows.flag[r])
        if role == _FOREGROUND:
            return _FOREGROUNDS.get(rows.flag[r])
        if role == _ALIGN:
            return _RIGHT if col <= 1 or col == 3 or col == 4 else None
        if role == _FONT:
            if col == 5 and rows.events[r].kind.endswith(("_pushed", "_popped")):
                return self._bold
            return None
        if role == _USER:
            return rows.events[r].seq
        # tooltip
        ev = rows.events[r]
        if col == self.COL_THREAD:
            return f"thread ident {ev.thread}"
        if col == self.COL_HOOK:
            return hook_tooltip(ev)
        if col == self.COL_DETAIL:
            return event_detail(ev)
        return None

    def _display(self, rows: _Rows, r: int, column: int) -> str:
        ev = rows.events[r]
        if column == 0:
            return str(ev.seq)
        if column == 1:
            return "" if ev.request_id is None else str(ev.request_id)
        if column == 2:
            return self._threads.name(ev.thread)
        if column == 3:
            return _ms(rows.offset[r])
        if column == 4:
            return _ms(rows.delta[r])
        if column == 5:
            return ev.kind
        if column == 6:
            return hook_label(ev)
        if column == 7:
            depth = ev.depth
            return f"{depth.get('app', 0)} / {depth.get('request', 0)}" if depth else ""
        if column == 8:
            return event_detail(ev)
        return ""
