"""A two-column name/value table that always keeps one empty row to type into."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

__all__ = ["KeyValueEditor"]


class KeyValueEditor(QTableWidget):
    """Pairs edited in place; ``pairs()`` skips rows with an empty name."""

    def __init__(self, key_label: str = "name", value_label: str = "value", parent: Any = None):
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels([key_label, value_label])
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setColumnWidth(0, 160)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(24)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.AllEditTriggers
            & ~QAbstractItemView.EditTrigger.CurrentChanged
        )
        self._ensure_blank()
        self.itemChanged.connect(self._ensure_blank)

    def _ensure_blank(self, *_: Any) -> None:
        rows = self.rowCount()
        if rows == 0 or self._row_text(rows - 1) != ("", ""):
            self.blockSignals(True)
            self.insertRow(rows)
            self.setItem(rows, 0, QTableWidgetItem(""))
            self.setItem(rows, 1, QTableWidgetItem(""))
            self.blockSignals(False)

    def _row_text(self, row: int) -> tuple[str, str]:
        a, b = self.item(row, 0), self.item(row, 1)
        return (a.text() if a else "", b.text() if b else "")

    def pairs(self) -> list[tuple[str, str]]:
        out = []
        for row in range(self.rowCount()):
            name, value = self._row_text(row)
            if name.strip():
                out.append((name.strip(), value))
        return out

    def set_pairs(self, pairs: list[tuple[str, str]] | list[list[str]]) -> None:
        self.blockSignals(True)
        self.setRowCount(0)
        for name, value in pairs:
            row = self.rowCount()
            self.insertRow(row)
            self.setItem(row, 0, QTableWidgetItem(name))
            self.setItem(row, 1, QTableWidgetItem(value))
        self.blockSignals(False)
        self._ensure_blank()
