"""The cookie workbench's secret-key audit: try every line of a wordlist as the key that signed
the pasted cookie, with progress, a rate, and Cancel. The work runs in ``AuditRunner``."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.cookies.decode import DecodedCookie
from engine.cookies.errors import CookieError
from engine.cookies.signing import SigningSettings
from inspector.tabs.cookie_audit import AuditRunner
from inspector.tabs.style import ERROR_STYLE

__all__ = ["AuditBox"]


class AuditBox(QGroupBox):
    """Wordlist, Start/Cancel, progress; a key found goes to ``add_key`` (True: it was new)."""

    def __init__(self, add_key: Callable[[str], bool], parent: QWidget | None = None) -> None:
        super().__init__("Secret-key audit (wordlist)", parent)
        self._add_key = add_key  # puts a found key among the secret keys
        self.audit = AuditRunner(self)  # the secret-key audit (off the GUI thread)
        av = QVBoxLayout(self)
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
        self.browse_btn.clicked.connect(self._browse)
        self.cancel_btn.clicked.connect(self.audit.cancel)
        self.audit.progressed.connect(self._audit_progress)
        self.audit.finished.connect(self._audit_finished)

    def start(self, decoded: DecodedCookie | None, settings: Callable[[], SigningSettings]) -> bool:
        """Start on ``decoded`` with the chosen signer; False (and why, shown) if it cannot."""
        if decoded is None:
            return self._refuse("Paste a cookie to audit first")
        path = self.wordlist_edit.text().strip()
        if not path:
            return self._refuse("Choose a wordlist file")
        try:
            signer = settings()
        except CookieError as exc:  # a bad digest or salt
            return self._refuse(str(exc))
        error = self.audit.start(decoded, path, signer)
        if error:
            return self._refuse(error)
        self.audit_result.setStyleSheet("")
        self.audit_result.setText(f"Trying {path} …")
        self.progress.setValue(0)
        self.start_btn.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        return True

    def shutdown(self) -> None:
        """Stop a running audit and wait for it."""
        self.audit.cancel()
        self.audit.wait(5.0)

    def _refuse(self, message: str) -> bool:
        self.audit_result.setText(message)
        self.audit_result.setStyleSheet(ERROR_STYLE)
        return False

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Wordlist", "", "Text files (*.txt);;All (*)")
        if path:
            self.wordlist_edit.setText(path)

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
            note = " Added to the secret keys." if self._add_key(key) else ""
            self.audit_result.setText(f"KEY FOUND: {key!r} {message}.{note}")
        elif outcome == "exhausted":
            self.progress.setValue(self.progress.maximum())
            self.audit_result.setStyleSheet("color: #155724;")
            self.audit_result.setText(f"Not found: {message}")
        elif outcome == "cancelled":
            self.audit_result.setStyleSheet("")
            self.audit_result.setText(f"Cancelled: {message}")
        else:
            self.audit_result.setStyleSheet(ERROR_STYLE)
            self.audit_result.setText(message)
