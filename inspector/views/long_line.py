"""A one-line field for values longer than it: it shows their start, and all of them on hover."""

from __future__ import annotations

from PySide6.QtGui import Qt as QtGui  # the Qt namespace's text functions live in QtGui
from PySide6.QtWidgets import QLineEdit, QWidget

__all__ = ["LongLineEdit"]

_TOOLTIP_CHARS = 2000  # a tooltip shows this much of a longer value, then says how long it is


class LongLineEdit(QLineEdit):
    """A line edit that shows a value set into it from its start, the whole value as tooltip.

    ``QLineEdit.setText`` leaves the cursor after the last character and scrolls the line so
    the cursor shows: a value longer than the field would show its end, its start hidden.
    The whole value is in the tooltip, wrapped, since one line cannot show it.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.textChanged.connect(self._update_tooltip)
        if text:
            self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setCursorPosition(0)  # scrolls back to the start

    def _update_tooltip(self, text: str) -> None:
        if len(text) > _TOOLTIP_CHARS:
            text = f"{text[:_TOOLTIP_CHARS]}… ({len(text)} characters)"
        # as rich text, so it wraps and a value that looks like markup is shown as typed
        self.setToolTip(
            QtGui.convertFromPlainText(text, QtGui.WhiteSpaceMode.WhiteSpaceNormal) if text else ""
        )
