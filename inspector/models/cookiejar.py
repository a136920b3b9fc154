"""The composer's cookie jar: follows Set-Cookie, editable, sent back as one Cookie header.

A deliberately small jar for one origin (the engine on 127.0.0.1): name → value plus the
attributes worth seeing. Set-Cookie is parsed with the standard library's ``http.cookies``
(the client side is not the engine's business); a cookie whose ``Max-Age`` is 0 or negative, or
whose ``Expires`` is in the past, is removed, as RFC 6265 §5.3 step 11 says a user agent does.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from http.cookies import CookieError, SimpleCookie
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal

from .base import TitledTableModel

__all__ = ["CookieJarModel", "JarCookie"]

_Index = QModelIndex | QPersistentModelIndex


class JarCookie:
    __slots__ = ("attrs", "name", "value")

    def __init__(self, name: str, value: str, attrs: str = "") -> None:
        self.name = name  # cookie name
        self.value = value  # raw value as the server set it
        self.attrs = attrs  # "Path=/; HttpOnly ..." for display


def _expired(morsel: Any) -> bool:
    max_age = morsel["max-age"]
    if max_age != "":
        try:
            return int(max_age) <= 0
        except ValueError:
            return False
    expires = morsel["expires"]
    if expires:
        try:
            return parsedate_to_datetime(expires).timestamp() <= time.time()
        except (TypeError, ValueError):
            return False
    return False


def _attrs(morsel: Any) -> str:
    parts = []
    for key in ("path", "domain", "expires", "max-age", "samesite"):
        if morsel[key] != "":
            parts.append(f"{key.title()}={morsel[key]}")
    for key in ("secure", "httponly"):
        if morsel[key]:
            parts.append({"secure": "Secure", "httponly": "HttpOnly"}[key])
    return "; ".join(parts)


class CookieJarModel(TitledTableModel):
    """Editable name/value table; ``header()`` is what the composer sends."""

    HEADERS = ("name", "value", "attributes")
    changedByUser = Signal()  # an edit in the table (not a Set-Cookie)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._cookies: list[JarCookie] = []  # in the order first set

    # --- jar API -------------------------------------------------------------------------------

    def set(self, name: str, value: str, attrs: str = "") -> None:
        """Add or replace a cookie."""
        for i, c in enumerate(self._cookies):
            if c.name == name:
                c.value, c.attrs = value, attrs or c.attrs
                self.dataChanged.emit(self.index(i, 0), self.index(i, 2))
                return
        n = len(self._cookies)
        self.beginInsertRows(QModelIndex(), n, n)
        self._cookies.append(JarCookie(name, value, attrs))
        self.endInsertRows()

    def remove(self, name: str) -> bool:
        for i, c in enumerate(self._cookies):
            if c.name == name:
                self.beginRemoveRows(QModelIndex(), i, i)
                del self._cookies[i]
                self.endRemoveRows()
                return True
        return False

    def remove_row(self, row: int) -> None:
        if 0 <= row < len(self._cookies):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._cookies[row]
            self.endRemoveRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._cookies.clear()
        self.endResetModel()

    def get(self, name: str) -> str | None:
        for c in self._cookies:
            if c.name == name:
                return c.value
        return None

    def items(self) -> list[tuple[str, str]]:
        return [(c.name, c.value) for c in self._cookies]

    def header(self) -> str:
        """The Cookie request header (RFC 6265 §5.4), empty when the jar is empty."""
        return "; ".join(f"{c.name}={c.value}" for c in self._cookies if c.name)

    def apply_set_cookie(self, values: list[str]) -> list[str]:
        """Follow Set-Cookie header values; returns the names that changed."""
        changed = []
        for raw in values:
            jar = SimpleCookie()
            try:
                jar.load(raw)
            except CookieError:
                name, _, rest = raw.partition("=")
                value = rest.split(";", 1)[0]
                if name.strip():
                    self.set(name.strip(), value.strip())
                    changed.append(name.strip())
                continue
            for name, morsel in jar.items():
                if _expired(morsel):
                    self.remove(name)
                else:
                    # keep the raw value (quotes and all) exactly as the server sent it
                    self.set(name, morsel.coded_value, _attrs(morsel))
                changed.append(name)
        return changed

    # --- Qt model API --------------------------------------------------------------------------

    def _row_count(self) -> int:
        return len(self._cookies)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() < 2:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._cookies):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            c = self._cookies[index.row()]
            return (c.name, c.value, c.attrs)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._cookies[index.row()].value
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole or index.column() > 1:
            return False
        c = self._cookies[index.row()]
        text = str(value).strip()
        if index.column() == 0:
            if not text or ";" in text or "=" in text:
                return False  # not a cookie name (RFC 6265 §4.1.1 token)
            c.name = text
        else:
            c.value = text
        self.dataChanged.emit(index, index)
        self.changedByUser.emit()
        return True
