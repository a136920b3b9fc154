"""At most a few repaints a second for panes that a stream of events keeps changing.

Every batch of events changes the tables, and repainting a visible table costs tens of
milliseconds whatever the batch size (Qt asks the model for every visible cell and role, then
draws the text). Under a steady stream that would spend most of the GUI thread on repaints.
``PaintThrottle.poke()`` is called after every batch: it switches the widgets' updates off and
schedules one repaint, a few milliseconds later for the first change (a single request still
shows at once) and no sooner than ``interval_ms`` after the previous repaint otherwise. The
repaint always runs in its own event-loop turn, never in the one that ingested the batch, so
the two costs never add up into one long stall.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

__all__ = ["PaintThrottle"]

_MIN_DELAY = 0.005  # seconds: the repaint goes to a later event-loop turn


class PaintThrottle(QObject):
    def __init__(
        self, widgets: list[QWidget], interval_ms: int = 100, parent: QObject | None = None
    ):
        super().__init__(parent)
        self._widgets = widgets  # repainted together
        self._interval = interval_ms / 1000.0  # shortest time between two repaints
        self._last = 0.0  # when they last repainted
        self._timer = QTimer(self)  # the deferred repaint
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.release)

    def poke(self) -> None:
        """Something changed: repaint now, or once when the interval ends."""
        if self._timer.isActive():
            return  # already held; the pending release repaints everything
        wait = max(_MIN_DELAY, self._interval - (time.monotonic() - self._last))
        for w in self._widgets:
            w.setUpdatesEnabled(False)
        self._timer.start(int(wait * 1000))

    def release(self) -> None:
        """Repaint now (also called before a screenshot)."""
        self._timer.stop()
        self._last = time.monotonic()
        for w in self._widgets:
            if not w.updatesEnabled():
                w.setUpdatesEnabled(True)
                w.update()

    @property
    def holding(self) -> bool:
        return self._timer.isActive()
