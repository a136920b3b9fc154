"""The composer sends over real HTTP; the timeline shows the request's events in order."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication
from qt_helpers import kinds_of, window  # noqa: F401  (fixture)

from engine.events import EVENT_TYPES, Event, make_event
from inspector.models.describe import ThreadNames
from inspector.models.requests import RequestsModel
from inspector.models.timeline import TimelineModel
from inspector.views.hook_elide import HookLabelDelegate, fit_hook_label
from inspector.views.timeline import TimelineView
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


def _hook_event(name: str, blueprint: str | None) -> Event:
    cls = EVENT_TYPES["before_request"]
    fields: dict[str, object] = {f: None for f in cls._extra_fields}
    return make_event(cls, 1, 1000, 7, 1, name, blueprint, {"app": 1, "request": 1}, fields)


def test_long_hook_names_elide_in_the_middle_with_the_full_name_in_the_tooltip(qtbot: Any) -> None:
    model = TimelineModel(ThreadNames())
    view = TimelineView(RequestsModel(ThreadNames()), model)
    qtbot.addWidget(view)
    model.ingest(
        [
            _hook_event("create_app.<locals>.before_reports", "admin.reports"),
            _hook_event("create_app.<locals>.app_before", None),
        ]
    )
    nested = model.index(0, TimelineModel.COL_HOOK)
    assert nested.data() == "before_reports  [admin.reports]"
    # the tooltip carries what the cell shortens (<locals>) or elides: blueprint and full name
    assert nested.data(Qt.ItemDataRole.ToolTipRole) == (
        "admin.reports: create_app.<locals>.before_reports"
    )
    plain = model.index(1, TimelineModel.COL_HOOK)
    assert plain.data(Qt.ItemDataRole.ToolTipRole) == "create_app.<locals>.app_before"

    # the column's delegate fits the label: the name whole, the blueprint elided in its middle
    delegate = view.events_view.itemDelegateForColumn(TimelineModel.COL_HOOK)
    assert isinstance(delegate, HookLabelDelegate)
    assert view.events_view.itemDelegateForColumn(TimelineModel.COL_DETAIL) is None
    view.resize(1000, 600)
    view.show()
    qtbot.waitExposed(view)
    view.events_view.grab()  # paints the cell through the delegate without error


def test_fit_hook_label_keeps_the_name_and_elides_the_blueprint_in_its_middle(qtbot: Any) -> None:
    metrics = QFontMetrics(QApplication.font())
    label = "child_after_2  [admin.reports.archive]"
    assert fit_hook_label(label, metrics, 10_000) == label  # fits: untouched
    narrow = metrics.horizontalAdvance("child_after_2  [admin.re…]")
    shown = fit_hook_label(label, metrics, narrow)
    # both ends of the blueprint stay, and all of the name that tells the hooks apart
    assert shown.startswith("child_after_2  [adm") and shown.endswith("ive]"), shown
    assert "…" in shown and metrics.horizontalAdvance(shown) <= narrow
    # no room for a blueprint worth reading: it shrinks to […]; the name keeps both its ends
    shown = fit_hook_label(label, metrics, metrics.horizontalAdvance("child_after_2  […]"))
    assert shown == "child_after_2  […]", shown
    shown = fit_hook_label(label, metrics, metrics.horizontalAdvance("child_af  […]"))
    assert shown.startswith("ch") and shown.endswith("_2  […]") and "…" in shown[:-2], shown
    # a long name alone keeps its start and its end
    long_name = "require_login_for_admin_reports"
    shown = fit_hook_label(long_name, metrics, metrics.horizontalAdvance("require_login_fo"))
    assert shown.startswith("requ") and shown.endswith("rts") and "…" in shown, shown
