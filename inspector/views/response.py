"""The response pane: status, headers, body (pretty JSON / HTML or text source / hex), the
cookies it set, decoded inline, and "copy as curl"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from inspector.http_client import OutgoingRequest, curl_command, hex_dump, pretty_body

__all__ = ["ResponseView"]

_STATUS_COLORS = {2: "#198754", 3: "#0d6efd", 4: "#fd7e14", 5: "#dc3545"}


def mono_font() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def _text_view() -> QPlainTextEdit:
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setFont(mono_font())
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    return view


class ResponseView(QWidget):
    """Shows one exchange. ``describe_cookie(set_cookie_value) -> str`` decodes Set-Cookie."""

    openInWorkbench = Signal(str)  # a "Set-Cookie: ..." line for the cookie workbench

    def __init__(self, describe_cookie: Callable[[str], str] | None = None, parent: Any = None):
        super().__init__(parent)
        self._describe_cookie = describe_cookie  # engine-backed decoder, set by the window
        self._exchange: dict[str, Any] | None = None  # what is shown
        self.status = QLabel("No response yet — compose a request and press Send.")  # status line
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.copy_curl = QPushButton("Copy as curl")  # the request as a curl command line
        self.copy_curl.setEnabled(False)
        self.copy_curl.clicked.connect(self._copy_curl)
        self.to_workbench = QPushButton("Decode cookie")  # the Set-Cookie, in the workbench
        self.to_workbench.setToolTip("Open the cookie this response set in the Cookies tab")
        self.to_workbench.setEnabled(False)
        self.to_workbench.clicked.connect(self._to_workbench)
        head = QHBoxLayout()
        head.addWidget(self.status, 1)
        head.addWidget(self.to_workbench)
        head.addWidget(self.copy_curl)

        self.body = _text_view()  # pretty JSON / source / text
        self.raw = _text_view()  # the body as text, untouched
        self.hex = _text_view()  # hex dump
        self.headers = QTableWidget(0, 2)  # response headers
        self.headers.setHorizontalHeaderLabels(["header", "value"])
        self.headers.verticalHeader().setVisible(False)
        self.headers.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.headers.setColumnWidth(0, 150)
        self.headers.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.cookies = _text_view()  # Set-Cookie headers decoded
        self.cookies.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.tabs = QTabWidget()  # body / raw / hex / headers / cookies
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.body, "Body")
        self.tabs.addTab(self.headers, "Headers")
        self.tabs.addTab(self.cookies, "Set-Cookie")
        self.tabs.addTab(self.raw, "Raw")
        self.tabs.addTab(self.hex, "Hex")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.tabs, 1)

    def set_cookie_describer(self, describe: Callable[[str], str] | None) -> None:
        self._describe_cookie = describe

    def exchange(self) -> dict[str, Any] | None:
        return self._exchange

    def show_exchange(self, ex: dict[str, Any]) -> None:
        self._exchange = ex
        self.copy_curl.setEnabled(True)
        rid = ex.get("request_id")
        rid_text = f" · request #{rid}" if rid is not None else ""
        url = ex.get("url", "")
        if ex.get("error"):
            self.status.setText(
                f"<b style='color:#dc3545'>no response</b> · {ex.get('method')} {url}<br>"
                f"{ex['error']}"
            )
            for view in (self.body, self.raw, self.hex, self.cookies):
                view.setPlainText("")
            self.to_workbench.setEnabled(False)
            self.headers.setRowCount(0)
            return
        status = int(ex.get("status") or 0)
        color = _STATUS_COLORS.get(status // 100, "#212529")
        body: bytes = ex.get("response_body") or b""
        self.status.setText(
            f"<b style='color:{color}; font-size:14pt'>{status} {ex.get('reason', '')}</b>"
            f" &nbsp; {ex.get('method')} {url}<br>"
            f"<span style='color:#6c757d'>{ex.get('elapsed_ms', 0.0):.1f} ms · "
            f"{len(body)} bytes{rid_text}</span>"
        )
        headers = ex.get("response_headers") or []
        self.headers.setRowCount(len(headers))
        for i, (name, value) in enumerate(headers):
            self.headers.setItem(i, 0, QTableWidgetItem(name))
            self.headers.setItem(i, 1, QTableWidgetItem(value))
        ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
        text, how = pretty_body(body, ctype)
        if how == "binary":
            text = f"(binary body, {len(body)} bytes — see Hex)"
        self.body.setPlainText(text)
        self.tabs.setTabText(
            0, {"json": "Body (JSON)", "html": "Body (HTML source)"}.get(how, "Body")
        )
        self.raw.setPlainText(body.decode("utf-8", "replace"))
        self.hex.setPlainText(hex_dump(body))
        set_cookies = [v for k, v in headers if k.lower() == "set-cookie"]
        self.to_workbench.setEnabled(bool(set_cookies))
        self.tabs.setTabText(2, f"Set-Cookie ({len(set_cookies)})" if set_cookies else "Set-Cookie")
        if not set_cookies:
            self.cookies.setPlainText("This response set no cookie.")
        else:
            blocks = []
            for value in set_cookies:
                decoded = ""
                if self._describe_cookie is not None:
                    try:
                        decoded = self._describe_cookie(value)
                    except Exception as exc:  # a decoder bug must not hide the response
                        decoded = f"(could not decode: {exc})"
                blocks.append(f"Set-Cookie: {value}\n{decoded}".rstrip())
            self.cookies.setPlainText("\n\n".join(blocks))

    def _to_workbench(self) -> None:
        headers = (self._exchange or {}).get("response_headers") or []
        values = [v for k, v in headers if k.lower() == "set-cookie"]
        # the session cookie first: that is the one worth decoding
        values.sort(key=lambda v: not v.lstrip().startswith("session="))
        if values:
            self.openInWorkbench.emit(f"Set-Cookie: {values[0]}")

    def _copy_curl(self) -> None:
        ex = self._exchange
        if ex is None:
            return
        req = OutgoingRequest(
            method=ex.get("method", "GET"),
            url=ex.get("url", ""),
            headers=[list(h) for h in ex.get("request_headers") or []],
            body=ex.get("request_body") or b"",
        )
        QGuiApplication.clipboard().setText(curl_command(req))

    def curl(self) -> str:
        ex = self._exchange or {}
        return curl_command(
            OutgoingRequest(
                method=ex.get("method", "GET"),
                url=ex.get("url", ""),
                headers=[list(h) for h in ex.get("request_headers") or []],
                body=ex.get("request_body") or b"",
            )
        )
