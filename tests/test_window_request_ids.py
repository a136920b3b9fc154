"""Concurrent identical requests from the window are each tied to their own engine request."""

from __future__ import annotations

from typing import Any

from qt_helpers import window  # noqa: F401  (fixture)

from inspector.window import MainWindow


def test_send_many_ties_each_response_to_its_own_request(
    qtbot: Any,
    window: MainWindow,  # noqa: F811
) -> None:
    composer = window.composer
    composer.method.setCurrentText("GET")
    composer.path.setText("/slow?ms=200")
    got: list[dict[str, Any]] = []
    window.exchangeFinished.connect(got.append)
    composer.copies.setValue(4)
    composer.send_many_button.click()
    qtbot.waitUntil(lambda: len(got) == 4, timeout=20_000)
    qtbot.waitUntil(lambda: all(ex.get("request_id") for ex in got), timeout=5_000)
    ids = {ex["request_id"] for ex in got}
    assert len(ids) == 4
    model = window.requests_model
    for ex in got:
        info = model.get(ex["request_id"])
        assert info is not None
        assert info.client_id == ex["client_request_id"]
        assert ex["client_request_id"].startswith("ctxscope-")
