"""Holding a request's thread at chosen event kinds, so a user can watch one step at a time.

A held thread waits on its own ``threading.Event``; ``step`` releases it until the next event
of any kind, ``resume`` until the next event of a chosen kind. Every hold has a timeout so a
forgotten pause never hangs the server. Only threads serving a request are held.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .events import Event, Paused, Resumed

if TYPE_CHECKING:
    from .bus import EventBus

__all__ = ["Breakpoints", "PausedStep"]

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class PausedStep:
    """A thread held right after ``event``."""

    request_id: int | None
    thread: int
    event: Event


class _Hold:
    def __init__(self, step: PausedStep) -> None:
        self.step = step  # where the thread stands
        self.release = threading.Event()  # set by step/resume
        self.how = "timeout"  # why it went on


class Breakpoints:
    """Pause points of one app. Thread-safe: the window calls in from the GUI thread."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus  # publishes paused/resumed and owns ``active``
        self._kinds: frozenset[str] = frozenset()  # pause after events of these kinds
        self._stepping: set[int] = set()  # threads to pause at their very next event
        self._holds: dict[int, _Hold] = {}  # thread -> its current hold
        self._lock = threading.Lock()  # guards the three above
        self.timeout = DEFAULT_TIMEOUT  # seconds a hold lasts at most
        self.delay = 0.0  # slow motion: seconds to sleep after every request event
        self.armed = False  # anything to do at all (read on the hot path)

    @property
    def kinds(self) -> frozenset[str]:
        return self._kinds

    def set_kinds(self, kinds: Iterable[str]) -> None:
        with self._lock:
            self._kinds = frozenset(kinds)
        self._rearm()

    def set_delay(self, seconds: float) -> None:
        self.delay = max(0.0, float(seconds))
        self._rearm()

    def _rearm(self) -> None:
        self.armed = bool(self._kinds or self._stepping or self._holds or self.delay)
        self._bus._update_active()

    def paused(self) -> list[PausedStep]:
        with self._lock:
            return [hold.step for hold in self._holds.values()]

    def step(self, thread: int) -> bool:
        """Let ``thread`` go on to its next event, whatever its kind, and hold it there."""
        return self._release(thread, "step")

    def resume(self, thread: int) -> bool:
        """Let ``thread`` run until the next event of a chosen kind."""
        return self._release(thread, "continue")

    def resume_all(self) -> None:
        with self._lock:
            threads = list(self._holds)
        for thread in threads:
            self._release(thread, "continue")

    def clear(self) -> None:
        """No more pause points, no slow motion; every held thread goes on."""
        self.set_kinds(())
        self.delay = 0.0
        self.resume_all()

    def _release(self, thread: int, how: str) -> bool:
        with self._lock:
            hold = self._holds.get(thread)
            if hold is None:
                return False
            hold.how = how
            if how == "step":
                self._stepping.add(thread)
            hold.release.set()
        return True

    def after(self, event: Event) -> None:
        """Called by the bus on the emitting thread, after the event was delivered."""
        if event.request_id is None or isinstance(event, Paused | Resumed):
            return
        thread = event.thread
        with self._lock:
            stepping = thread in self._stepping
            hold_here = stepping or event.kind in self._kinds
            if hold_here:
                self._stepping.discard(thread)
                hold = _Hold(PausedStep(event.request_id, thread, event))
                self._holds[thread] = hold
        if not hold_here:
            if self.delay:
                time.sleep(self.delay)
            return
        self._rearm()
        bus = self._bus
        bus.emit(
            Paused,
            event.request_id,
            event.name,
            event.blueprint,
            {"at_seq": event.seq, "at_kind": event.kind},
        )
        hold.release.wait(self.timeout)
        with self._lock:
            self._holds.pop(thread, None)
        self._rearm()
        bus.emit(Resumed, event.request_id, event.name, event.blueprint, {"how": hold.how})
