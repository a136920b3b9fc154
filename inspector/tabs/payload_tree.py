"""A read-only tree model over a decoded session payload, types shown as Python sees them.

Flask's tagged JSON brings back tuple, bytes, Markup, UUID and datetime; the Type column names
them so that ``(1, 2)`` is not mistaken for a list or ``Markup('<b>')`` for a plain string.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from markupsafe import Markup
from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

__all__ = ["PayloadTreeModel", "type_label"]

Index = QModelIndex | QPersistentModelIndex
_TAGGED_BRUSH = QBrush(QColor("#8e44ad"))  # types that only tagged JSON can carry
_MAX_CHILDREN = 5000  # rows shown per container; a cookie is at most 4 KiB, this is slack
_MAX_TEXT = 500  # characters of a value shown in a cell


def type_label(value: Any) -> str:
    """The Python type shown for ``value`` (Markup before str: it is a str subclass)."""
    if isinstance(value, Markup):
        return "Markup"
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "None"
    if isinstance(value, uuid.UUID):
        return "UUID"
    if isinstance(value, datetime):
        return "datetime"
    return type(value).__name__


_TAGGED = frozenset({"tuple", "bytes", "Markup", "UUID", "datetime"})


def _display(value: Any) -> str:
    if isinstance(value, dict):
        return f"{{…}} {len(value)} keys"
    if isinstance(value, list | tuple):
        return f"[…] {len(value)} items" if isinstance(value, list) else f"(…) {len(value)} items"
    if isinstance(value, Markup):
        text = f"Markup({str(value)!r})"
    elif isinstance(value, datetime):
        text = value.isoformat()
    elif isinstance(value, uuid.UUID):
        text = str(value)
    else:
        text = repr(value)
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


class _Node:
    __slots__ = ("children", "key", "parent", "row", "value")

    def __init__(self, key: str, value: Any, parent: _Node | None, row: int) -> None:
        self.key = key  # dict key or [index]
        self.value = value  # the Python value
        self.parent = parent  # None for the invisible root
        self.row = row  # index among the parent's children
        self.children: list[_Node] = []  # built eagerly; payloads are small


def _build(node: _Node) -> None:
    # iterative, so a deeply nested payload cannot exhaust the stack
    stack = [node]
    while stack:
        cur = stack.pop()
        v = cur.value
        if isinstance(v, dict):
            items = [(str(k) if isinstance(k, str) else repr(k), x) for k, x in v.items()]
        elif isinstance(v, list | tuple):
            items = [(f"[{i}]", x) for i, x in enumerate(v)]
        else:
            continue
        for i, (k, x) in enumerate(items[:_MAX_CHILDREN]):
            child = _Node(k, x, cur, i)
            cur.children.append(child)
            stack.append(child)


class PayloadTreeModel(QAbstractItemModel):
    """Columns: Key, Value, Type. The top level is the payload itself."""

    HEADERS = ("Key", "Value", "Type")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = _Node("", None, None, 0)  # invisible root; its one child is the payload
        self._empty = True  # no payload set

    def set_payload(self, payload: Any, *, empty: bool = False) -> None:
        self.beginResetModel()
        self._root = _Node("", None, None, 0)
        self._empty = empty
        if not empty:
            top = _Node("session", payload, self._root, 0)
            self._root.children.append(top)
            _build(top)
        self.endResetModel()

    def clear(self) -> None:
        self.set_payload(None, empty=True)

    def find(self, *path: str) -> QModelIndex:
        """Index (column 0) of the node reached by keys below the top, e.g. ``find("user")``."""
        parent = self.index(0, 0)
        for key in path:
            node = self._node(parent)
            match = next((c for c in node.children if c.key == key), None) if node else None
            if match is None:
                return QModelIndex()
            parent = self.createIndex(match.row, 0, match)
        return parent

    def _node(self, index: Index) -> _Node | None:
        if not index.isValid():
            return self._root
        node = index.internalPointer()
        return node if isinstance(node, _Node) else None

    # --- model ------------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(self.HEADERS) or row < 0:
            return QModelIndex()
        node = self._node(parent)
        if node is None or (parent.isValid() and parent.column() != 0):
            return QModelIndex()
        if row >= len(node.children):
            return QModelIndex()
        return self.createIndex(row, column, node.children[row])

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        node = self._node(index)
        if node is None or node.parent is None or node.parent is self._root:
            return QModelIndex()
        return self.createIndex(node.parent.row, 0, node.parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        node = self._node(parent)
        return len(node.children) if node is not None else 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        if node is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return node.key
            if col == 1:
                return _display(node.value)
            return type_label(node.value)
        if role == Qt.ItemDataRole.ToolTipRole and col == 1:
            text = repr(node.value)
            return text[:2000]
        if role == Qt.ItemDataRole.ForegroundRole and col == 2:
            return _TAGGED_BRUSH if type_label(node.value) in _TAGGED else None
        return None
