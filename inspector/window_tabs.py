"""The two optional inspector tabs, and the scroll area the tab pages sit in.

The cookie workbench and the WebSocket tab bring in more than the rest of the window (the
cookie library, a WebSocket client). If one of them cannot be imported the window still opens,
with a placeholder that says why in the tab's place.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

__all__ = ["make_cookie_tab", "make_ws_tab", "scrollable"]


def scrollable(tab: QWidget) -> QScrollArea:
    """``tab`` in a scroll area, so its minimum size never forces the window to grow."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(tab)
    return area


def _placeholder(text: str) -> QWidget:
    w = QWidget()
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet("color:#6c757d")
    QVBoxLayout(w).addWidget(label)
    return w


def make_cookie_tab(use_in_composer: Callable[[str], None]) -> QWidget:
    """The cookie workbench, its "Use in composer" going to ``use_in_composer``."""
    try:
        from .tabs.cookies import CookieWorkbenchTab
    except ImportError as exc:
        return _placeholder(f"Cookie workbench unavailable: {exc}")
    tab = CookieWorkbenchTab()
    tab.useInComposer.connect(use_in_composer)
    return tab


def make_ws_tab(select_request: Callable[[int], None]) -> QWidget:
    """The WebSocket tab, its "Show request" going to ``select_request``."""
    try:
        from .tabs.websocket import WebSocketTab
    except ImportError as exc:
        return _placeholder(f"WebSocket tab unavailable: {exc}")
    tab = WebSocketTab()
    tab.requestContextSelected.connect(select_request)
    return tab
