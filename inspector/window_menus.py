"""The window's menu bar: File (captures, HAR, quit), View (clear, Alt+N for each tab), Help."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

if TYPE_CHECKING:
    from .window import MainWindow

__all__ = ["FileActions", "build_menus"]


class FileActions(NamedTuple):
    """The File menu's actions the window keeps (tests trigger them)."""

    open: QAction  # Open capture… (in a new window)
    save: QAction  # Save capture…
    har: QAction  # Export HAR…


def build_menus(win: MainWindow) -> FileActions:
    """Fill ``win``'s menu bar; its tabs must exist (the View menu names them)."""
    file_menu = win.menuBar().addMenu("&File")
    open_action = QAction("&Open capture…", win)
    open_action.setShortcut(QKeySequence.StandardKey.Open)
    open_action.triggered.connect(win.files.open_dialog)
    save_action = QAction("&Save capture…", win)
    save_action.setShortcut(QKeySequence.StandardKey.Save)
    save_action.triggered.connect(win.files.save_dialog)
    har_action = QAction("Export &HAR…", win)
    har_action.triggered.connect(win.files.export_har_dialog)
    quit_action = QAction("&Quit", win)
    quit_action.setShortcut(QKeySequence.StandardKey.Quit)
    quit_action.triggered.connect(win.close)
    for a in (open_action, save_action, har_action):
        file_menu.addAction(a)
    file_menu.addSeparator()
    file_menu.addAction(quit_action)
    view_menu = win.menuBar().addMenu("&View")
    clear = QAction("&Clear events", win)
    clear.setShortcut("Ctrl+L")
    clear.triggered.connect(win.clear_events)
    view_menu.addAction(clear)
    for i in range(6):
        act = QAction(win.tabs.tabText(i).replace("&&", "&"), win)
        act.setShortcut(f"Alt+{i + 1}")
        act.triggered.connect(lambda _=False, i=i: win.tabs.setCurrentIndex(i))
        view_menu.addAction(act)
    help_menu = win.menuBar().addMenu("&Help")
    about = QAction("&About ctxscope", win)
    about.triggered.connect(lambda: _about(win))
    help_menu.addAction(about)
    return FileActions(open_action, save_action, har_action)


def _about(win: MainWindow) -> None:
    QMessageBox.about(
        win,
        "About ctxscope",
        "<b>ctxscope</b><br>A request-lifecycle inspector for Flask-style apps:"
        " context stacks, hooks, sessions, cookies and WebSocket frames, live.",
    )
