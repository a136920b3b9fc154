"""The composer sends over real HTTP; the timeline shows the request's events in order."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from qt_helpers import kinds_of, window  # noqa: F401  (fixture)

from inspector.window import MainWindow

PLAIN_ORDER = [
    "app_ctx_pushed",
    "request_ctx_pushed",
    "session_opened",
    "url_matched",
    "request_started",
    "before_request",
    "view",
    "after_request",
    "session_saved",
    "request_finished",
    "teardown_request",
    "request_tearing_down",
    "request_ctx_popped",
    "teardown_appcontext",
    "appcontext_tearing_down",
    "app_ctx_popped",
]


def _subsequence(wanted: list[str], got: list[str]) -> bool:
    it = iter(got)
    return all(any(k == w for k in it) for w in wanted)


def test_send_from_composer_shows_events_in_order(qtbot: Any, window: MainWindow) -> None:  # noqa: F811
    composer = window.composer
    composer.path.clear()
    qtbot.keyClicks(composer.path, "/api/visits")
    with qtbot.waitSignal(window.exchangeFinished, timeout=10_000) as blocker:
        qtbot.keyClick(composer.path, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    exchange = blocker.args[0]
    assert exchange["status"] == 200
    qtbot.waitUntil(lambda: exchange.get("request_id") is not None, timeout=5_000)
    rid = exchange["request_id"]
    qtbot.waitUntil(lambda: "app_ctx_popped" in kinds_of(window, rid), timeout=5_000)
    kinds = kinds_of(window, rid)
    assert _subsequence(PLAIN_ORDER, kinds), kinds
    # the timeline is narrowed to that request, rows in seq order
    model = window.timeline_model
    assert model.request_filter == rid
    seqs = [model.event_at(r).seq for r in range(model.rowCount())]
    assert seqs == sorted(seqs) and len(seqs) == len(kinds)
    # history row and response pane
    assert window.history_model.rowCount() == 1
    assert window.response.status.text().count("200")
