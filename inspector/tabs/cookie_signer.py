"""The cookie workbench's signer settings: salt, digest, key derivation and the age limit,
with Flask's defaults one click away."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from engine.cookies.signing import KEY_DERIVATIONS, SigningSettings

__all__ = ["FLASK_MAX_AGE", "SignerBox"]

FLASK_MAX_AGE = 31 * 24 * 3600  # PERMANENT_SESSION_LIFETIME, the max_age Flask's open_session uses
_DIGESTS = ("sha1", "sha256", "sha384", "sha512", "md5", "sha224", "blake2b", "sha3_256")


class SignerBox(QGroupBox):
    """The settings ``engine.cookies`` signs and verifies with; ``changed`` on every edit."""

    changed = Signal()  # any setting changed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Signer", parent)
        of = QFormLayout(self)
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
        self.salt_edit.textChanged.connect(self.changed)
        self.digest_box.currentTextChanged.connect(self.changed)
        self.kdf_box.currentTextChanged.connect(self.changed)
        self.max_age.valueChanged.connect(self.changed)
        self.defaults_btn.clicked.connect(self._flask_defaults)

    def settings(self) -> SigningSettings:
        """The signer settings chosen (``CookieError`` on a bad digest or salt)."""
        return SigningSettings.make(
            salt=self.salt_edit.text(),
            digest=self.digest_box.currentText().strip(),
            key_derivation=self.kdf_box.currentText(),
        )

    def max_age_seconds(self) -> int | None:
        """The age limit to verify with; None for none."""
        return self.max_age.value() or None

    def _flask_defaults(self) -> None:
        self.salt_edit.setText("cookie-session")
        self.digest_box.setCurrentText("sha1")
        self.kdf_box.setCurrentText("hmac")
        self.max_age.setValue(FLASK_MAX_AGE)
