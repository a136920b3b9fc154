"""The cookie workbench: decode, verify, edit and re-sign a Flask session cookie; audit its key.

Everything cryptographic is ``engine.cookies`` (byte-compatible with Flask and itsdangerous);
this tab only arranges it. The key audit runs on the library's own workers; the GUI learns of
its progress from a QTimer poll of what the progress callback stored, so it never blocks.

This module lays the tab out and decides the verdict; the pieces it composes are the secret
keys (``cookie_keys``), the signer settings (``cookie_signer``), the verdict and facts
(``cookie_details``), the payload tree (``payload_tree``), the re-sign editor
(``cookie_resign``) and the key audit (``cookie_audit_box``, ``cookie_audit``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from engine.cookies.decode import DecodedCookie, decode, verify
from engine.cookies.errors import CookieError
from engine.cookies.signing import SigningSettings
from inspector.tabs.cookie_audit import AuditRunner
from inspector.tabs.cookie_audit_box import AuditBox
from inspector.tabs.cookie_details import CookieDetails
from inspector.tabs.cookie_keys import SecretKeysBox
from inspector.tabs.cookie_resign import ResignBox
from inspector.tabs.cookie_signer import FLASK_MAX_AGE, SignerBox
from inspector.tabs.payload_tree import PayloadTreeModel
from inspector.tabs.style import ERROR_STYLE, mono

__all__ = ["FLASK_MAX_AGE", "CookieWorkbenchTab"]


class CookieWorkbenchTab(QWidget):
    """Paste a cookie; see its payload, verdict and age; re-sign an edited payload."""

    useInComposer = Signal(str)  # a cookie value for the composer's jar, as "session"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._decoded: DecodedCookie | None = None  # the cookie pasted, decoded
        self._tree = PayloadTreeModel(self)  # the decoded payload
        self._debounce = QTimer(self)  # decode a moment after typing stops
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self.decode_now)
        self._build()
        self._update_verdict()

    # --- public API (window-core relies on it) ------------------------------------------------

    def set_secret_keys(self, keys: list[str]) -> None:
        """Prefill the keys, Flask's order: ``[*SECRET_KEY_FALLBACKS, SECRET_KEY]``."""
        self.keys_box.set_keys(keys)

    def set_cookie_text(self, text: str) -> None:
        """Decode a cookie: a value, ``name=value``, a ``Cookie:`` or ``Set-Cookie:`` line."""
        self.input_edit.setPlainText(text)
        self.decode_now()

    # --- accessors for tests and the window ---------------------------------------------------

    @property
    def decoded(self) -> DecodedCookie | None:
        return self._decoded

    @property
    def tree_model(self) -> PayloadTreeModel:
        return self._tree

    @property
    def audit(self) -> AuditRunner:
        return self.audit_box.audit

    def secret_keys(self) -> list[str]:
        return self.keys_box.keys()

    def resigned_cookie(self) -> str:
        return self.resign_box.resigned

    def settings(self) -> SigningSettings:
        """The signer settings chosen (``CookieError`` on a bad digest or salt)."""
        return self.signer.settings()

    # --- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(6, 6, 6, 6)

        top = QHBoxLayout()
        inp = QVBoxLayout()
        inp.addWidget(QLabel("Cookie value, name=value, Cookie: or Set-Cookie: line"))
        self.input_edit = QPlainTextEdit()  # what the user pasted
        self.input_edit.setFont(mono())
        self.input_edit.setPlaceholderText(
            "eyJ1c2VyIjoiYWxpY2UifQ.awHfdQ.…   or   Set-Cookie: session=…; HttpOnly; Path=/"
        )
        self.input_edit.setFixedHeight(76)
        inp.addWidget(self.input_edit)
        self.error_label = QLabel("")  # one-line error for malformed input
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        inp.addWidget(self.error_label)
        top.addLayout(inp, 3)
        self.keys_box = SecretKeysBox()  # fallbacks first, the current key last
        top.addWidget(self.keys_box, 2)
        self.signer = SignerBox()  # salt, digest, key derivation, max age
        top.addWidget(self.signer, 2)
        root.addLayout(top)

        self.details = CookieDetails()  # the verdict, then when signed, format, signature
        root.addWidget(self.details)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.tree = QTreeView()  # the decoded payload
        self.tree.setModel(self._tree)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.tree.setColumnWidth(0, 180)
        self.tree.setColumnWidth(2, 90)
        tree_box = QGroupBox("Decoded payload")
        QVBoxLayout(tree_box).addWidget(self.tree)
        split.addWidget(tree_box)
        self.resign_box = ResignBox()  # edit the payload, re-sign, copy or use it
        split.addWidget(self.resign_box)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        root.addWidget(split, 1)

        self.audit_box = AuditBox(self.keys_box.add_fallback)  # the wordlist audit
        root.addWidget(self.audit_box)

        # signals
        self.input_edit.textChanged.connect(self._debounce.start)
        self.keys_box.changed.connect(self._reverify)
        self.signer.changed.connect(self._reverify)
        self.resign_box.resign_btn.clicked.connect(self.resign)
        self.resign_box.compose_btn.clicked.connect(self._use_in_composer)
        self.audit_box.start_btn.clicked.connect(self.start_audit)
        self._update_resign_buttons()

    # --- decoding and verifying ---------------------------------------------------------------

    def decode_now(self) -> None:
        """Decode the input box now (typing decodes after a short pause)."""
        self._debounce.stop()
        text = self.input_edit.toPlainText().strip()
        if not text:
            self._set_decoded(None, "")
            return
        try:
            decoded = decode(text)
        except CookieError as exc:
            self._set_decoded(None, str(exc))
            return
        except Exception as exc:  # the library promises CookieError; never show a traceback
            self._set_decoded(None, f"cannot decode: {type(exc).__name__}: {exc}")
            return
        self._set_decoded(decoded, "")

    def _set_decoded(self, decoded: DecodedCookie | None, error: str) -> None:
        previous = self._decoded
        self._decoded = decoded
        if decoded is not None and (previous is None or previous.value != decoded.value):
            self.resign_box.forget()  # a cookie made from the previous paste no longer applies
        self.error_label.setText(error.splitlines()[0] if error else "")
        self.details.show_cookie(decoded)
        if decoded is None:
            self._tree.clear()
        else:
            self._tree.set_payload(decoded.payload)
            self.tree.expandToDepth(2)
            self.tree.resizeColumnToContents(0)
            self.resign_box.show_payload(decoded)
        self._update_verdict()
        self._update_resign_buttons()

    def _reverify(self, *_: Any) -> None:
        self.resign_box.mark_stale()
        self._update_verdict()
        self._update_resign_buttons()

    def verdict(self) -> tuple[str, str]:
        """(status, message): status is "valid", "invalid", "expired", "nokey", "none" or
        "error" (bad signer settings)."""
        d = self._decoded
        if d is None:
            return "none", "Paste a cookie to decode it"
        all_keys = self.secret_keys()
        positions = [i for i, k in enumerate(all_keys) if k != ""]  # empty rows are skipped
        keys = [all_keys[i] for i in positions]
        if not keys:
            return "nokey", "NO KEY GIVEN: decoded, but the signature is not checked"
        try:
            settings = self.settings()
        except CookieError as exc:
            return "error", f"Signer settings: {exc}"
        max_age = self.signer.max_age_seconds()
        try:
            v = verify(d, keys, settings=settings, max_age=max_age)
        except CookieError as exc:
            return "error", str(exc)
        if v.status == "valid":
            n = positions[v.key_index] if v.key_index is not None else -1
            which = "the current key" if v.is_current else f"fallback key #{n}"
            return "valid", f"VALID: signed with key #{n} ({which})"
        if v.status == "expired":
            return "expired", f"EXPIRED: {v.message}"
        return "invalid", f"INVALID: {v.message}"

    def _update_verdict(self) -> None:
        self.details.show_verdict(*self.verdict())

    # --- re-signing ---------------------------------------------------------------------------

    def _update_resign_buttons(self) -> None:
        has_key = any(k for k in self.secret_keys())
        self.resign_box.update_buttons(has_key, self._decoded is not None)

    def resign(self) -> str | None:
        """Sign the edited payload with the current (last) key; the new cookie, or None."""
        cookie = self.resign_box.resign(self.secret_keys(), self.settings, self._decoded)
        if cookie is not None:
            self._update_resign_buttons()
        return cookie

    def _use_in_composer(self) -> None:
        value = self.resign_box.resigned or (
            self._decoded.value if self._decoded is not None else ""
        )
        if value:
            self.useInComposer.emit(value)

    # --- key audit ----------------------------------------------------------------------------

    def start_audit(self) -> bool:
        """Start trying the wordlist against the pasted cookie; False (and why) if it cannot."""
        return self.audit_box.start(self._decoded, self.settings)

    def add_found_key(self, key: str) -> None:
        """Add a key the audit found as a fallback, so the verdict uses it."""
        self.keys_box.add_fallback(key)

    def shutdown(self) -> None:
        """Stop a running audit and wait for it (the window calls this on close)."""
        self.audit_box.shutdown()

    def closeEvent(self, event: Any) -> None:
        self.shutdown()
        super().closeEvent(event)
