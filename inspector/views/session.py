"""Session: per request, the session as opened and as saved, its flags, the cookie the client
sent (decoded) and the Set-Cookie the engine sent back (decoded)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from inspector.models.describe import short_json
from inspector.models.jsontree import JsonTreeModel
from inspector.models.sessions import SessionsModel

from .response import mono_font
from .timeline import configure_table

__all__ = ["SessionView"]


def _tree(model: JsonTreeModel) -> QTreeView:
    view = QTreeView()
    view.setModel(model)
    view.setUniformRowHeights(True)
    view.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    return view


class SessionView(QWidget):
    """The sessions table and the selected request's session in detail."""

    def __init__(
        self,
        model: SessionsModel,
        describe_cookie: Callable[[str], str] | None = None,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.model = model  # one row per request with a session
        self._describe = describe_cookie  # engine-backed cookie decoder
        self.table = QTableView()  # the requests
        self.table.setModel(model)
        configure_table(self.table)
        for col, width in enumerate((44, 100, 180, 180, 70, 70)):
            self.table.setColumnWidth(col, width)
        self.before = JsonTreeModel()  # session when opened
        self.after = JsonTreeModel()  # session when saved
        self.flags = QLabel("Select a request to see its session.")  # accessed/modified/...
        self.flags.setTextFormat(Qt.TextFormat.RichText)
        self.flags.setWordWrap(True)
        self.cookies = QPlainTextEdit()  # cookie received and Set-Cookie sent, decoded
        self.cookies.setReadOnly(True)
        self.cookies.setFont(mono_font())
        self.cookies.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)

        before_box = QGroupBox("before (as opened)")
        self.before_box = before_box  # its title shows the compact JSON
        QVBoxLayout(before_box).addWidget(_tree(self.before))
        after_box = QGroupBox("after (as saved)")
        self.after_box = after_box
        QVBoxLayout(after_box).addWidget(_tree(self.after))
        trees = QHBoxLayout()
        trees.addWidget(before_box)
        trees.addWidget(after_box)
        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.flags)
        dl.addLayout(trees, 2)
        dl.addWidget(QLabel("<b>Cookies</b> — what the client sent, and the Set-Cookie sent back"))
        dl.addWidget(self.cookies, 2)

        self.splitter = QSplitter(Qt.Orientation.Vertical)  # saved in the settings
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(detail)
        self.splitter.setSizes([260, 560])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)
        self.table.selectionModel().currentRowChanged.connect(self._changed)
        model.dataChanged.connect(self._refresh_current)

    def set_cookie_describer(self, describe: Callable[[str], str] | None) -> None:
        self._describe = describe

    def select_request(self, request_id: int) -> bool:
        row = self.model.row_for(request_id)
        if row < 0:
            return False
        self.table.setCurrentIndex(self.model.index(row, 0))
        return True

    def _refresh_current(self, *_: Any) -> None:
        idx = self.table.currentIndex()
        if idx.isValid():
            self._show(idx.row())

    def _changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self._show(current.row())

    def _show(self, row: int) -> None:
        rec = self.model.record(row)
        o = rec.opened.as_dict() if rec.opened is not None else {}
        s = rec.saved.as_dict() if rec.saved is not None else {}
        before = s.get("before", o.get("session")) if (s or o) else {}
        after = s.get("after") if s else None
        self.before.set_value(before)
        self.after.set_value(after if after is not None else {})
        self.before_box.setTitle(f"before (as opened): {short_json(before, 60)}")
        self.after_box.setTitle(
            f"after (as saved): {short_json(after, 60)}" if s else "after: not saved"
        )
        parts = [f"<b>request #{rec.request_id}</b>"]
        if o:
            parts.append(f"opened: <b>{o.get('verdict')}</b>")
            parts.append(f"interface {o.get('interface')}")
            if o.get("null"):
                parts.append("<span style='color:#dc3545'>null session (no secret key)</span>")
        if s:
            for name in ("accessed", "modified", "permanent"):
                on = bool(s.get(name))
                color = "#198754" if on else "#6c757d"
                parts.append(f"<span style='color:{color}'>{name}={'yes' if on else 'no'}</span>")
            if s.get("deleted"):
                parts.append("<span style='color:#dc3545'>cookie deleted</span>")
        else:
            parts.append("not saved (yet)")
        self.flags.setText(" · ".join(parts))
        text = []
        cookie = o.get("cookie")
        text.append("Cookie received: " + (cookie if cookie else "(none)"))
        if cookie and self._describe is not None:
            text.append(self._describe(cookie))
        set_cookie = s.get("set_cookie")
        text.append("")
        text.append("Set-Cookie sent: " + (set_cookie if set_cookie else "(none)"))
        if set_cookie and self._describe is not None:
            text.append(self._describe(set_cookie))
        self.cookies.setPlainText("\n".join(t for t in text if t is not None))
