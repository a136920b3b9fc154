"""The cookie workbench: decode, verify, edit and re-sign a Flask session cookie; audit its key.

Everything cryptographic is ``engine.cookies`` (byte-compatible with Flask and itsdangerous);
this tab only arranges it. The key audit runs on the library's own workers; the GUI learns of
its progress from a QTimer poll of what the progress callback stored, so it never blocks.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from engine.cookies.decode import DecodedCookie, decode, load_payload, verify
from engine.cookies.errors import CookieError
from engine.cookies.sign import sign
from engine.cookies.signing import KEY_DERIVATIONS, SigningSettings
from inspector.tabs.cookie_audit import AuditRunner
from inspector.tabs.payload_tree import PayloadTreeModel

__all__ = ["FLASK_MAX_AGE", "CookieWorkbenchTab"]

FLASK_MAX_AGE = 31 * 24 * 3600  # PERMANENT_SESSION_LIFETIME, the max_age Flask's open_session uses
_DIGESTS = ("sha1", "sha256", "sha384", "sha512", "md5", "sha224", "blake2b", "sha3_256")
_VERDICT_STYLES = {
    "valid": "background: #d4edda; color: #155724; border: 1px solid #9fd3ad;",
    "invalid": "background: #f8d7da; color: #721c24; border: 1px solid #e6a4ab;",
    "expired": "background: #fff3cd; color: #856404; border: 1px solid #e8d28a;",
    "nokey": "background: #e2e3e5; color: #383d41; border: 1px solid #c4c6c9;",
    "none": "background: transparent; color: palette(mid); border: 1px dashed #c4c6c9;",
}
_ERROR_STYLE = "color: #b00020;"


def _mono() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def _age_text(seconds: int) -> str:
    future = seconds < 0
    s = abs(seconds)
    days, rem = divmod(s, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        text = f"{days} d {hours} h"
    elif hours:
        text = f"{hours} h {minutes} min"
    elif minutes:
        text = f"{minutes} min {secs} s"
    else:
        text = f"{secs} s"
    return f"in the future by {text}" if future else f"{text} old"


class CookieWorkbenchTab(QWidget):
    """Paste a cookie; see its payload, verdict and age; re-sign an edited payload."""

    useInComposer = Signal(str)  # a cookie value for the composer's jar, as "session"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._decoded: DecodedCookie | None = None  # the cookie pasted, decoded
        self._resigned = ""  # the last cookie made by Re-sign
        self._tree = PayloadTreeModel(self)  # the decoded payload
        self._audit = AuditRunner(self)  # the secret-key audit (off the GUI thread)
        self._debounce = QTimer(self)  # decode a moment after typing stops
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self.decode_now)
        self._build()
        self._update_verdict()

    # --- public API (window-core relies on it) ------------------------------------------------

    def set_secret_keys(self, keys: list[str]) -> None:
        """Prefill the keys, Flask's order: ``[*SECRET_KEY_FALLBACKS, SECRET_KEY]``."""
        self.keys_list.clear()
        for key in keys:
            self._add_key_item(str(key))
        self._mark_current()
        self._reverify()

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
        return self._audit

    def secret_keys(self) -> list[str]:
        return [
            self.keys_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.keys_list.count())
        ]

    def resigned_cookie(self) -> str:
        return self._resigned

    def settings(self) -> SigningSettings:
        """The signer settings chosen (``CookieError`` on a bad digest or salt)."""
        return SigningSettings.make(
            salt=self.salt_edit.text(),
            digest=self.digest_box.currentText().strip(),
            key_derivation=self.kdf_box.currentText(),
        )

    # --- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(6, 6, 6, 6)

        top = QHBoxLayout()
        inp = QVBoxLayout()
        inp.addWidget(QLabel("Cookie value, name=value, Cookie: or Set-Cookie: line"))
        self.input_edit = QPlainTextEdit()  # what the user pasted
        self.input_edit.setFont(_mono())
        self.input_edit.setPlaceholderText(
            "eyJ1c2VyIjoiYWxpY2UifQ.awHfdQ.…   or   Set-Cookie: session=…; HttpOnly; Path=/"
        )
        self.input_edit.setFixedHeight(76)
        inp.addWidget(self.input_edit)
        self.error_label = QLabel("")  # one-line error for malformed input
        self.error_label.setStyleSheet(_ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        inp.addWidget(self.error_label)
        top.addLayout(inp, 3)

        keys_box = QGroupBox("Secret keys (fallbacks first, current last)")
        kv = QHBoxLayout(keys_box)
        self.keys_list = QListWidget()  # editable list of keys; the last is the current key
        self.keys_list.setFont(_mono())
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
        top.addWidget(keys_box, 2)

        opts_box = QGroupBox("Signer")
        of = QFormLayout(opts_box)
        self.salt_edit = QLineEdit("cookie-session")  # Flask's session salt
        self.digest_box = QComboBox()  # hash of the HMACs
        self.digest_box.setEditable(True)
        self.digest_box.addItems(list(_DIGESTS))
        self.kdf_box = QComboBox()  # itsdangerous key derivation
        self.kdf_box.addItems(list(KEY_DERIVATIONS))
        self.max_age = QSpinBox()  # age limit checked by verify; 0 = none
        self.max_age.setRange(0, 2**31 - 1)
        self.max_age.setValue(FLASK_MAX_AGE)
        self.max_age.setSuffix(" s")
        self.max_age.setSpecialValueText("no limit")
        self.max_age.setToolTip("Flask refuses sessions older than PERMANENT_SESSION_LIFETIME")
        self.defaults_btn = QPushButton("Flask defaults")
        of.addRow("Salt", self.salt_edit)
        of.addRow("Digest", self.digest_box)
        of.addRow("Key derivation", self.kdf_box)
        of.addRow("Max age", self.max_age)
        of.addRow("", self.defaults_btn)
        top.addWidget(opts_box, 2)
        root.addLayout(top)

        self.verdict_label = QLabel("")  # the verdict, colored
        vfont = self.verdict_label.font()
        vfont.setBold(True)
        vfont.setPointSizeF(vfont.pointSizeF() + 1.5)
        self.verdict_label.setFont(vfont)
        self.verdict_label.setMargin(6)
        self.verdict_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        root.addWidget(self.verdict_label)

        info = QFormLayout()
        info.setHorizontalSpacing(12)
        self.signed_label = QLabel("—")  # timestamp (UTC) and age
        self.format_label = QLabel("—")  # timed / compressed / sizes
        self.signature_label = QLabel("—")  # signature hex
        self.signature_label.setFont(_mono())
        self.cookie_label = QLabel("—")  # cookie name, source and Set-Cookie attributes
        for lab in (self.signed_label, self.format_label, self.signature_label, self.cookie_label):
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lab.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        info.addRow("Signed at", self.signed_label)
        info.addRow("Format", self.format_label)
        info.addRow("Signature", self.signature_label)
        info.addRow("Cookie", self.cookie_label)
        root.addLayout(info)

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

        edit_box = QGroupBox("Edit payload (tagged JSON) and re-sign")
        ev = QVBoxLayout(edit_box)
        self.payload_edit = QPlainTextEdit()  # tagged JSON, as Flask signs it (pretty-printed)
        self.payload_edit.setFont(_mono())
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
        self.resigned_edit.setFont(_mono())
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
        split.addWidget(edit_box)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        root.addWidget(split, 1)

        audit_box = QGroupBox("Secret-key audit (wordlist)")
        av = QVBoxLayout(audit_box)
        ar = QHBoxLayout()
        self.wordlist_edit = QLineEdit()  # path of the wordlist, one candidate per line
        self.wordlist_edit.setPlaceholderText("wordlist file, one candidate key per line")
        self.browse_btn = QPushButton("Browse…")
        self.start_btn = QPushButton("Start")
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        ar.addWidget(self.wordlist_edit, 1)
        ar.addWidget(self.browse_btn)
        ar.addWidget(self.start_btn)
        ar.addWidget(self.cancel_btn)
        av.addLayout(ar)
        pr = QHBoxLayout()
        self.progress = QProgressBar()  # share of the wordlist tried
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.rate_label = QLabel("")  # guesses per second and counts
        self.rate_label.setMinimumWidth(260)
        pr.addWidget(self.progress, 1)
        pr.addWidget(self.rate_label)
        av.addLayout(pr)
        self.audit_result = QLabel("Tries every line of the wordlist as the secret key.")
        self.audit_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        av.addWidget(self.audit_result)
        root.addWidget(audit_box)

        # signals
        self.input_edit.textChanged.connect(self._debounce.start)
        self.keys_list.itemChanged.connect(self._key_edited)
        self.add_key_btn.clicked.connect(self._add_key)
        self.remove_key_btn.clicked.connect(self._remove_key)
        self.up_key_btn.clicked.connect(lambda: self._move_key(-1))
        self.down_key_btn.clicked.connect(lambda: self._move_key(1))
        self.salt_edit.textChanged.connect(self._reverify)
        self.digest_box.currentTextChanged.connect(self._reverify)
        self.kdf_box.currentTextChanged.connect(self._reverify)
        self.max_age.valueChanged.connect(self._reverify)
        self.defaults_btn.clicked.connect(self._flask_defaults)
        self.resign_btn.clicked.connect(self.resign)
        self.copy_btn.clicked.connect(self._copy)
        self.compose_btn.clicked.connect(self._use_in_composer)
        self.browse_btn.clicked.connect(self._browse)
        self.start_btn.clicked.connect(self.start_audit)
        self.cancel_btn.clicked.connect(self._audit.cancel)
        self._audit.progressed.connect(self._audit_progress)
        self._audit.finished.connect(self._audit_finished)
        self._update_resign_buttons()

    # --- keys ---------------------------------------------------------------------------------

    def _add_key_item(self, key: str) -> QListWidgetItem:
        item = QListWidgetItem(key)
        item.setData(Qt.ItemDataRole.UserRole, key)
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
            key = item.data(Qt.ItemDataRole.UserRole)
            item.setText(key)
            item.setToolTip("current key (signs)" if i == n - 1 else f"fallback key #{i}")
            font = item.font()
            font.setBold(i == n - 1)
            item.setFont(font)
        self.keys_list.blockSignals(False)

    def _key_edited(self, item: QListWidgetItem) -> None:
        item.setData(Qt.ItemDataRole.UserRole, item.text())
        self._reverify()

    def _add_key(self) -> None:
        item = self._add_key_item("new-secret-key")
        self._mark_current()
        self.keys_list.setCurrentItem(item)
        self.keys_list.editItem(item)
        self._reverify()

    def _remove_key(self) -> None:
        row = self.keys_list.currentRow()
        if row >= 0:
            self.keys_list.takeItem(row)
            self._mark_current()
            self._reverify()

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
        self._reverify()

    def _flask_defaults(self) -> None:
        self.salt_edit.setText("cookie-session")
        self.digest_box.setCurrentText("sha1")
        self.kdf_box.setCurrentText("hmac")
        self.max_age.setValue(FLASK_MAX_AGE)

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
            self._resigned = ""  # a cookie made from the previous paste no longer applies
            self.resigned_edit.clear()
            self.resign_status.clear()
        self.error_label.setText(error.splitlines()[0] if error else "")
        if decoded is None:
            self._tree.clear()
            for lab in (self.signed_label, self.format_label, self.signature_label):
                lab.setText("—")
            self.cookie_label.setText("—")
            self._update_verdict()
            self._update_resign_buttons()
            return
        self._tree.set_payload(decoded.payload)
        self.tree.expandToDepth(2)
        self.tree.resizeColumnToContents(0)
        try:
            pretty = json.dumps(json.loads(decoded.json_text), indent=2, ensure_ascii=False)
        except ValueError:
            pretty = decoded.json_text
        self.payload_edit.setPlainText(pretty)
        self._show_details(decoded)
        self._update_verdict()
        self._update_resign_buttons()

    def _show_details(self, d: DecodedCookie) -> None:
        if d.signed_at is not None and d.timestamp is not None:
            age = int(time.time()) - d.timestamp
            when = d.signed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            self.signed_label.setText(f"{when}  ·  {_age_text(age)}  ·  timestamp {d.timestamp}")
        else:
            self.signed_label.setText("untimed token (payload.signature): no timestamp")
        parts = ["timed" if d.timed else "untimed"]
        if d.compressed:
            parts.append(f"zlib-compressed {d.raw_size} B → {d.json_size} B JSON")
        else:
            parts.append(f"{d.json_size} B JSON")
        parts.append(f"{len(d.value)} characters")
        self.format_label.setText("  ·  ".join(parts))
        self.signature_label.setText(f"{d.signature_hex}  ({len(d.signature)} bytes)")
        cookie = [f"name {d.name!r}" if d.name else "bare value", f"from {d.source}"]
        a = d.attributes
        if a is not None:
            if a.path:
                cookie.append(f"Path={a.path}")
            if a.domain:
                cookie.append(f"Domain={a.domain}")
            if a.expires is not None:
                cookie.append(f"Expires {a.expires.strftime('%Y-%m-%d %H:%M:%S UTC')}")
            if a.max_age is not None:
                cookie.append(f"Max-Age={a.max_age}")
            cookie.extend(
                flag
                for flag, on in (
                    ("HttpOnly", a.httponly),
                    ("Secure", a.secure),
                    ("Partitioned", a.partitioned),
                )
                if on
            )
            if a.samesite:
                cookie.append(f"SameSite={a.samesite}")
        self.cookie_label.setText("  ·  ".join(cookie))

    def _reverify(self, *_: Any) -> None:
        if self._resigned and self.resign_status.text().startswith("Signed"):
            self.resign_status.setStyleSheet("")
            self.resign_status.setText("Keys or signer changed since this cookie was signed")
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
        max_age = self.max_age.value() or None
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
        status, message = self.verdict()
        self.verdict_label.setText(message)
        style = _VERDICT_STYLES.get(status, _VERDICT_STYLES["invalid"])
        self.verdict_label.setStyleSheet(f"QLabel {{ {style} border-radius: 4px; }}")
        self.verdict_label.setProperty("verdict", status)

    # --- re-signing ---------------------------------------------------------------------------

    def _update_resign_buttons(self) -> None:
        has_key = any(k for k in self.secret_keys())
        self.resign_btn.setEnabled(has_key)
        self.resign_btn.setToolTip("" if has_key else "Add a secret key to sign with")
        self.copy_btn.setEnabled(bool(self._resigned))
        self.compose_btn.setEnabled(bool(self._resigned) or self._decoded is not None)
        self.compose_btn.setToolTip(
            "Put the re-signed cookie in the composer's jar as 'session'"
            if self._resigned
            else "Put the pasted cookie in the composer's jar as 'session'"
        )

    def resign(self) -> str | None:
        """Sign the edited payload with the current (last) key; the new cookie, or None."""
        keys = [k for k in self.secret_keys() if k != ""]
        if not keys:
            self._resign_error("no secret key to sign with")
            return None
        text = self.payload_edit.toPlainText()
        try:
            json.loads(text)
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            col = getattr(exc, "colno", None)
            where = f" at line {line} column {col}" if line else ""
            msg = getattr(exc, "msg", str(exc))
            self._resign_error(f"payload is not valid JSON{where}: {msg}")
            return None
        try:
            _json_text, value = load_payload(text.encode("utf-8"))
            settings = self.settings()
            timestamp = None
            if self.keep_ts_box.currentIndex() == 1 and self._decoded is not None:
                timestamp = self._decoded.timestamp
            cookie = sign(
                value,
                keys,
                timestamp=timestamp,
                salt=settings.salt,
                digest=settings.digest,
                key_derivation=settings.key_derivation,
                timed=self._decoded.timed if self._decoded is not None else True,
            )
        except CookieError as exc:
            self._resign_error(str(exc))
            return None
        except Exception as exc:  # never a traceback in the window
            self._resign_error(f"{type(exc).__name__}: {exc}")
            return None
        self._resigned = cookie
        self.resigned_edit.setText(cookie)
        self.resigned_edit.setCursorPosition(0)
        when = datetime.now(UTC).strftime("%H:%M:%S UTC")
        self.resign_status.setStyleSheet("color: #1e7d32;")
        self.resign_status.setText(f"Signed with the current key at {when}")
        self._update_resign_buttons()
        return cookie

    def _resign_error(self, message: str) -> None:
        self.resign_status.setStyleSheet(_ERROR_STYLE)
        self.resign_status.setText(message.splitlines()[0] if message else "")

    def _copy(self) -> None:
        if self._resigned:
            QGuiApplication.clipboard().setText(self._resigned)
            self.resign_status.setStyleSheet("")
            self.resign_status.setText("Copied to the clipboard")

    def _use_in_composer(self) -> None:
        value = self._resigned or (self._decoded.value if self._decoded is not None else "")
        if value:
            self.useInComposer.emit(value)

    # --- key audit ----------------------------------------------------------------------------

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Wordlist", "", "Text files (*.txt);;All (*)")
        if path:
            self.wordlist_edit.setText(path)

    def start_audit(self) -> bool:
        """Start trying the wordlist against the pasted cookie; False (and why) if it cannot."""
        if self._decoded is None:
            self.audit_result.setText("Paste a cookie to audit first")
            self.audit_result.setStyleSheet(_ERROR_STYLE)
            return False
        path = self.wordlist_edit.text().strip()
        if not path:
            self.audit_result.setText("Choose a wordlist file")
            self.audit_result.setStyleSheet(_ERROR_STYLE)
            return False
        try:
            settings = self.settings()
        except CookieError as exc:
            self.audit_result.setText(str(exc))
            self.audit_result.setStyleSheet(_ERROR_STYLE)
            return False
        error = self._audit.start(self._decoded, path, settings)
        if error:
            self.audit_result.setText(error)
            self.audit_result.setStyleSheet(_ERROR_STYLE)
            return False
        self.audit_result.setStyleSheet("")
        self.audit_result.setText(f"Trying {path} …")
        self.progress.setValue(0)
        self.start_btn.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        return True

    def _audit_progress(self, done: int, total: int, rate: float) -> None:
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(min(1000, int(done * 1000 / total)))
        else:
            self.progress.setRange(0, 0)  # unknown total: busy indicator
        total_txt = f" of {total:,}" if total > 0 else ""
        self.rate_label.setText(f"{done:,}{total_txt} tried · {rate:,.0f} keys/s")

    def _audit_finished(self, outcome: str, key: str, message: str) -> None:
        self.start_btn.setEnabled(True)
        self.cancel_btn.setEnabled(False)
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1000)
        if outcome == "found":
            self.progress.setValue(self.progress.maximum())
            self.audit_result.setStyleSheet("color: #721c24; font-weight: bold;")
            added = key not in self.secret_keys()
            self.add_found_key(key)
            note = " Added to the secret keys." if added else ""
            self.audit_result.setText(f"KEY FOUND: {key!r} {message}.{note}")
        elif outcome == "exhausted":
            self.progress.setValue(self.progress.maximum())
            self.audit_result.setStyleSheet("color: #155724;")
            self.audit_result.setText(f"Not found: {message}")
        elif outcome == "cancelled":
            self.audit_result.setStyleSheet("")
            self.audit_result.setText(f"Cancelled: {message}")
        else:
            self.audit_result.setStyleSheet(_ERROR_STYLE)
            self.audit_result.setText(message)

    def add_found_key(self, key: str) -> None:
        """Add a key the audit found as a fallback, so the verdict uses it."""
        if key not in self.secret_keys():
            item = QListWidgetItem(key)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.keys_list.insertItem(0, item)
            self._mark_current()
            self._reverify()

    def shutdown(self) -> None:
        """Stop a running audit and wait for it (the window calls this on close)."""
        self._audit.cancel()
        self._audit.wait(5.0)

    def closeEvent(self, event: Any) -> None:
        self.shutdown()
        super().closeEvent(event)
