"""The window survives its own bugs, keeps its layout, stops the server when closed, and shows
a crashing view as an error event."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from qt_helpers import window  # noqa: F401  (fixture)

from engine.events import Event
from inspector.engine_session import EngineSession
from inspector.models.describe import FLAG_ERROR
from inspector.window import MainWindow


def test_exception_in_a_slot_goes_to_the_status_bar(qtbot: Any, window: MainWindow) -> None:  # noqa: F811
    def broken() -> None:
        raise ValueError("deliberately broken slot")

    QTimer.singleShot(0, broken)
    qtbot.waitUntil(
        lambda: "deliberately broken slot" in window.statusBar().currentMessage(), timeout=3_000
    )
    assert window.isVisible()
    # and the window still works afterwards
    window.composer.path.setText("/whoami")
    with qtbot.waitSignal(window.exchangeFinished, timeout=10_000) as blocker:
        window.composer.send_button.click()
    assert blocker.args[0]["status"] == 200


def test_a_crashing_view_is_an_error_event_not_a_dead_window(
    qtbot: Any,
    window: MainWindow,  # noqa: F811
) -> None:
    window.composer.path.setText("/boom")
    with qtbot.waitSignal(window.exchangeFinished, timeout=10_000) as blocker:
        window.composer.send_button.click()
    assert blocker.args[0]["status"] == 500
    qtbot.waitUntil(lambda: blocker.args[0]["request_id"] is not None, timeout=5_000)
    rid = blocker.args[0]["request_id"]
    model = window.timeline_model
    qtbot.waitUntil(
        lambda: any(model.event_at(r).kind == "exception" for r in range(model.rowCount())),
        timeout=5_000,
    )
    rows = [model.row_of(r) for r in range(model.rowCount())]
    exc = next(r for r in rows if r.event.kind == "exception")
    assert exc.event.request_id == rid and exc.flag == FLAG_ERROR
    assert "ZeroDivisionError" in exc.event.error
    assert window.requests_model.get(rid).error


def test_closing_stops_the_server(qtbot: Any) -> None:
    engine = EngineSession.load(None).start()
    win = MainWindow(engine, persist=False)
    qtbot.addWidget(win)
    win.show()
    port = engine.server.port
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    win.close()
    assert not engine.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_layout_and_composer_persist(qtbot: Any, tmp_path: Path) -> None:
    QCoreApplication.setOrganizationName("ctxscope")
    QCoreApplication.setApplicationName("ctxscope-test")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    try:
        first = MainWindow(None, persist=True)
        qtbot.addWidget(first)
        first.show()
        first.tabs.setCurrentIndex(2)
        first.splitter.setSizes([480, 920])
        state = first.splitter.saveState()
        first.composer.path.setText("/counter")
        first.close()
        assert QSettings().value("composer/path") == "/counter"
        # (the offscreen screen is 800 px wide, so restored sizes are squeezed on show: compare
        # what was stored rather than pixels)
        assert QSettings().value("splitters/main") == state
        second = MainWindow(None, persist=True)
        qtbot.addWidget(second)
        second.show()
        assert second.tabs.currentIndex() == 2
        assert second.composer.path.text() == "/counter"
        second.close()
    finally:
        QSettings.setDefaultFormat(QSettings.Format.NativeFormat)
        QCoreApplication.setApplicationName("")


def test_paint_throttle_holds_while_streaming_and_lets_go_after(qtbot: Any) -> None:
    from PySide6.QtWidgets import QLabel

    from inspector.views.throttle import PaintThrottle

    label = QLabel("x")
    qtbot.addWidget(label)
    label.show()
    throttle = PaintThrottle([label], interval_ms=30)
    throttle.poke()
    assert not label.updatesEnabled() and throttle.holding
    for _ in range(3):  # a stream: still held between its repaints
        qtbot.wait(10)
        throttle.poke()
        assert throttle.holding
    qtbot.waitUntil(lambda: label.updatesEnabled() and not throttle.holding, timeout=2_000)


def test_gc_policy_defers_full_collections_and_restores() -> None:
    import gc
    import sys

    from inspector.bridge import EventBridge
    from inspector.gcpolicy import GcPolicy

    before = (gc.get_threshold(), sys.getswitchinterval())
    bridge = EventBridge()
    policy = GcPolicy(bridge).install()
    try:
        assert gc.get_threshold()[2] >= 1_000_000  # no automatic full collection
        assert sys.getswitchinterval() < before[1]
    finally:
        policy.uninstall()
    assert (gc.get_threshold(), sys.getswitchinterval()) == before


def test_bridge_fills_events_on_the_engine_thread(qtbot: Any) -> None:
    # The GUI thread only draws: an event reaches it with its fields already read, and what
    # was read is what the request did, whatever happened after the step.
    import threading

    from engine import App, session
    from inspector.bridge import EventBridge

    app = App("filled")
    app.secret_key = "k"

    @app.route("/")
    def index() -> str:
        session["n"] = 1
        return "ok"

    bridge = EventBridge()
    bridge.attach(app)
    worker = threading.Thread(target=lambda: app.test_client().get("/"))
    worker.start()
    worker.join()
    bridge.detach()
    with qtbot.waitSignal(bridge.eventsReady, timeout=5_000) as got:
        bridge.flush(everything=True)
    events = got.args[0]
    # Filled in already (on the engine's thread): every field is in the instance dict and
    # nothing raw is left to decode on the GUI thread.
    raw_of = Event.__dict__["_raw"].__get__
    assert events and all("seq" in ev.__dict__ and raw_of(ev) is None for ev in events)
    saved = next(ev for ev in events if ev.kind == "session_saved")
    assert saved.after == {"n": 1} and saved.thread == worker.ident


def test_bridge_catches_up_sooner_while_behind(qtbot: Any) -> None:
    # A burst larger than one flush: the next flushes come twice as often until it is drained,
    # each still one budgeted batch, then the calm rate returns.
    from engine.events import EVENT_TYPES, make_event
    from inspector.bridge import EventBridge

    cls = EVENT_TYPES["request_started"]
    depth = {"app": 1, "request": 1}
    burst = [make_event(cls, i, i, 1, 1, None, None, depth, {}) for i in range(5000)]
    bridge = EventBridge(interval_ms=40)
    bridge.push_many(burst)
    sizes: list[int] = []
    bridge.eventsReady.connect(lambda batch: sizes.append(len(batch)))
    bridge.flush()
    assert bridge.pending() > 0 and bridge.interval_ms == 20
    while bridge.pending():
        bridge.flush()
    bridge.flush()
    assert bridge.interval_ms == 40
    assert sum(sizes) == 5000 and max(sizes) < 5000


def test_bridge_bounds_its_backlog_and_says_what_it_dropped(qtbot: Any) -> None:
    # An engine that outruns the window for long costs bounded memory: the oldest waiting
    # events go, and the window is told how many.
    from engine.events import EVENT_TYPES, make_event
    from inspector.bridge import EventBridge

    cls = EVENT_TYPES["request_started"]
    depth = {"app": 1, "request": 1}
    bridge = EventBridge(max_pending=10)
    for i in range(25):
        bridge.push(make_event(cls, i, i, 1, 1, None, None, depth, {}))
    assert bridge.pending() == 10
    with (
        qtbot.waitSignal(bridge.backlogDropped, timeout=1_000) as dropped,
        qtbot.waitSignal(bridge.eventsReady, timeout=1_000) as got,
    ):
        bridge.flush(everything=True)
    assert dropped.args == [15]
    assert [ev.seq for ev in got.args[0]] == list(range(15, 25))  # the newest are kept
