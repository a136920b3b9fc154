"""Lifecycle timeline: the requests on the left, the selected request's events in order on the
right (thread, time offset, delta to the previous event, hook and blueprint, stack depth after
the step), and the selected event's JSON below."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.models.describe import event_json_text
from inspector.models.requests import RequestsModel
from inspector.models.timeline import TimelineModel

from .hook_elide import HookLabelDelegate
from .response import mono_font

__all__ = ["TimelineView", "configure_table"]

NOISE_KINDS = frozenset({"local_set", "local_released", "local_deleted"})


def configure_table(view: QTableView, *, stretch_last: bool = True) -> None:
    """The look every log-like table in the window shares."""
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(22)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.horizontalHeader().setStretchLastSection(stretch_last)
    view.horizontalHeader().setHighlightSections(False)
    view.setWordWrap(False)
    view.setAlternatingRowColors(True)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)


class TimelineView(QWidget):
    """Requests list + events table + details; ``requestSelected`` when the user picks one."""

    requestSelected = Signal(int)  # request_id

    def __init__(self, requests: RequestsModel, timeline: TimelineModel, parent: Any = None):
        super().__init__(parent)
        self.requests_model = requests  # one row per request
        self.timeline_model = timeline  # every event (filtered to the selected request)

        self.follow = QCheckBox("Follow newest")  # keep the newest request/event in view
        self.follow.setChecked(True)
        self.hide_locals = QCheckBox("Hide local_* steps")  # the Local writes under each push
        self.show_all = QPushButton("All requests")  # clear the request filter
        self.counter = QLabel()  # "N events kept (cap M)"
        self.counter.setStyleSheet("color:#6c757d")
        self.counter.setMinimumWidth(330)  # a changing count must not relayout the toolbar
        self.counter.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar = QHBoxLayout()
        bar.addWidget(self.show_all)
        bar.addWidget(self.follow)
        bar.addWidget(self.hide_locals)
        bar.addStretch(1)
        bar.addWidget(self.counter)

        self.requests_view = QTableView()  # request list
        self.requests_view.setModel(requests)
        configure_table(self.requests_view, stretch_last=False)
        hdr = self.requests_view.horizontalHeader()
        hdr.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 44), (1, 70), (3, 60), (4, 60), (5, 80), (6, 60)):
            self.requests_view.setColumnWidth(col, width)

        self.events_view = QTableView()  # the events
        self.events_view.setModel(timeline)
        configure_table(self.events_view)
        for col, width in enumerate((46, 36, 50, 62, 58, 170, 150, 56)):
            self.events_view.setColumnWidth(col, width)
        self._hook_delegate = HookLabelDelegate(self)  # name kept whole, blueprint elided
        self.events_view.setItemDelegateForColumn(TimelineModel.COL_HOOK, self._hook_delegate)

        self.details = QPlainTextEdit()  # the selected event's JSON
        self.details.setReadOnly(True)
        self.details.setFont(mono_font())
        self.details.setPlaceholderText("Select an event to see its JSON.")

        # Requests on top, their events below at full width (the columns need it), JSON last.
        self.splitter = QSplitter(Qt.Orientation.Vertical)  # saved in the settings
        self.splitter.addWidget(self.requests_view)
        self.splitter.addWidget(self.events_view)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 1)
        self.splitter.setSizes([170, 460, 190])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

        self._scroll_timer = QTimer(self)  # coalesces "scroll to newest" to once per frame
        self._scroll_timer.setSingleShot(True)
        self._scroll_timer.setInterval(0)
        self._scroll_timer.timeout.connect(self._scroll_to_newest)
        timeline.rowsInserted.connect(self._on_rows)
        requests.rowsInserted.connect(self._on_rows)
        self.requests_view.selectionModel().currentRowChanged.connect(self._request_changed)
        self.events_view.selectionModel().currentRowChanged.connect(self._event_changed)
        self.show_all.clicked.connect(self.clear_filter)
        self.hide_locals.toggled.connect(
            lambda on: timeline.set_hidden_kinds(NOISE_KINDS if on else None)
        )
        self._update_counter()

    def _on_rows(self, *_: Any) -> None:
        self._update_counter()
        if self.follow.isChecked():
            self._scroll_timer.start()

    def _scroll_to_newest(self) -> None:
        self.events_view.scrollToBottom()
        if self.timeline_model.request_filter is None:
            self.requests_view.scrollToBottom()

    def _update_counter(self) -> None:
        m = self.timeline_model
        shown = m.rowCount()
        total = m.total()
        which = (
            f"request #{m.request_filter}: {shown} events"
            if m.request_filter is not None
            else f"{shown} events"
        )
        self.counter.setText(f"{which} · {total} kept (cap {m.cap})")

    def _request_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        rid = self.requests_model.info(current.row()).request_id
        self.timeline_model.set_request_filter(rid)
        self.events_view.setColumnHidden(TimelineModel.COL_REQ, True)
        self._update_counter()
        self.requestSelected.emit(rid)

    def _event_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid() or current.row() >= self.timeline_model.rowCount():
            self.details.setPlainText("")
            return
        self.details.setPlainText(event_json_text(self.timeline_model.event_at(current.row())))

    def clear_filter(self) -> None:
        self.requests_view.selectionModel().clearSelection()
        self.requests_view.setCurrentIndex(QModelIndex())
        self.timeline_model.set_request_filter(None)
        self.events_view.setColumnHidden(TimelineModel.COL_REQ, False)
        self._update_counter()

    def select_request(self, request_id: int) -> bool:
        """Narrow the timeline to ``request_id`` and select it in the list."""
        row = self.requests_model.row_for(request_id)
        if row < 0:
            return False
        idx = self.requests_model.index(row, 0)
        self.requests_view.selectionModel().setCurrentIndex(
            idx,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.requests_view.scrollTo(idx)
        return True

    def select_event_seq(self, seq: int) -> bool:
        row = self.timeline_model.find_seq(seq)
        if row < 0:
            return False
        idx = self.timeline_model.index(row, 0)
        self.events_view.setCurrentIndex(idx)
        self.events_view.scrollTo(idx)
        return True
