"""History of sent requests: method, path, status, time; re-send or load back to edit."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.models.history import HistoryModel

from .timeline import configure_table

__all__ = ["HistoryView"]


class HistoryView(QWidget):
    resend = Signal(dict)  # an exchange to send again as it was
    edit = Signal(dict)  # an exchange to load into the composer
    selected = Signal(dict)  # an exchange to show in the response pane

    def __init__(self, model: HistoryModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.model = model  # sent exchanges
        self.table = QTableView()  # the history
        self.table.setModel(model)
        configure_table(self.table)
        for col, width in enumerate((36, 64, 60, 150, 50, 60, 44)):
            self.table.setColumnWidth(col, width)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.resend_button = QPushButton("Re-send")  # same request again
        self.edit_button = QPushButton("Edit")  # back into the composer
        self.clear_button = QPushButton("Clear")  # forget the history
        bar = QHBoxLayout()
        bar.addWidget(QLabel("<b>History</b>"))
        bar.addStretch(1)
        for b in (self.resend_button, self.edit_button, self.clear_button):
            bar.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        self.resend_button.clicked.connect(lambda: self._emit(self.resend))
        self.edit_button.clicked.connect(lambda: self._emit(self.edit))
        self.clear_button.clicked.connect(model.clear)
        self.table.doubleClicked.connect(lambda _i: self._emit(self.resend))
        self.table.selectionModel().currentRowChanged.connect(self._changed)

    def _current(self) -> dict[str, Any] | None:
        idx = self.table.currentIndex()
        return self.model.exchange(idx.row()) if idx.isValid() else None

    def _emit(self, signal: Any) -> None:
        ex = self._current()
        if ex is not None:
            signal.emit(ex)

    def _changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.selected.emit(self.model.exchange(current.row()))
