"""The WebSocket tab's "Handshake" panel: one connection's opening handshake, the accept key
recomputed here (so a wrong one shows), how the connection closed, and its request context."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from engine.events import Event
from inspector.tabs.style import ERROR_STYLE, OK_STYLE, mono, selectable
from inspector.tabs.ws_text import expected_accept

__all__ = ["HandshakePanel"]

_FIELDS = (
    ("connection", "Connection"),
    ("path", "Path"),
    ("status", "Status"),
    ("key", "Sec-WebSocket-Key"),
    ("accept_input", "Key + GUID"),
    ("sha1_hex", "SHA-1 (hex)"),
    ("accept", "Sec-WebSocket-Accept"),
    ("check", "Check"),
    ("extensions", "Extensions"),
    ("subprotocol", "Subprotocol"),
    ("closed", "Closed"),
    ("error", "Error"),
)
_MONO_FIELDS = frozenset({"key", "accept_input", "sha1_hex", "accept"})


class HandshakePanel(QWidget):
    """Shows one connection (``show_connection``); "Show request" emits ``showRequest``."""

    showRequest = Signal()  # the user asked for the connection's request context

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        v = QVBoxLayout(self)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.hs_fields: dict[str, QLabel] = {}  # field name -> value label
        for key, label in _FIELDS:
            value = selectable(QLabel("—"))
            # long values (key + GUID) are clipped rather than widening the whole window
            value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            value.setMinimumWidth(120)
            if key in _MONO_FIELDS:
                value.setFont(mono())
            self.hs_fields[key] = value
            form.addRow(label, value)
        self.hs_fields["error"].setStyleSheet(ERROR_STYLE)
        v.addLayout(form)
        row = QHBoxLayout()
        self.hs_request_label = QLabel("Request context: —")  # request id of the handshake
        self.hs_request_btn = QPushButton("Show request")  # emits showRequest
        self.hs_request_btn.setEnabled(False)
        row.addWidget(self.hs_request_label)
        row.addStretch(1)
        row.addWidget(self.hs_request_btn)
        v.addLayout(row)
        v.addWidget(QLabel("Headers (request, then response)"))
        self.hs_headers = QPlainTextEdit()  # the handshake request's headers
        self.hs_headers.setReadOnly(True)
        self.hs_headers.setFont(mono())
        self.hs_headers.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        v.addWidget(self.hs_headers, 1)
        self.hs_request_btn.clicked.connect(self.showRequest)

    def show_connection(
        self,
        cid: int | None,
        hs: Event | None,
        closed: Event | None,
        messages: int,
        request_id: int | None,
    ) -> None:
        """Connection ``cid`` (None: none) with what is known of it; ``hs`` may be missing."""
        for label in self.hs_fields.values():
            label.setText("—")
        self.hs_fields["check"].setStyleSheet("")
        self.hs_headers.setPlainText("")
        shown = request_id if request_id is not None else "—"
        self.hs_request_label.setText(f"Request context: {shown}")
        self.hs_request_btn.setEnabled(request_id is not None)
        if cid is None:
            return
        self.hs_fields["connection"].setText(f"#{cid} · {messages} data message(s) so far")
        if closed is not None:
            how = "clean" if closed.clean else "not clean"
            self.hs_fields["closed"].setText(
                f"{closed.code} {closed.reason!r} by {closed.closed_by} ({how})"
            )
        if hs is None:
            self.hs_fields["path"].setText("(handshake not recorded)")
            return
        self.hs_fields["path"].setText(hs.path)
        self.hs_fields["status"].setText(str(hs.status))
        self.hs_fields["key"].setText(hs.key or "—")
        self.hs_fields["accept_input"].setText(hs.accept_input or "—")
        self.hs_fields["sha1_hex"].setText(hs.sha1_hex or "—")
        self.hs_fields["accept"].setText(hs.accept or "—")
        self.hs_fields["extensions"].setText(hs.extensions or "none")
        self.hs_fields["subprotocol"].setText(hs.subprotocol or "none")
        if hs.error:
            self.hs_fields["error"].setText(hs.error)
        if hs.key:
            # recomputed independently of the engine, so a wrong accept shows
            expected = expected_accept(hs.key)
            if hs.accept == expected:
                self.hs_fields["check"].setText("✓ base64(SHA-1(key + GUID)) matches the accept")
                self.hs_fields["check"].setStyleSheet(OK_STYLE)
            elif hs.accept:
                self.hs_fields["check"].setText(f"✗ expected {expected}")
                self.hs_fields["check"].setStyleSheet(ERROR_STYLE)
        lines = [f"{k}: {v}" for k, v in hs.headers or []]
        answer = getattr(hs, "response_headers", None) or []
        if answer:
            lines += ["", f"— response ({hs.status}) —", *(f"{k}: {v}" for k, v in answer)]
        self.hs_headers.setPlainText("\n".join(lines))
