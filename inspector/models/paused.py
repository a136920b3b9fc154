"""The threads a breakpoint holds right now (``app.breakpoints.paused()``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from .base import TitledTableModel
from .describe import ThreadNames, event_detail, hook_label, hook_tooltip

__all__ = ["PausedModel"]

_Index = QModelIndex | QPersistentModelIndex


class PausedModel(TitledTableModel):
    """One row per held thread: which request, after which event, with what depth."""

    HEADERS = (
        "req",
        "thread",
        "after seq",
        "paused after",
        "hook / view",
        "depth app/req",
        "detail",
    )

    def __init__(self, threads: ThreadNames | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._threads = threads or ThreadNames()  # shared short thread names
        self._steps: list[Any] = []  # engine PausedStep(request_id, thread, event)

    def set_steps(self, steps: list[Any]) -> None:
        """Replace the list (it is a handful of rows; a reset keeps it simple)."""
        key = [(s.thread, s.event.seq) for s in steps]
        if key == [(s.thread, s.event.seq) for s in self._steps]:
            return
        self.beginResetModel()
        self._steps = list(steps)
        self.endResetModel()

    def step(self, row: int) -> Any:
        return self._steps[row]

    def steps(self) -> list[Any]:
        return list(self._steps)

    def _row_count(self) -> int:
        return len(self._steps)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._steps):
            return None
        step = self._steps[index.row()]
        ev = step.event
        if role == Qt.ItemDataRole.DisplayRole:
            col = index.column()
            if col == 0:
                return "" if step.request_id is None else str(step.request_id)
            if col == 1:
                return self._threads.name(step.thread)
            if col == 2:
                return str(ev.seq)
            if col == 3:
                return ev.kind
            if col == 4:
                return hook_label(ev)
            if col == 5:
                depth = ev.depth or {}
                return f"{depth.get('app', 0)} / {depth.get('request', 0)}"
            if col == 6:
                return event_detail(ev)
        if role == Qt.ItemDataRole.ToolTipRole:
            col = index.column()
            if col == 4:
                return hook_tooltip(ev)  # the whole name, which a narrow column cuts
            if col == 6:
                return event_detail(ev) or None
            return f"thread ident {step.thread}"
        return None
