"""The event bus of one app: subscribers, sequence numbers, and the hand-off to breakpoints.

Instrumented code checks ``bus.active`` before it builds an event's fields, so an app nobody
watches pays one attribute read per step and nothing else.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from .breakpoints import Breakpoints
from .events import Event
from .local import get_ident

__all__ = ["EventBus", "Subscription"]

log = logging.getLogger("ctxscope")
_new = object.__new__
_setattr = object.__setattr__
_monotonic_ns = time.monotonic_ns
_NO_DEPTH: Mapping[str, int] = MappingProxyType({"app": 0, "request": 0})

Subscriber = Callable[[Event], object]


class Subscription:
    """Handle returned by ``subscribe``: call ``unsubscribe()`` (or use it as a context manager)."""

    def __init__(self, bus: EventBus, callback: Subscriber) -> None:
        self._bus = bus  # the bus to leave
        self.callback = callback  # the subscribed callable

    def unsubscribe(self) -> None:
        self._bus._remove(self.callback)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.unsubscribe()


class EventBus:
    """Delivers an app's events to its subscribers, on the thread where the step happened."""

    def __init__(self, depths: Mapping[int, Mapping[str, int]]) -> None:
        self._depths = depths  # {"app": n, "request": m} by ident, kept by the stacks' owner
        self._subscribers: tuple[Subscriber, ...] = ()  # replaced, never mutated, on change
        self._failed: set[int] = set()  # ids of subscribers whose failure was reported
        self._lock = threading.Lock()  # serializes subscribe/unsubscribe
        self._next_seq = itertools.count(1).__next__  # atomic under the GIL
        self.ident: Callable[[], int] = get_ident  # same ident function as the stacks
        self.breakpoints = Breakpoints(self)  # pausing threads at chosen event kinds
        self.active = False  # any subscriber or breakpoint: events must be built

    def subscribe(self, callback: Subscriber) -> Subscription:
        with self._lock:
            self._subscribers = (*self._subscribers, callback)
            self._update_active()
        return Subscription(self, callback)

    def _remove(self, callback: Subscriber) -> None:
        with self._lock:
            subs = list(self._subscribers)
            if callback in subs:
                subs.remove(callback)
            self._subscribers = tuple(subs)
            self._update_active()

    def _update_active(self) -> None:
        self.active = bool(self._subscribers) or self.breakpoints.armed

    def emit(
        self,
        cls: type[Event],
        request_id: int | None,
        name: object,
        blueprint: str | None,
        extras: tuple[Any, ...] | dict[str, Any] = (),
    ) -> Event:
        """Build the event, deliver it, then let breakpoints hold this thread if they ask.

        ``name`` is a string or the hook itself (named when read); ``extras`` holds the kind's
        own fields in declaration order, as immutable snapshots (see ``Event._decode``).
        """
        # The hot path of an observed app: one raw tuple, the fields are named when read.
        thread = self.ident()
        event = _new(cls)
        _setattr(
            event,
            "_raw",
            (
                self._next_seq(),
                _monotonic_ns(),
                thread,
                request_id,
                name,
                blueprint,
                self._depths.get(thread, _NO_DEPTH),
                extras,
            ),
        )
        for callback in self._subscribers:
            try:
                callback(event)
            except Exception:
                self._report(callback)
        if self.breakpoints.armed:
            self.breakpoints.after(event)
        return event

    def _report(self, callback: Subscriber) -> None:
        # A broken observer must never break the request it observes; say so once.
        key = id(callback)
        if key not in self._failed:
            self._failed.add(key)
            log.exception("ctxscope subscriber %r failed; further errors hidden", callback)
