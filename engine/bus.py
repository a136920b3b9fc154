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
_set_raw = Event.__dict__["_raw"].__set__  # events are frozen: set the slot directly
_monotonic_ns = time.monotonic_ns
_NO_DEPTH: Mapping[str, int] = MappingProxyType({"app": 0, "request": 0})

Subscriber = Callable[[Event], object]
Emit = Callable[..., Event]


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
        self.breakpoints = Breakpoints(self)  # pausing threads at chosen event kinds
        self.active = False  # any subscriber or breakpoint: events must be built
        # What ``emit`` reads at every step, in one list it holds from the start: changes are
        # made in place, so a caller that kept ``bus.emit`` sees them too.
        self._hot: list[Any] = [(), None, get_ident]  # subscribers, armed breakpoints, ident
        self.emit: Emit = self._build_emit()  # the hot path (see ``_build_emit``)

    @property
    def ident(self) -> Callable[[], int]:
        """The ident function events are stamped with (the stacks' own)."""
        return self._hot[2]  # type: ignore[no-any-return]

    @ident.setter
    def ident(self, func: Callable[[], int]) -> None:
        self._hot[2] = func

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
        hot = self._hot
        hot[0] = self._subscribers
        hot[1] = self.breakpoints if self.breakpoints.armed else None
        self.active = bool(self._subscribers) or self.breakpoints.armed

    def _build_emit(self) -> Emit:
        """The bus's ``emit(cls, request_id, name, blueprint, extras)``.

        It builds the event, delivers it to every subscriber, then lets breakpoints hold this
        thread if they ask, and returns the event. ``name`` is a string or the hook itself
        (named when read); ``extras`` holds the kind's own fields in declaration order, as
        immutable snapshots (see ``Event._decode``), or a dict of them.

        It runs at every step of an observed request, so what it needs is bound as closure
        variables instead of looked up on the bus each time.
        """
        hot = self._hot
        next_seq = self._next_seq
        depth_of = self._depths.get
        report = self._report
        new = _new
        set_raw = _set_raw
        monotonic_ns = _monotonic_ns
        no_depth = _NO_DEPTH

        def emit(
            cls: type[Event],
            request_id: int | None,
            name: object,
            blueprint: str | None,
            extras: tuple[Any, ...] | dict[str, Any] = (),
        ) -> Event:
            # One slot set to one tuple; the fields are named when read (Event.__getattr__).
            subscribers, breakpoints, ident = hot
            thread = ident()
            event = new(cls)
            set_raw(
                event,
                (
                    next_seq(),
                    monotonic_ns(),
                    thread,
                    request_id,
                    name,
                    blueprint,
                    depth_of(thread, no_depth),
                    extras,
                ),
            )
            for callback in subscribers:
                try:
                    callback(event)
                except Exception:
                    report(callback)
            if breakpoints is not None:
                breakpoints.after(event)
            return event

        return emit

    def _report(self, callback: Subscriber) -> None:
        # A broken observer must never break the request it observes; say so once.
        key = id(callback)
        if key not in self._failed:
            self._failed.add(key)
            log.exception("ctxscope subscriber %r failed; further errors hidden", callback)
