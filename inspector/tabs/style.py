"""The few looks the standalone tabs share: a fixed-width font, selectable labels, two colors.

The tabs do not import the window's views, so they can be built and tested on their own.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QLabel

__all__ = ["ERROR_STYLE", "OK_STYLE", "mono", "selectable"]

ERROR_STYLE = "color: #b00020;"  # a problem the user can fix
OK_STYLE = "color: #1e7d32;"  # a check that passed, an action that worked


def mono() -> QFont:
    """The system's fixed-width font: hex, keys and JSON line up."""
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def selectable(label: QLabel, wrap: bool = False) -> QLabel:
    """``label``, its text selectable with the mouse (values people copy), optionally wrapped."""
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(wrap)
    return label
