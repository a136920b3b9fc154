"""A breakpoint holds a request mid-lifecycle; Step advances exactly one event."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from qt_helpers import window  # noqa: F401  (fixture)

from inspector.window import MainWindow

_OWN = ("paused", "resumed")


def _request_events(win: MainWindow, rid: int) -> list[Any]:
    return [e for e in win.timeline_model.events() if e.request_id == rid and e.kind not in _OWN]


def test_breakpoint_pauses_and_step_advances_one_event(qtbot: Any, window: MainWindow) -> None:  # noqa: F811
    step = window.stepmode
    window.tabs.setCurrentWidget(step)
    step.set_kinds(["request_started"])
    assert window.engine is not None
    assert window.engine.breakpoints.kinds == frozenset({"request_started"})
    window.composer.path.setText("/api/visits")
    qtbot.mouseClick(window.composer.send_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.paused_model.rowCount() == 1, timeout=5_000)
    first = window.paused_model.step(0)
    assert first.event.kind == "request_started"
    rid = first.request_id
    # while held: step mode draws the held thread's stacks (depth 1/1); the request is unfinished
    qtbot.waitUntil(lambda: first.thread in step.stacks.cards(), timeout=3_000)
    assert step.stacks.cards()[first.thread].painter.depths() == (1, 1)
    assert window.history_model.rowCount() == 0
    qtbot.waitUntil(lambda: bool(_request_events(window, rid)), timeout=3_000)
    before = _request_events(window, rid)
    assert before[-1].seq == first.event.seq

    qtbot.mouseClick(step.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            window.paused_model.rowCount() == 1
            and window.paused_model.step(0).event.seq != first.event.seq
        ),
        timeout=5_000,
    )
    second = window.paused_model.step(0)
    qtbot.waitUntil(lambda: _request_events(window, rid)[-1].seq == second.event.seq, timeout=3_000)
    after = _request_events(window, rid)
    assert len(after) == len(before) + 1  # exactly one lifecycle event happened
    assert after[-1].seq == second.event.seq
    assert second.event.kind != "request_started"
    assert window.history_model.rowCount() == 0  # still held

    step.set_kinds([])
    with qtbot.waitSignal(window.exchangeFinished, timeout=10_000) as done:
        qtbot.mouseClick(step.continue_all, Qt.MouseButton.LeftButton)
    assert done.args[0]["status"] == 200
    qtbot.waitUntil(lambda: window.paused_model.rowCount() == 0, timeout=3_000)
    kinds = [e.kind for e in window.timeline_model.events() if e.request_id == rid]
    assert kinds.count("paused") == 2 and kinds.count("resumed") == 2


def test_held_hook_cell_tells_the_whole_name(qtbot: Any, window: MainWindow) -> None:  # noqa: F811
    step = window.stepmode
    window.tabs.setCurrentWidget(step)
    step.set_kinds(["view"])
    window.composer.path.setText("/shop/cart/")
    qtbot.mouseClick(window.composer.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.paused_model.rowCount() == 1, timeout=5_000)
    held = window.paused_model.step(0).event
    model = window.paused_model
    tip = model.data(model.index(0, 4), Qt.ItemDataRole.ToolTipRole)
    # a nested blueprint's view: the column may cut it, the tooltip never does
    assert held.blueprint == "shop.cart"
    assert tip == f"shop.cart: {held.name}"
    step.set_kinds([])
    with qtbot.waitSignal(window.exchangeFinished, timeout=10_000):
        qtbot.mouseClick(step.continue_all, Qt.MouseButton.LeftButton)


def test_held_table_fits_its_columns_at_the_default_size(qtbot: Any, window: MainWindow) -> None:  # noqa: F811
    step = window.stepmode
    window.tabs.setCurrentWidget(step)
    assert window.size().width() == 1400 and window.size().height() == 900
    step.set_kinds(["view"])
    window.composer.path.setText("/shop/cart/")
    qtbot.mouseClick(window.composer.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.paused_model.rowCount() == 1, timeout=5_000)
    model, table = window.paused_model, step.table
    header = table.horizontalHeader()
    detail_col = model.columnCount() - 1
    assert model.headerData(detail_col, Qt.Orientation.Horizontal) == "detail"

    def fits() -> bool:
        sizes = [header.sectionSize(c) for c in range(model.columnCount())]
        return (
            sum(sizes) <= table.viewport().width() and not table.horizontalScrollBar().isVisible()
        )

    qtbot.waitUntil(fits, timeout=3_000)  # every column in view: no sideways scrolling
    for col in range(detail_col):  # the short columns show their header and cells whole
        assert header.sectionSize(col) >= header.sectionSizeHint(col)
        assert header.sectionSize(col) >= table.sizeHintForColumn(col)
    text = model.data(model.index(0, detail_col))
    assert text.startswith("returned ")  # what the held view returned
    assert header.sectionSize(detail_col) >= table.sizeHintForColumn(detail_col)
    # detail elides when long; its tooltip always carries the whole text
    tip = model.data(model.index(0, detail_col), Qt.ItemDataRole.ToolTipRole)
    assert tip == text
    # the "Pause after" list is as wide as its longest point needs, no wider than before
    kinds = step.kinds
    assert kinds.viewport().width() >= kinds.sizeHintForColumn(0)
    assert kinds.parentWidget().width() < 240

    window.resize(1800, 900)  # a wider window: detail takes the new room
    qtbot.waitUntil(lambda: header.sectionSize(detail_col) > 300 and fits(), timeout=3_000)
    step.set_kinds([])
    with qtbot.waitSignal(window.exchangeFinished, timeout=10_000):
        qtbot.mouseClick(step.continue_all, Qt.MouseButton.LeftButton)
