"""What every thread holds in its context-local storage, kept current on the GUI thread.

Two sources, because each alone is not enough: ``local_set`` / ``local_released`` events say
at once that a stack grew, shrank or vanished (so a push is seen even between two timer ticks,
and while a breakpoint holds the thread), but they carry only each context's label; the engine's
``snapshot()`` is a consistent cut of every stack with each context summarized (``g``, the
session, the view args) and corrects anything the events alone got wrong (idents of contexts
pushed before the window subscribed, events dropped under overload).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.events import Event

__all__ = ["ThreadsState"]

_STACKS = {"_app_ctx_stack": "app", "_request_ctx_stack": "request"}

Stacks = dict[str, list[Any]]  # {"app": [...], "request": [...]}, items: summary dict or label


def _label(item: Any) -> str:
    """The label the engine puts in stack events for a context summary (see engine.ctx)."""
    if isinstance(item, dict):
        if item.get("type") == "AppContext":
            return f"<AppContext {item.get('app')}>"
        if item.get("type") == "RequestContext":
            return f"<RequestContext {item.get('method')} {item.get('path')}>"
    return str(item)


def _merge(old: list[Any], labels: list[Any]) -> list[Any]:
    # Keep the richer snapshot summary where the event's label says it is the same context.
    out = []
    for i, label in enumerate(labels):
        if i < len(old) and _label(old[i]) == label:
            out.append(old[i])
        else:
            out.append(label)
    return out


class ThreadsState(QObject):
    """``{ident: {"app": [...], "request": [...]}}`` plus which request each thread serves."""

    changed = Signal()  # the set of threads or a stack changed (at most once per batch)

    def __init__(self, snapshot: Callable[[], dict[int, Stacks]] | None = None, parent: Any = None):
        super().__init__(parent)
        self._snapshot = snapshot  # engine.globals.snapshot, None offline
        self._stacks: dict[int, Stacks] = {}  # ident -> stacks
        self._request_of: dict[int, int | None] = {}  # ident -> request id on top

    def threads(self) -> dict[int, Stacks]:
        return self._stacks

    def request_of(self, ident: int) -> int | None:
        return self._request_of.get(ident)

    def depth(self, ident: int) -> tuple[int, int]:
        s = self._stacks.get(ident)
        if not s:
            return (0, 0)
        return (len(s.get("app", ())), len(s.get("request", ())))

    def clear(self) -> None:
        self._stacks.clear()
        self._request_of.clear()
        self.changed.emit()

    # --- sources -------------------------------------------------------------------------------

    def ingest(self, events: list[Event]) -> None:
        """Apply the stack changes in a batch of events."""
        touched = False
        threads = self._stacks
        for ev in events:
            kind = ev.kind
            if kind != "local_set" and kind != "local_released" and kind != "local_deleted":
                continue
            d = ev.as_dict()
            which = _STACKS.get(d["local"])
            if which is None:
                continue
            ident = d["ident"]
            stacks = threads.get(ident)
            if kind == "local_set":
                value = d["value"] if isinstance(d["value"], list) else [d["value"]]
                if stacks is None:
                    stacks = threads[ident] = {"app": [], "request": []}
                stacks[which] = _merge(stacks[which], value)
                if ev.request_id is not None:
                    self._request_of[ident] = ev.request_id
            elif stacks is not None:
                stacks[which] = []
                if not stacks["app"] and not stacks["request"]:
                    del threads[ident]
                    self._request_of.pop(ident, None)
            touched = True
        if touched:
            self.changed.emit()

    def refresh(self) -> bool:
        """Replace the picture with the engine's snapshot; returns whether anything changed."""
        if self._snapshot is None:
            return False
        snap = self._snapshot()
        if snap == self._stacks:
            return False
        for ident, stacks in snap.items():
            top = (stacks.get("request") or stacks.get("app") or [None])[-1]
            if isinstance(top, dict) and top.get("request_id") is not None:
                self._request_of[ident] = top["request_id"]
        for ident in set(self._request_of) - set(snap):
            self._request_of.pop(ident, None)
        self._stacks = {
            ident: {"app": list(s["app"]), "request": list(s["request"])}
            for ident, s in snap.items()
        }
        self.changed.emit()
        return True
