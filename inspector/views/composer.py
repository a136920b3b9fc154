"""The request composer: method, path (completed from the app's URL rules), query, headers,
body (form, JSON, raw), the cookie jar, Send (Ctrl+Enter) and "send xN at once".

The composer only builds ``OutgoingRequest`` objects; sending belongs to ``HttpSender`` and the
window, so nothing here blocks.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from inspector.http_client import OutgoingRequest, build_url
from inspector.models.cookiejar import CookieJarModel

from .kv_editor import KeyValueEditor
from .long_line import LongLineEdit

__all__ = ["ComposerView"]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
BODY_KINDS = ("none", "form", "JSON", "raw")


class ComposerView(QWidget):
    """Builds requests; emits ``sendRequested(request, copies)``."""

    sendRequested = Signal(object, int)  # OutgoingRequest, how many copies at once
    problem = Signal(str)  # one-line message for the status bar (bad JSON, no path...)

    def __init__(self, jar: CookieJarModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.jar = jar  # follows Set-Cookie; shared with the window
        self.base_url = ""  # the engine's URL; empty offline (Send disabled)

        self.method = QComboBox()  # HTTP method
        self.method.addItems(METHODS)
        self.method.setEditable(True)  # extension methods are legal (RFC 9110 §9.1)
        self.method.setMinimumContentsLength(7)
        self.path = LongLineEdit("/")  # path, optionally with ?query
        self.path.setPlaceholderText("/path  (↓ for the app's routes)")
        self._routes = QStringListModel(self)  # the app's URL rules, for completion
        completer = QCompleter(self._routes, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.path.setCompleter(completer)
        self.send_button = QPushButton("Send")  # Ctrl+Enter
        self.send_button.setDefault(True)
        self.send_button.setToolTip("Send the request (Ctrl+Enter)")
        self.copies = QSpinBox()  # N for "send xN"
        self.copies.setRange(2, 64)
        self.copies.setValue(5)
        self.copies.setPrefix("\u00d7")
        self.copies.setToolTip("How many identical requests to fire concurrently")
        self.send_many_button = QPushButton("Send \u00d7N at once")  # fires N concurrent requests
        self.send_many_button.setToolTip(
            "Fire N identical requests concurrently, one connection each"
        )

        top = QHBoxLayout()
        top.addWidget(self.method)
        top.addWidget(self.path, 1)
        top.addWidget(self.send_button)
        top.addWidget(self.copies)
        top.addWidget(self.send_many_button)

        self.query = KeyValueEditor("query name", "value")  # appended to the path
        self.headers = KeyValueEditor("header", "value")  # extra request headers
        self.body_kind = QComboBox()  # none / form / JSON / raw
        self.body_kind.addItems(BODY_KINDS)
        self.form = KeyValueEditor("field", "value")  # form body
        self.json_body = QPlainTextEdit()  # JSON body
        self.json_body.setPlaceholderText('{"key": "value"}')
        self.raw_body = QPlainTextEdit()  # raw body
        self.raw_type = QLineEdit("text/plain; charset=utf-8")  # raw body's Content-Type
        raw_box = QWidget()
        raw_layout = QVBoxLayout(raw_box)
        raw_layout.setContentsMargins(0, 0, 0, 0)
        raw_row = QHBoxLayout()
        raw_row.addWidget(QLabel("Content-Type"))
        raw_row.addWidget(self.raw_type, 1)
        raw_layout.addLayout(raw_row)
        raw_layout.addWidget(self.raw_body)
        self.body_stack = QStackedWidget()  # the editor for the chosen body kind
        none_label = QLabel("No body.")
        none_label.setStyleSheet("color:#6c757d")
        none_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for w in (none_label, self.form, self.json_body, raw_box):
            self.body_stack.addWidget(w)
        self.body_kind.currentIndexChanged.connect(self.body_stack.setCurrentIndex)
        body_box = QWidget()
        body_layout = QVBoxLayout(body_box)
        body_layout.setContentsMargins(4, 4, 4, 4)
        kind_row = QHBoxLayout()
        kind_row.addWidget(QLabel("Body"))
        kind_row.addWidget(self.body_kind)
        kind_row.addStretch(1)
        body_layout.addLayout(kind_row)
        body_layout.addWidget(self.body_stack)

        self.jar_view = QTableView()  # the cookie jar, editable
        self.jar_view.setModel(jar)
        self.jar_view.verticalHeader().setVisible(False)
        self.jar_view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.jar_view.setColumnWidth(0, 90)
        self.jar_view.setWordWrap(False)
        self.jar_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.jar_add = QPushButton("Add")  # add a cookie by hand
        self.jar_delete = QPushButton("Delete")  # delete the selected cookie
        self.jar_clear = QPushButton("Clear jar")  # forget every cookie
        self.jar_follow = QComboBox()  # whether Set-Cookie updates the jar
        self.jar_follow.addItems(["follow Set-Cookie", "frozen"])
        jar_box = QWidget()
        jar_layout = QVBoxLayout(jar_box)
        jar_layout.setContentsMargins(4, 4, 4, 4)
        jar_layout.addWidget(self.jar_view)
        jar_buttons = QHBoxLayout()
        for b in (self.jar_add, self.jar_delete, self.jar_clear):
            jar_buttons.addWidget(b)
        jar_buttons.addStretch(1)
        jar_buttons.addWidget(self.jar_follow)
        jar_layout.addLayout(jar_buttons)
        self.jar_add.clicked.connect(self._add_cookie)
        self.jar_delete.clicked.connect(self._delete_cookie)
        self.jar_clear.clicked.connect(jar.clear)

        self.tabs = QTabWidget()  # query / headers / body / cookies
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.query, "Query")
        self.tabs.addTab(self.headers, "Headers")
        self.tabs.addTab(body_box, "Body")
        self.tabs.addTab(jar_box, "Cookie jar")
        jar.rowsInserted.connect(self._update_jar_title)
        jar.rowsRemoved.connect(self._update_jar_title)
        jar.modelReset.connect(self._update_jar_title)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

        self.send_button.clicked.connect(lambda: self._send(1))
        self.send_many_button.clicked.connect(lambda: self._send(self.copies.value()))
        self.path.returnPressed.connect(lambda: self._send(1))
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            sc = QShortcut(QKeySequence(keys), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(lambda: self._send(1))
        self.set_online(False)

    # --- configuration -------------------------------------------------------------------------

    def set_online(self, base_url: str | bool) -> None:
        """Enable sending to ``base_url`` (False: offline capture, nothing to send to)."""
        self.base_url = base_url if isinstance(base_url, str) else ""
        for w in (self.send_button, self.send_many_button):
            w.setEnabled(bool(self.base_url))
            w.setToolTip(w.toolTip() if self.base_url else "Offline: no engine is running")

    def set_routes(self, routes: list[str]) -> None:
        self._routes.setStringList(sorted(set(routes)))

    def routes(self) -> list[str]:
        return self._routes.stringList()

    def follows_set_cookie(self) -> bool:
        return self.jar_follow.currentIndex() == 0

    def _update_jar_title(self, *_: Any) -> None:
        n = self.jar.rowCount()
        self.tabs.setTabText(3, f"Cookie jar ({n})" if n else "Cookie jar")

    def _add_cookie(self) -> None:
        base = "cookie"
        n = 1
        while self.jar.get(f"{base}{n}") is not None:
            n += 1
        self.jar.set(f"{base}{n}", "")
        idx = self.jar.index(self.jar.rowCount() - 1, 0)
        self.jar_view.setCurrentIndex(idx)
        self.jar_view.edit(idx)

    def _delete_cookie(self) -> None:
        idx = self.jar_view.currentIndex()
        if idx.isValid():
            self.jar.remove_row(idx.row())

    # --- building ------------------------------------------------------------------------------

    def build(self) -> OutgoingRequest:
        """The request as composed; ValueError with a one-line reason when it cannot be sent."""
        if not self.base_url:
            raise ValueError("offline: no engine to send to")
        method = self.method.currentText().strip().upper()
        if not method or not method.isalpha():
            raise ValueError(f"not an HTTP method: {method!r}")
        path = self.path.text().strip() or "/"
        if any(c.isspace() for c in path):
            raise ValueError("the path must not contain spaces (use %20)")
        headers = [[k, v] for k, v in self.headers.pairs()]
        names = {k.lower() for k, _ in headers}
        body = b""
        ctype = ""
        kind = BODY_KINDS[self.body_kind.currentIndex()]
        if kind == "form":
            body = urlencode(self.form.pairs()).encode("ascii")
            ctype = "application/x-www-form-urlencoded"
        elif kind == "JSON":
            text = self.json_body.toPlainText().strip() or "null"
            try:
                json.loads(text)
            except ValueError as exc:
                raise ValueError(f"the JSON body is not valid JSON: {exc}") from None
            body = text.encode("utf-8")
            ctype = "application/json"
        elif kind == "raw":
            body = self.raw_body.toPlainText().encode("utf-8")
            ctype = self.raw_type.text().strip()
        if kind != "none" and ctype and "content-type" not in names:
            headers.append(["Content-Type", ctype])
        cookie = self.jar.header()
        if cookie and "cookie" not in names:
            headers.append(["Cookie", cookie])
        url = build_url(self.base_url, path, self.query.pairs())
        return OutgoingRequest(method=method, url=url, headers=headers, body=body)

    def _send(self, copies: int) -> None:
        try:
            req = self.build()
        except ValueError as exc:
            self.problem.emit(str(exc))
            return
        self.sendRequested.emit(req, copies)

    def send(self, copies: int = 1) -> None:
        """As if Send (or Send xN) was clicked."""
        self._send(copies)

    def load_exchange(self, exchange: dict[str, Any]) -> None:
        """Put a past request back in the editors (history → edit → send again)."""
        self.method.setCurrentText(exchange.get("method", "GET"))
        parts = urlsplit(exchange.get("url", "/"))
        self.path.setText(parts.path or "/")
        self.query.set_pairs(parse_qsl(parts.query, keep_blank_values=True))
        skip = {"cookie", "content-length", "content-type"}
        headers = exchange.get("request_headers") or []
        self.headers.set_pairs([(k, v) for k, v in headers if k.lower() not in skip])
        body = exchange.get("request_body") or b""
        ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
        if not body:
            self.body_kind.setCurrentIndex(0)
        elif ctype.startswith("application/x-www-form-urlencoded"):
            self.body_kind.setCurrentIndex(1)
            self.form.set_pairs(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
        elif "json" in ctype:
            self.body_kind.setCurrentIndex(2)
            self.json_body.setPlainText(body.decode("utf-8", "replace"))
        else:
            self.body_kind.setCurrentIndex(3)
            self.raw_type.setText(ctype)
            self.raw_body.setPlainText(body.decode("utf-8", "replace"))
