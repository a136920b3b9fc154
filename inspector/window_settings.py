"""The window's arrangement and the composer's last request, kept in QSettings between runs.

Restoring accepts anything it finds: a key that is missing or holds a value of another type
(an older version's, or a hand-edited file) is skipped, because settings must never stop the
window from opening. Tests and screenshots run with ``persist=False`` and never get here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QSplitter

if TYPE_CHECKING:
    from .window import MainWindow

__all__ = ["restore_settings", "save_settings"]


def _splitters(win: MainWindow) -> dict[str, QSplitter]:
    return {
        "main": win.splitter,
        "left": win.left,
        "timeline": win.timeline.splitter,
        "session": win.session_view.splitter,
        "stepmode": win.stepmode.splitter,
        "stepmode_lower": win.stepmode.lower_splitter,
    }


def restore_settings(win: MainWindow) -> None:
    """Geometry, dock state, splitter sizes, current tab and the composer's method and path."""
    s = QSettings()
    geometry = s.value("window/geometry")
    if isinstance(geometry, QByteArray):
        win.restoreGeometry(geometry)
    state = s.value("window/state")
    if isinstance(state, QByteArray):
        win.restoreState(state)
    for name, splitter in _splitters(win).items():
        value = s.value(f"splitters/{name}")
        if isinstance(value, QByteArray):
            splitter.restoreState(value)
    tab = s.value("window/tab")
    if tab is not None:
        try:
            win.tabs.setCurrentIndex(int(tab))
        except (TypeError, ValueError):
            pass
    method, path = s.value("composer/method"), s.value("composer/path")
    if isinstance(method, str) and method:
        win.composer.method.setCurrentText(method)
    if isinstance(path, str) and path:
        win.composer.path.setText(path)


def save_settings(win: MainWindow) -> None:
    """What ``restore_settings`` reads back."""
    s = QSettings()
    s.setValue("window/geometry", win.saveGeometry())
    s.setValue("window/state", win.saveState())
    s.setValue("window/tab", win.tabs.currentIndex())
    for name, splitter in _splitters(win).items():
        s.setValue(f"splitters/{name}", splitter.saveState())
    s.setValue("composer/method", win.composer.method.currentText())
    s.setValue("composer/path", win.composer.path.text())
