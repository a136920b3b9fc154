"""The window's capture files: save its events and exchanges, export them as HAR, open a capture
in a new window, and the File menu's dialogs for each.

The dialogs go through the window's own methods (``MainWindow.open_capture``, ``save_capture``,
``export_har``), so a script or test driving the window takes the same path as a user. A file
that cannot be read or written becomes one line in the status bar, never a traceback. The
capture module is imported on first use, which keeps it off the window's start-up path.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog

from engine.events import Event

if TYPE_CHECKING:
    from .window import MainWindow

__all__ = ["CaptureFiles"]

_DIR_KEY = "paths/captures"  # QSettings key of the folder the last dialog was left in
_open_windows: list[MainWindow] = []  # capture windows live until closed


class CaptureFiles:
    """Save, export and open captures for one window; dialogs parented to it."""

    def __init__(self, window: MainWindow, persist: bool) -> None:
        self._win = window  # whose events and exchanges are saved; shows the outcome
        self._persist = persist  # remember the folder in QSettings (tests and screenshots do not)
        # epoch_ns - monotonic_ns of the recording a capture window shows; None: recorded live,
        # by this process, whose clock the writers read themselves
        self.clock_offset_ns: int | None = None

    def save(self, path: str) -> None:
        from .capture import save_capture

        save_capture(path, *self._contents(), **self._clock())

    def export_har(self, path: str) -> None:
        from .capture import export_har

        export_har(path, *self._contents(), **self._clock())

    def open_window(self, path: str) -> MainWindow | None:
        """A new window on the capture at ``path``; None (and a message) when it cannot be read."""
        from .capture import CaptureError

        try:
            win = type(self._win).from_capture(path)
        except (CaptureError, OSError) as exc:
            self._win.show_error(str(exc))
            return None
        _open_windows.append(win)
        win.destroyed.connect(
            lambda *_: _open_windows.remove(win) if win in _open_windows else None
        )
        win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        win.show()
        return win

    def _contents(self) -> tuple[list[Event], list[dict[str, Any]]]:
        return self._win.capture_events(), self._win.history_model.exchanges()

    def _clock(self) -> dict[str, int]:
        return {"clock_offset_ns": self.clock_offset_ns} if self.clock_offset_ns else {}

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self._win,
            "Open capture",
            self._dialog_dir(),
            "ctxscope captures (*.json *.json.gz);;All files (*)",
        )
        if path:
            self._remember_dir(path)
            self._win.open_capture(path)

    def save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self._win,
            "Save capture",
            os.path.join(self._dialog_dir(), "capture.ctxscope.json"),
            "ctxscope captures (*.json *.json.gz)",
        )
        if path:
            self._write(path, self._win.save_capture, "capture saved")

    def export_har_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self._win,
            "Export HAR",
            os.path.join(self._dialog_dir(), "ctxscope.har"),
            "HAR (*.har)",
        )
        if path:
            self._write(path, self._win.export_har, "HAR exported")

    def _write(self, path: str, write: Callable[[str], None], done: str) -> None:
        self._remember_dir(path)
        from .capture import CaptureError

        try:
            write(path)
        except (CaptureError, OSError) as exc:
            self._win.show_error(str(exc))
            return
        self._win.show_message(f"{done}: {path}")

    def _dialog_dir(self) -> str:
        return str(QSettings().value(_DIR_KEY, os.getcwd())) if self._persist else os.getcwd()

    def _remember_dir(self, path: str) -> None:
        if self._persist:
            QSettings().setValue(_DIR_KEY, os.path.dirname(path))
