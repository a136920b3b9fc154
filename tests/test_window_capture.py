"""A capture saved from the File menu and opened again (offline, no engine) shows the same rows;
HAR export writes the composer's exchanges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QFileDialog
from qt_helpers import window  # noqa: F401  (fixture)

from inspector.window import MainWindow


def _rows(model: Any) -> list[tuple[str, ...]]:
    return [
        tuple(str(model.index(r, c).data()) for c in range(model.columnCount()))
        for r in range(model.rowCount())
    ]


def test_capture_round_trip_shows_same_rows(
    qtbot: Any,
    window: MainWindow,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window.composer.path.setText("/login")
    window.composer.method.setCurrentText("POST")
    for path in ("/login", "/counter", "/boom"):
        window.composer.path.setText(path)
        with qtbot.waitSignal(window.exchangeFinished, timeout=10_000):
            window.composer.send_button.click()
        window.composer.method.setCurrentText("GET")
    qtbot.waitUntil(lambda: window.requests_model.rowCount() == 3, timeout=5_000)
    qtbot.waitUntil(
        lambda: all(window.history_model.exchange(r)["request_id"] is not None for r in range(3)),
        timeout=5_000,
    )
    qtbot.waitUntil(
        lambda: all(window.requests_model.info(r).done for r in range(3)), timeout=5_000
    )
    window.bridge.flush(everything=True)
    window.timeline.clear_filter()

    target = tmp_path / "run.ctxscope.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.save_action.trigger()
    assert target.exists()
    doc = json.loads(target.read_text())
    assert len(doc["events"]) == window.timeline_model.total()
    assert len(doc["exchanges"]) == 3

    opened: list[MainWindow] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(target), ""))
    original = window.open_capture
    monkeypatch.setattr(window, "open_capture", lambda p: opened.append(original(p)) or opened[-1])
    window.open_action.trigger()
    assert opened and opened[0] is not None
    offline = opened[0]
    assert offline.engine is None
    assert not offline.composer.send_button.isEnabled()
    assert _rows(offline.timeline_model) == _rows(window.timeline_model)
    assert _rows(offline.requests_model) == _rows(window.requests_model)
    assert _rows(offline.sessions_model) == _rows(window.sessions_model)
    assert [offline.history_model.exchange(r)["request_id"] for r in range(3)] == [
        window.history_model.exchange(r)["request_id"] for r in range(3)
    ]
    statuses = [offline.requests_model.info(r).status for r in range(3)]
    assert statuses == [200, 200, 500]
    offline.close()

    har = tmp_path / "run.har"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(har), ""))
    window.har_action.trigger()
    entries = json.loads(har.read_text())["log"]["entries"]
    assert [e["response"]["status"] for e in entries] == [200, 200, 500]


def test_unreadable_capture_is_one_line_in_the_status_bar(
    qtbot: Any,
    window: MainWindow,  # noqa: F811
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert window.open_capture(str(bad)) is None
    message = window.statusBar().currentMessage()
    assert message and "\n" not in message
