"""The cookie workbench's secret keys: an editable list in Flask's order, fallbacks first and
the current (signing) key last, as ``[*SECRET_KEY_FALLBACKS, SECRET_KEY]``."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from inspector.tabs.style import mono

__all__ = ["SecretKeysBox"]

_KEY = Qt.ItemDataRole.UserRole  # the key itself; the item's text is only what is shown


class SecretKeysBox(QGroupBox):
    """Add, remove, reorder and edit keys; ``changed`` after every change."""

    changed = Signal()  # the keys or their order changed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Secret keys (fallbacks first, current last)", parent)
        kv = QHBoxLayout(self)
        self.keys_list = QListWidget()  # editable list of keys; the last is the current key
        self.keys_list.setFont(mono())
        self.keys_list.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.keys_list.setFixedHeight(92)
        kv.addWidget(self.keys_list, 1)
        kb = QVBoxLayout()
        self.add_key_btn = QPushButton("Add")
        self.remove_key_btn = QPushButton("Remove")
        self.up_key_btn = QPushButton("Up")
        self.down_key_btn = QPushButton("Down")
        for b in (self.add_key_btn, self.remove_key_btn, self.up_key_btn, self.down_key_btn):
            b.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            kb.addWidget(b)
        kb.addStretch(1)
        kv.addLayout(kb)
        self.keys_list.itemChanged.connect(self._key_edited)
        self.add_key_btn.clicked.connect(self._add_key)
        self.remove_key_btn.clicked.connect(self._remove_key)
        self.up_key_btn.clicked.connect(lambda: self._move_key(-1))
        self.down_key_btn.clicked.connect(lambda: self._move_key(1))

    def set_keys(self, keys: list[str]) -> None:
        self.keys_list.clear()
        for key in keys:
            self._add_key_item(str(key))
        self._mark_current()
        self.changed.emit()

    def keys(self) -> list[str]:
        return [self.keys_list.item(i).data(_KEY) for i in range(self.keys_list.count())]

    def add_fallback(self, key: str) -> bool:
        """Put ``key`` first (a fallback) unless it is there already; whether it was added."""
        if key in self.keys():
            return False
        item = QListWidgetItem(key)
        item.setData(_KEY, key)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.keys_list.insertItem(0, item)
        self._mark_current()
        self.changed.emit()
        return True

    def _add_key_item(self, key: str) -> QListWidgetItem:
        item = QListWidgetItem(key)
        item.setData(_KEY, key)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.keys_list.blockSignals(True)
        self.keys_list.addItem(item)
        self.keys_list.blockSignals(False)
        return item

    def _mark_current(self) -> None:
        # the label shows the role; UserRole keeps the key itself, so editing stays exact
        self.keys_list.blockSignals(True)
        n = self.keys_list.count()
        for i in range(n):
            item = self.keys_list.item(i)
            key = item.data(_KEY)
            item.setText(key)
            item.setToolTip("current key (signs)" if i == n - 1 else f"fallback key #{i}")
            font = item.font()
            font.setBold(i == n - 1)
            item.setFont(font)
        self.keys_list.blockSignals(False)

    def _key_edited(self, item: QListWidgetItem) -> None:
        item.setData(_KEY, item.text())
        self.changed.emit()

    def _add_key(self) -> None:
        item = self._add_key_item("new-secret-key")
        self._mark_current()
        self.keys_list.setCurrentItem(item)
        self.keys_list.editItem(item)
        self.changed.emit()

    def _remove_key(self) -> None:
        row = self.keys_list.currentRow()
        if row >= 0:
            self.keys_list.takeItem(row)
            self._mark_current()
            self.changed.emit()

    def _move_key(self, delta: int) -> None:
        row = self.keys_list.currentRow()
        new = row + delta
        if row < 0 or not 0 <= new < self.keys_list.count():
            return
        self.keys_list.blockSignals(True)
        item = self.keys_list.takeItem(row)
        self.keys_list.insertItem(new, item)
        self.keys_list.setCurrentRow(new)
        self.keys_list.blockSignals(False)
        self._mark_current()
        self.changed.emit()
