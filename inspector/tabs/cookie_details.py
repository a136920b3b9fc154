"""The cookie workbench's verdict banner and the facts of a decoded cookie: when it was signed
and how old it is, its format, its signature, and the cookie's own attributes."""

from __future__ import annotations

import time
from datetime import UTC

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from engine.cookies.decode import DecodedCookie
from inspector.tabs.style import mono

__all__ = ["CookieDetails"]

_VERDICT_STYLES = {
    "valid": "background: #d4edda; color: #155724; border: 1px solid #9fd3ad;",
    "invalid": "background: #f8d7da; color: #721c24; border: 1px solid #e6a4ab;",
    "expired": "background: #fff3cd; color: #856404; border: 1px solid #e8d28a;",
    "nokey": "background: #e2e3e5; color: #383d41; border: 1px solid #c4c6c9;",
    "none": "background: transparent; color: palette(mid); border: 1px dashed #c4c6c9;",
}


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


class CookieDetails(QWidget):
    """Verdict (``show_verdict``) above the decoded cookie's facts (``show_cookie``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)  # lines up with the rest of the tab
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
        self.signature_label.setFont(mono())
        self.cookie_label = QLabel("—")  # cookie name, source and Set-Cookie attributes
        for lab in (self.signed_label, self.format_label, self.signature_label, self.cookie_label):
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lab.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        info.addRow("Signed at", self.signed_label)
        info.addRow("Format", self.format_label)
        info.addRow("Signature", self.signature_label)
        info.addRow("Cookie", self.cookie_label)
        root.addLayout(info)

    def show_verdict(self, status: str, message: str) -> None:
        """``status`` as ``CookieWorkbenchTab.verdict`` gives it; it picks the colors."""
        self.verdict_label.setText(message)
        style = _VERDICT_STYLES.get(status, _VERDICT_STYLES["invalid"])
        self.verdict_label.setStyleSheet(f"QLabel {{ {style} border-radius: 4px; }}")
        self.verdict_label.setProperty("verdict", status)

    def show_cookie(self, d: DecodedCookie | None) -> None:
        if d is None:
            for lab in (self.signed_label, self.format_label, self.signature_label):
                lab.setText("—")
            self.cookie_label.setText("—")
            return
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
        self.cookie_label.setText("  ·  ".join(_cookie_facts(d)))


def _cookie_facts(d: DecodedCookie) -> list[str]:
    cookie = [f"name {d.name!r}" if d.name else "bare value", f"from {d.source}"]
    a = d.attributes
    if a is None:
        return cookie
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
    return cookie
