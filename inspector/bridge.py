"""The one place where engine events cross from engine threads onto the GUI thread.

Engine threads call the subscriber, which only appends to a lock-protected deque: it never
touches a Qt object (Qt objects belong to the thread that created them, and a cross-thread call
into one is undefined behaviour). A QTimer on the GUI thread drains the deque a few tens of
times a second and emits ``eventsReady`` once with the whole batch, so every model takes one
``beginInsertRows`` per batch instead of one per event.

A flush is time-boxed: when the window falls behind (a burst of hundreds of thousands of
events), each tick hands out only as many events as the consumers handled within the frame
budget last time, and the rest waits for the next tick, so the event loop never stalls.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from engine.events import Event

__all__ = ["EventBridge"]


class _Subscription(Protocol):
    def unsubscribe(self) -> None: ...


class EventBridge(QObject):
    """Collects events from any thread; delivers them in batches on the GUI thread."""

    eventsReady = Signal(list)  # a list[Event], oldest first
    backlogDropped = Signal(int)  # how many events were dropped because the queue overflowed

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        interval_ms: int = 33,
        budget_ms: float = 8.0,
        max_pending: int = 300_000,
    ) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()  # guards _pending against engine threads
        self._pending: deque[Event] = deque()  # appended by engine threads, drained here
        self._max_pending = max_pending  # past this the oldest are dropped (each ~1 KB filled in)
        self._dropped = 0  # dropped since the last flush, reported then
        self._budget_s = budget_ms / 1000.0  # time a flush's consumers may take
        self._batch_limit = 1_000  # events per flush; adapts to the consumers' speed
        self._subscriptions: list[_Subscription] = []  # undone by detach()
        self.delivered = 0  # total events emitted, for the status bar and benchmarks
        self._interval_ms = interval_ms  # between flushes while nothing waits
        self._busy_interval_ms = max(1, interval_ms // 2)  # between flushes while behind
        self._timer = QTimer(self)  # drains on the GUI thread
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush)

    # --- engine side (any thread) -------------------------------------------------------------

    def push(self, event: Event) -> None:
        """The subscriber: called on the emitting thread, so it only fills in and queues."""
        # Engine events arrive with their fields unread; every model reads them, so they are
        # filled in here, on the engine's thread, and the GUI thread only draws.
        event.as_dict()
        with self._lock:
            self._pending.append(event)
            if len(self._pending) > self._max_pending:
                self._pending.popleft()
                self._dropped += 1

    def push_many(self, events: list[Event]) -> None:
        """Queue several events at once (replays, captures, benchmarks)."""
        for event in events:
            event.as_dict()
        with self._lock:
            self._pending.extend(events)
            overflow = len(self._pending) - self._max_pending
            for _ in range(max(0, overflow)):
                self._pending.popleft()
            self._dropped += max(0, overflow)

    def attach(self, app: Any) -> None:
        """Subscribe to ``app``'s events (an engine ``App``)."""
        self._subscriptions.append(app.subscribe(self.push))

    def detach(self) -> None:
        """Stop receiving events from every attached app."""
        subs, self._subscriptions = self._subscriptions, []
        for sub in subs:
            sub.unsubscribe()

    # --- GUI side ------------------------------------------------------------------------------

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @property
    def interval_ms(self) -> int:
        """Milliseconds to the next flush: shorter while events wait than when caught up."""
        return self._timer.interval()

    def pending(self) -> int:
        """Events waiting for the next flush."""
        with self._lock:
            return len(self._pending)

    def flush(self, *, everything: bool = False) -> int:
        """Emit what is queued (one budgeted batch, or ``everything``); returns the count."""
        with self._lock:
            n = len(self._pending)
            if not everything:
                n = min(n, self._batch_limit)
            pending = self._pending
            batch = [pending.popleft() for _ in range(n)]
            dropped, self._dropped = self._dropped, 0
        if dropped:
            self.backlogDropped.emit(dropped)
        if not batch:
            return 0
        started = time.perf_counter()
        self.eventsReady.emit(batch)
        self.delivered += len(batch)
        if not everything:
            self._adapt(len(batch), time.perf_counter() - started)
            # Behind: come back sooner. Each flush stays within the budget and the event loop
            # still paints and takes input between two of them; idle: the calm rate again.
            behind = len(self._pending) > 0
            interval = self._busy_interval_ms if behind else self._interval_ms
            if self._timer.interval() != interval:
                self._timer.setInterval(interval)
        return len(batch)

    def _adapt(self, n: int, elapsed: float) -> None:
        # Aim each flush at the budget: the per-event cost just measured says how many fit.
        if n < self._batch_limit and elapsed < self._budget_s:
            return  # not a full batch: nothing learned about the limit
        per_event = elapsed / n if n else 0.0
        target = int(self._budget_s / per_event) if per_event > 0 else self._batch_limit * 2
        # Move gradually so one slow flush (a garbage collection) does not starve the next.
        self._batch_limit = max(500, min(200_000, (self._batch_limit + target) // 2))
