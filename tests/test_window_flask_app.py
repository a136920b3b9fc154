"""The window on a user's real Flask app: events flow, the threads view says it is rebuilt,
and a custom session interface's cookie is not misdecoded as a signed cookie."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from qt_helpers import open_window

from inspector.window import MainWindow

FIXTURES = Path(__file__).parent / "fixtures_flask"


@pytest.fixture
def flask_window(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[MainWindow]:
    monkeypatch.syspath_prepend(str(FIXTURES))
    try:
        yield from open_window(qtbot, "ctxfx_serverside:create_app")
    finally:
        sys.modules.pop("ctxfx_serverside", None)


def test_flask_app_in_the_window(qtbot: Any, flask_window: MainWindow) -> None:
    win = flask_window
    notice = win.threads_view.notice
    assert notice.isVisibleTo(win.threads_view) and "Reconstructed" in notice.text()

    composer = win.composer
    composer.path.clear()
    qtbot.keyClicks(composer.path, "/set/teapot")
    with qtbot.waitSignal(win.exchangeFinished, timeout=10_000) as blocker:
        qtbot.keyClick(composer.path, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    exchange = blocker.args[0]
    assert exchange["status"] == 200 and exchange["response_body"] == b"set"
    qtbot.waitUntil(lambda: exchange.get("request_id") is not None, timeout=5_000)
    rid = exchange["request_id"]

    def kinds() -> list[str]:
        return [e.kind for e in win.timeline_model.events() if e.request_id == rid]

    qtbot.waitUntil(lambda: "app_ctx_popped" in kinds(), timeout=5_000)
    opened = next(
        e for e in win.timeline_model.events() if e.request_id == rid and e.kind == "session_opened"
    )
    assert opened.verdict == "custom" and opened.interface == "ServerSideSessionInterface"
    set_cookie = next(v for k, v in exchange["response_headers"] if k == "Set-Cookie")
    described = win._describe_cookie(set_cookie)
    assert "not a signed cookie" in described and "ServerSideSessionInterface" in described
