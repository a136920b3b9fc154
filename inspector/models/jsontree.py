"""A read-only tree over a JSON-friendly value (the engine's summaries): key, value, type.

Used for a thread's Local storage, a session before/after and anything else the engine
summarizes. ``set_value`` replaces the whole tree (one reset): summaries are small by design
(``engine.summary`` caps them), so rebuilding is cheaper than diffing.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt

__all__ = ["JsonTreeModel"]

_Index = QModelIndex | QPersistentModelIndex


class _Node:
    __slots__ = ("children", "key", "parent", "row", "value")

    def __init__(self, key: str, value: Any, parent: _Node | None, row: int) -> None:
        self.key = key  # the dict key or "[i]"
        self.value = value  # the JSON value at this node
        self.parent = parent  # None for the invisible root
        self.row = row  # index among the parent's children
        self.children: list[_Node] = []  # built eagerly; summaries are capped in size
        if isinstance(value, dict):
            self.children = [_Node(str(k), v, self, i) for i, (k, v) in enumerate(value.items())]
        elif isinstance(value, list):
            self.children = [_Node(f"[{i}]", v, self, i) for i, v in enumerate(value)]


def _preview(value: Any) -> str:
    if isinstance(value, dict):
        # A context summary names itself by "type": show that instead of "{…}".
        kind = value.get("type")
        return f"{kind}  {{{len(value)}}}" if isinstance(kind, str) else f"{{{len(value)} keys}}"
    if isinstance(value, list):
        return f"[{len(value)} items]"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", bool: "bool"}.get(
        type(value), type(value).__name__
    )


class JsonTreeModel(QAbstractItemModel):
    """Key / value / type columns over a JSON value."""

    HEADERS = ("key", "value", "type")

    def __init__(self, value: Any = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._root = _Node("", {}, None, 0)  # invisible root holding the top-level entries
        self._value: Any = None  # what set_value was last given
        if value is not None:
            self.set_value(value)

    def set_value(self, value: Any) -> None:
        """Show ``value`` (a dict's entries or a list's items at the top level)."""
        if value == self._value and self._root.children:
            return  # nothing changed: keep the user's expanded branches
        self.beginResetModel()
        self._value = value
        if isinstance(value, dict | list):
            self._root = _Node("", value, None, 0)
        else:
            self._root = _Node("", {"value": value}, None, 0)
        self.endResetModel()

    def value(self) -> Any:
        return self._value

    def _node(self, index: _Index) -> _Node:
        return index.internalPointer() if index.isValid() else self._root

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(self.HEADERS) or row < 0:
            return QModelIndex()
        if parent.isValid() and parent.column() != 0:
            return QModelIndex()
        node = self._node(parent)
        if row >= len(node.children):
            return QModelIndex()
        return self.createIndex(row, column, node.children[row])

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        node: _Node = index.internalPointer()
        up = node.parent
        if up is None or up is self._root:
            return QModelIndex()
        return self.createIndex(up.row, 0, up)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node: _Node = index.internalPointer()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            col = index.column()
            if col == 0:
                return node.key
            if col == 1:
                return _preview(node.value)
            if col == 2:
                return _type_name(node.value)
        return None
