"""The cookie workbench's editor: change the decoded payload (tagged JSON, as Flask signs it)
and sign it again with the current key, ready to copy or to send from the composer."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.cookies.decode import DecodedCookie, load_payload
from engine.cookies.errors import CookieError
from engine.cookies.sign import sign
from engine.cookies.signing import SigningSettings
from inspector.tabs.style import ERROR_STYLE, OK_STYLE, mono

__all__ = ["ResignBox"]


class ResignBox(QGroupBox):
    """Payload editor, Re-sign, and the new cookie; the tab supplies keys, settings, cookie."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Edit payload (tagged JSON) and re-sign", parent)
        self._resigned = ""  # the last cookie made by Re-sign
        ev = QVBoxLayout(self)
        self.payload_edit = QPlainTextEdit()  # tagged JSON, as Flask signs it (pretty-printed)
        self.payload_edit.setFont(mono())
        self.payload_edit.setPlaceholderText(
            '{"user": "alice", "cart": {" t": [1, 2]}, "token": {" b": "eHk="}}'
        )
        ev.addWidget(self.payload_edit, 1)
        hint = QLabel(
            'Tags: " t" tuple, " b" bytes (base64), " m" Markup, " u" UUID (hex), '
            '" d" datetime (HTTP date), " di" dict whose key is a tag'
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #666666;")
        ev.addWidget(hint)
        rs = QHBoxLayout()
        self.resign_btn = QPushButton("Re-sign with current key")
        self.keep_ts_box = QComboBox()  # timestamp of the new cookie
        self.keep_ts_box.addItems(["timestamp: now", "timestamp: keep original"])
        rs.addWidget(self.resign_btn)
        rs.addWidget(self.keep_ts_box)
        rs.addStretch(1)
        ev.addLayout(rs)
        self.resigned_edit = QLineEdit()  # the new cookie, copyable
        self.resigned_edit.setReadOnly(True)
        self.resigned_edit.setFont(mono())
        self.resigned_edit.setPlaceholderText("the re-signed cookie appears here")
        ev.addWidget(self.resigned_edit)
        rb = QHBoxLayout()
        self.copy_btn = QPushButton("Copy")
        self.compose_btn = QPushButton("Use in composer")
        self.resign_status = QLabel("")  # one line: what Re-sign did or why it could not
        self.resign_status.setWordWrap(True)
        rb.addWidget(self.copy_btn)
        rb.addWidget(self.compose_btn)
        rb.addWidget(self.resign_status, 1)
        ev.addLayout(rb)
        self.copy_btn.clicked.connect(self._copy)

    @property
    def resigned(self) -> str:
        """The last cookie Re-sign made ("" when none, or the pasted cookie changed since)."""
        return self._resigned

    def show_payload(self, decoded: DecodedCookie) -> None:
        """Put ``decoded``'s payload in the editor, pretty-printed."""
        try:
            pretty = json.dumps(json.loads(decoded.json_text), indent=2, ensure_ascii=False)
        except ValueError:
            pretty = decoded.json_text
        self.payload_edit.setPlainText(pretty)

    def forget(self) -> None:
        """A different cookie was pasted: a cookie made from the previous one no longer applies."""
        self._resigned = ""
        self.resigned_edit.clear()
        self.resign_status.clear()

    def mark_stale(self) -> None:
        """The keys or signer settings changed after the last Re-sign."""
        if self._resigned and self.resign_status.text().startswith("Signed"):
            self.resign_status.setStyleSheet("")
            self.resign_status.setText("Keys or signer changed since this cookie was signed")

    def update_buttons(self, has_key: bool, has_cookie: bool) -> None:
        self.resign_btn.setEnabled(has_key)
        self.resign_btn.setToolTip("" if has_key else "Add a secret key to sign with")
        self.copy_btn.setEnabled(bool(self._resigned))
        self.compose_btn.setEnabled(bool(self._resigned) or has_cookie)
        self.compose_btn.setToolTip(
            "Put the re-signed cookie in the composer's jar as 'session'"
            if self._resigned
            else "Put the pasted cookie in the composer's jar as 'session'"
        )

    def resign(
        self,
        keys: list[str],
        settings: Callable[[], SigningSettings],
        decoded: DecodedCookie | None,
    ) -> str | None:
        """Sign the edited payload with the last of ``keys``; the new cookie, or None (and why).

        ``decoded`` (the pasted cookie) decides timed or not, and gives the timestamp to keep.
        """
        keys = [k for k in keys if k != ""]
        if not keys:
            self._error("no secret key to sign with")
            return None
        text = self.payload_edit.toPlainText()
        try:
            json.loads(text)
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            col = getattr(exc, "colno", None)
            where = f" at line {line} column {col}" if line else ""
            msg = getattr(exc, "msg", str(exc))
            self._error(f"payload is not valid JSON{where}: {msg}")
            return None
        try:
            _json_text, value = load_payload(text.encode("utf-8"))
            signer = settings()
            timestamp = None
            if self.keep_ts_box.currentIndex() == 1 and decoded is not None:
                timestamp = decoded.timestamp
            cookie = sign(
                value,
                keys,
                timestamp=timestamp,
                salt=signer.salt,
                digest=signer.digest,
                key_derivation=signer.key_derivation,
                timed=decoded.timed if decoded is not None else True,
            )
        except CookieError as exc:
            self._error(str(exc))
            return None
        except Exception as exc:  # never a traceback in the window
            self._error(f"{type(exc).__name__}: {exc}")
            return None
        self._resigned = cookie
        self.resigned_edit.setText(cookie)
        self.resigned_edit.setCursorPosition(0)
        when = datetime.now(UTC).strftime("%H:%M:%S UTC")
        self.resign_status.setStyleSheet(OK_STYLE)
        self.resign_status.setText(f"Signed with the current key at {when}")
        return cookie

    def _error(self, message: str) -> None:
        self.resign_status.setStyleSheet(ERROR_STYLE)
        self.resign_status.setText(message.splitlines()[0] if message else "")

    def _copy(self) -> None:
        if self._resigned:
            QGuiApplication.clipboard().setText(self._resigned)
            self.resign_status.setStyleSheet("")
            self.resign_status.setText("Copied to the clipboard")
