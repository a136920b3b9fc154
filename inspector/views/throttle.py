"""At most a few repaints a second for panes that a stream of events keeps changing, painted
in a way that busy engine threads cannot stretch.

Every batch of events changes the tables, and repainting a visible table costs tens of
milliseconds whatever the batch size (Qt asks the model for every visible cell and role, then
draws the text). Worse, a repaint left to the event loop runs with the GIL released, so each of
its hundreds of calls back into the model must win the GIL back from the engine threads, which
under load turned one repaint into a quarter-second stall.

So while events stream in, the throttled widgets keep their updates switched off, and a timer
repaints them a few times a second from Python (``repaint()``, synchronous, the GIL held
throughout) before switching updates off again. The first change after a quiet spell paints a
few milliseconds later, so a single request still shows at once; when no batch arrives for an
interval, updates are switched back on for good and the widgets behave normally.
"""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

__all__ = ["PaintThrottle"]

_MIN_DELAY = 0.005  # seconds: the first repaint goes to a later event-loop turn
_PAINT_SWITCH_S = 0.00001  # GIL switch interval while a throttled widget paints


def _painting_with_priority(w: QWidget) -> None:
    # Qt paints with the GIL released and takes it back for every call into the model; a
    # tiny switch interval for the length of the paint makes engine threads hand it over
    # at once instead of after their full slice.
    saved = sys.getswitchinterval()
    sys.setswitchinterval(_PAINT_SWITCH_S)
    try:
        w.repaint()
    finally:
        sys.setswitchinterval(saved)


class PaintThrottle(QObject):
    def __init__(
        self, widgets: list[QWidget], interval_ms: int = 100, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._widgets = widgets  # repainted together
        self._interval = interval_ms / 1000.0  # shortest time between two repaints
        self._last = 0.0  # when they last repainted
        self._changed = False  # a batch arrived since the last repaint
        self._queue: list[QWidget] = []  # widgets still to paint in this round
        self._timer = QTimer(self)  # the next repaint, while streaming
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)

    def poke(self) -> None:
        """Something changed: it will be painted within ``interval_ms``."""
        self._changed = True
        if self._timer.isActive():
            return  # holding already; the next tick paints it
        for w in self._widgets:
            w.setUpdatesEnabled(False)
        wait = max(_MIN_DELAY, self._interval - (time.monotonic() - self._last))
        self._timer.start(int(wait * 1000))

    def _tick(self) -> None:
        if self._queue:
            self._paint_one(self._queue.pop(0))
            # one widget per event-loop turn, so two heavy tables never add up into one stall
            self._timer.start(0 if self._queue else int(self._interval * 1000))
            return
        if not self._changed:
            self.release()  # the stream stopped: back to normal painting
            return
        self._changed = False
        self._last = time.monotonic()
        self._queue = [w for w in self._widgets if w.isVisible()]
        self._tick()

    def _paint_one(self, w: QWidget) -> None:
        w.setUpdatesEnabled(True)
        _painting_with_priority(w)
        w.setUpdatesEnabled(False)  # so the event loop does not paint it again

    def release(self) -> None:
        """Paint now and switch updates back on (also called before a screenshot)."""
        self._timer.stop()
        self._changed = False
        self._queue = []
        self._last = time.monotonic()
        for w in self._widgets:
            if not w.updatesEnabled():
                w.setUpdatesEnabled(True)
                if w.isVisible():
                    _painting_with_priority(w)

    @property
    def holding(self) -> bool:
        return self._timer.isActive()
