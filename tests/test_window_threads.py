"""Five concurrent slow requests: five threads side by side, then none, depth back to 0."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from qt_helpers import window  # noqa: F401  (fixture)

from inspector.window import MainWindow


def test_five_slow_requests_show_five_threads_then_none(qtbot: Any, window: MainWindow) -> None:  # noqa: F811
    composer = window.composer
    window.tabs.setCurrentWidget(window.threads_view)
    composer.path.setText("/slow")
    composer.query.set_pairs([("ms", "1200")])
    composer.copies.setValue(5)
    seen: list[int] = []
    qtbot.mouseClick(composer.send_many_button, Qt.MouseButton.LeftButton)

    def five_cards() -> None:
        cards = window.threads_view.cards()
        slow = [
            c
            for c in cards.values()
            if any(
                "/slow" in str(item) for item in window.threads_state.threads()[c.ident]["request"]
            )
        ]
        assert len(slow) == 5
        # each card draws both stacks at depth 1 while its request is in the view
        for card in slow:
            assert card.painter.depths() == (1, 1)
        seen.append(len(slow))

    qtbot.waitUntil(five_cards, timeout=10_000)
    assert len({c.ident for c in window.threads_view.cards().values()}) >= 5

    qtbot.waitUntil(lambda: window.history_model.rowCount() == 5, timeout=15_000)
    qtbot.waitUntil(lambda: not window.threads_view.cards(), timeout=5_000)
    assert window.threads_state.threads() == {}
    # every slow request ended with both stacks empty
    ends = [ev for ev in window.timeline_model.events() if ev.kind == "app_ctx_popped"]
    assert len(ends) >= 5
    assert all(dict(ev.depth) == {"app": 0, "request": 0} for ev in ends)
    assert all(window.history_model.exchange(r)["status"] == 200 for r in range(5))
