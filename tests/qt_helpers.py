"""Shared pieces of the window tests: a window on a live demo engine, and small waits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from inspector.engine_session import EngineSession
from inspector.window import MainWindow


@pytest.fixture
def window(qtbot: Any) -> Iterator[MainWindow]:
    """The real window on the demo app, served on 127.0.0.1 by a real server."""
    yield from open_window(qtbot, None)


def open_window(qtbot: Any, app_spec: str | None) -> Iterator[MainWindow]:
    """A shown 1400x900 window on ``app_spec`` (``--app`` syntax; None: the demo)."""
    engine = EngineSession.load(app_spec).start()
    win = MainWindow(engine, persist=False)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    try:
        yield win
    finally:
        win.close()
        engine.stop()


def kinds_of(win: MainWindow, request_id: int) -> list[str]:
    """Every event kind the timeline holds for ``request_id``, in row order."""
    m = win.timeline_model
    return [ev.kind for ev in m.events() if ev.request_id == request_id]
