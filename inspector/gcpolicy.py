"""When the interpreter may stop the GUI thread: the garbage collector and the GIL.

GIL: engine threads run Python too. Every time Qt calls back into Python (a model's ``data()``
for each visible cell and role, during every repaint) the GUI thread must take the GIL back,
and with CPython's default 5 ms switch interval a busy engine thread can keep it that long each
time: a few hundred callbacks per repaint turned into stalls of a quarter of a second in the
benchmark. ``GcPolicy.install`` shortens the switch interval to 0.2 ms, which bounds that wait.

Garbage collector:
The window keeps up to ``cap`` events alive (each an object, its field dict and its summaries:
a few hundred thousand tracked objects). CPython's automatic full (generation 2) collection
walks all of them — about 80 ms with the default cap — and under a steady stream of events it
triggers every second or so, each time freezing the event loop. Events hold no reference
cycles, so there is little for a full collection to find. The policy:

- objects alive once the window is built (Qt bindings, the engine, the app) are frozen out of
  collection (``gc.freeze``);
- young collections stay automatic (cheap: they only look at new objects);
- full collections run on a timer, when no event arrived for a moment, or at most every
  ``max_interval_s`` under continuous load, so a stall can only happen at a known, rare time.
"""

from __future__ import annotations

import gc
import sys
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer

__all__ = ["GcPolicy"]

_NEVER = 1_000_000_000  # gen-1 collections before an automatic full one: never, in practice
SWITCH_INTERVAL_S = 0.0002  # how long another thread may hold the GIL before handing it over


class GcPolicy(QObject):
    """Owns the full collections of a process that shows a window."""

    def __init__(self, bridge: Any, parent: QObject | None = None, max_interval_s: float = 120.0):
        super().__init__(parent)
        self._bridge = bridge  # its ``delivered`` counter tells whether events are flowing
        self._seen = bridge.delivered  # counter at the last tick
        self._last_full = time.monotonic()  # when the last full collection ran
        self._max_interval = max_interval_s  # the longest we go without one
        self._saved = gc.get_threshold()  # restored by uninstall()
        self._saved_switch = sys.getswitchinterval()  # restored by uninstall()
        self.full_collections = 0  # how many ran (for tests and the benchmark)
        self._timer = QTimer(self)  # checks twice a second
        self._timer.setInterval(500)
        self._timer.timeout.connect(self._tick)

    def install(self) -> GcPolicy:
        gc.collect()
        gc.freeze()
        t0, t1, _ = self._saved
        gc.set_threshold(max(t0, 5_000), t1, _NEVER)
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self._timer.start()
        return self

    def uninstall(self) -> None:
        self._timer.stop()
        gc.set_threshold(*self._saved)
        sys.setswitchinterval(self._saved_switch)
        gc.unfreeze()

    def _tick(self) -> None:
        delivered = self._bridge.delivered
        idle = delivered == self._seen
        self._seen = delivered
        now = time.monotonic()
        overdue = now - self._last_full > self._max_interval
        if (idle and now - self._last_full > 5.0) or overdue:
            gc.collect()
            self._last_full = time.monotonic()
            self.full_collections += 1
