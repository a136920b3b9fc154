"""Exceptions in Qt slots go to the status bar, never kill the window.

PySide reports an exception raised in a slot through ``sys.excepthook`` and carries on; the
default hook only prints it, and an uncaught exception in some configurations aborts the
process. The hook installed here prints the traceback (for bug reports) and shows one line in
the window's status bar.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

__all__ = ["install_excepthook"]

_installed: list[Callable[[str], None]] = []  # sinks, newest last


def _hook(
    exc_type: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    traceback.print_exception(exc_type, exc, tb, file=sys.stderr)
    line = f"internal error: {exc_type.__name__}: {exc}".splitlines()[0][:300]
    for sink in list(_installed):
        try:
            sink(line)
        except Exception:
            pass


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    _hook(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)


def install_excepthook(sink: Callable[[str], None]) -> Callable[[], None]:
    """Show every uncaught exception through ``sink``; returns a function that removes it."""
    _installed.append(sink)
    sys.excepthook = _hook
    threading.excepthook = _thread_hook

    def remove() -> None:
        if sink in _installed:
            _installed.remove(sink)
        if not _installed:
            sys.excepthook = sys.__excepthook__
            threading.excepthook = threading.__excepthook__

    return remove
