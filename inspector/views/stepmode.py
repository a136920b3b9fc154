"""Step mode: pick lifecycle points to pause at, see the held requests, Step / Continue /
Continue all, and a slow-motion delay — with the held threads' stacks drawn alongside, so a push
or pop can be watched one step at a time.

Everything goes through ``app.breakpoints`` (thread-safe; the engine holds the request's own
thread, never the GUI's); the held list is re-read on ``paused``/``resumed`` events and on a
slow timer, so it is right even if an event was missed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.events import EVENT_TYPES, LIFECYCLE_ORDER, Event
from inspector.models.describe import ThreadNames, event_json_text
from inspector.models.paused import PausedModel
from inspector.threads_state import ThreadsState

from .response import mono_font
from .threads import ThreadsView
from .timeline import configure_table

__all__ = ["StepModeView"]

_NEVER = frozenset({"paused", "resumed"})  # the engine's own reports, not lifecycle points
_DEFAULT = ("before_request", "view")
# The most characters each column before detail is given: req, thread, after seq, paused after
# (the longest kind fits), hook / view, depth app/req.
_COLUMN_CHARS = (6, 12, 8, 23, 24, 13)
_HOOK = 4  # the column that gives way first (its tooltip has the whole name)
_DETAIL_CHARS = 16  # what detail keeps before a sideways scrollbar appears


def pausable_kinds() -> list[str]:
    """Lifecycle order first, then any other kind the engine knows (WebSocket...)."""
    known = [k for k in LIFECYCLE_ORDER if k in EVENT_TYPES]
    rest = sorted(k for k in EVENT_TYPES if k not in known and k not in _NEVER)
    return known + rest


class StepModeView(QWidget):
    """Breakpoint controls over an engine ``Breakpoints`` object (None offline)."""

    message = Signal(str)  # one line for the status bar

    def __init__(
        self,
        state: ThreadsState,
        names: ThreadNames,
        paused_model: PausedModel,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._bp: Any = None  # app.breakpoints, set by attach()
        self.model = paused_model  # held threads
        self.kinds = QListWidget()  # checkable lifecycle points
        for kind in pausable_kinds():
            item = QListWidgetItem(kind)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.kinds.addItem(item)
        self.kinds.itemChanged.connect(self._kinds_changed)
        self.preset = QPushButton("Hooks + view")  # before_request and view, in one click
        self.preset.setToolTip("Pause after every before_request function and after the view")
        self.none = QPushButton("None")  # uncheck all
        self.delay = QDoubleSpinBox()  # slow motion after every event
        self.delay.setRange(0.0, 5.0)
        self.delay.setSingleStep(0.05)
        self.delay.setDecimals(2)
        self.delay.setSuffix(" s")
        self.delay.setToolTip("Sleep after every lifecycle event of every request (slow motion)")
        self.timeout = QDoubleSpinBox()  # how long a pause may hold a thread
        self.timeout.setRange(1.0, 3600.0)
        self.timeout.setValue(60.0)
        self.timeout.setSuffix(" s")
        self.timeout.setToolTip("A held request goes on by itself after this long")
        self.delay.valueChanged.connect(self._delay_changed)
        self.timeout.valueChanged.connect(self._timeout_changed)
        self.preset.clicked.connect(lambda: self.set_kinds(_DEFAULT))
        self.none.clicked.connect(lambda: self.set_kinds(()))

        points = QGroupBox("Pause after")
        pl = QVBoxLayout(points)
        pl.addWidget(self.kinds, 1)
        row = QHBoxLayout()
        row.addWidget(self.preset)
        row.addWidget(self.none)
        pl.addLayout(row)
        form = QFormLayout()
        form.addRow("Slow motion", self.delay)
        form.addRow("Hold at most", self.timeout)
        pl.addLayout(form)
        # Only the width the longest lifecycle point needs (plus a scrollbar for short windows):
        # the rest goes to the held table on the right.
        kinds_width = (
            self.kinds.sizeHintForColumn(0)
            + 2 * self.kinds.frameWidth()
            + self.kinds.verticalScrollBar().sizeHint().width()
        )
        self.kinds.setMinimumWidth(kinds_width)
        margins = pl.contentsMargins()
        points.setMaximumWidth(
            max(kinds_width + margins.left() + margins.right(), points.minimumSizeHint().width())
        )

        self.table = QTableView()  # the held threads
        self.table.setModel(paused_model)
        configure_table(self.table)  # detail, the last column, takes what is left
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)  # the tooltip has it all
        self._held_viewport = self.table.viewport()
        self._held_viewport.installEventFilter(self)  # refit the columns when it is resized
        self._fit_columns()
        self.step_button = QPushButton("Step")  # to the very next event, then hold again
        self.step_button.setToolTip("Run the selected request to its next event (F10)")
        self.step_button.setShortcut("F10")
        self.continue_button = QPushButton("Continue")  # to the next chosen point
        self.continue_button.setToolTip("Run the selected request to the next chosen point (F5)")
        self.continue_button.setShortcut("F5")
        self.continue_all = QPushButton("Continue all")  # release every held thread
        self.step_button.clicked.connect(self.step_selected)
        self.continue_button.clicked.connect(self.continue_selected)
        self.continue_all.clicked.connect(self.resume_all)
        self.where = QPlainTextEdit()  # the event the selected thread is held after
        self.where.setReadOnly(True)
        self.where.setFont(mono_font())
        self.where.setPlaceholderText(
            "Tick lifecycle points on the left, send a request, and it stops here."
        )
        self.stacks = ThreadsView(state, names)  # every thread's stacks, the held one selected
        self.status = QLabel()  # "2 requests held"
        buttons = QHBoxLayout()
        for b in (self.step_button, self.continue_button, self.continue_all):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.status)

        held = QWidget()
        hl = QVBoxLayout(held)
        hl.setContentsMargins(0, 0, 0, 0)
        hl.addWidget(QLabel("<b>Held requests</b> — where each one stands"))
        hl.addWidget(self.table, 2)
        hl.addLayout(buttons)
        # A narrow pane beside the stacks: wrap rather than hide the end of every line.
        self.where.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.where.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.where.setMinimumWidth(200)
        self.stacks.setMinimumWidth(200)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.stacks)
        lower.addWidget(self.where)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        lower.setSizes([540, 310])
        self.lower_splitter = lower  # saved in the settings
        self.splitter = QSplitter(Qt.Orientation.Vertical)  # saved in the settings
        self.splitter.addWidget(held)
        self.splitter.addWidget(lower)
        self.splitter.setSizes([190, 610])

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(points)
        layout.addWidget(self.splitter, 1)

        self._poll = QTimer(self)  # re-reads breakpoints.paused() in case an event was missed
        self._poll.setInterval(250)
        self._poll.timeout.connect(self.refresh)
        self.table.selectionModel().currentRowChanged.connect(self._selected)
        paused_model.modelReset.connect(self._after_reset)
        self._selected_thread: int | None = None  # kept across resets of the table
        self.attach(None)

    # --- wiring --------------------------------------------------------------------------------

    def attach(self, breakpoints: Any) -> None:
        """Drive ``breakpoints`` (an engine ``Breakpoints``); None disables the controls."""
        self._bp = breakpoints
        on = breakpoints is not None
        for w in (
            self.kinds,
            self.preset,
            self.none,
            self.delay,
            self.timeout,
            self.step_button,
            self.continue_button,
            self.continue_all,
        ):
            w.setEnabled(on)
        if on:
            self.timeout.setValue(float(breakpoints.timeout))
            self.delay.setValue(float(breakpoints.delay))
            self._poll.start()
        else:
            self._poll.stop()
            self.status.setText("offline: no engine to pause")
        self.refresh()

    def ingest(self, events: list[Event]) -> None:
        for ev in events:
            if ev.kind == "paused" or ev.kind == "resumed":
                self.refresh()
                return

    def set_kinds(self, kinds: Any) -> None:
        wanted = set(kinds)
        self.kinds.blockSignals(True)
        for i in range(self.kinds.count()):
            item = self.kinds.item(i)
            item.setCheckState(
                Qt.CheckState.Checked if item.text() in wanted else Qt.CheckState.Unchecked
            )
        self.kinds.blockSignals(False)
        self._kinds_changed()

    def checked_kinds(self) -> list[str]:
        return [
            self.kinds.item(i).text()
            for i in range(self.kinds.count())
            if self.kinds.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _kinds_changed(self, *_: Any) -> None:
        if self._bp is not None:
            self._bp.set_kinds(self.checked_kinds())

    def _delay_changed(self, value: float) -> None:
        if self._bp is not None:
            if hasattr(self._bp, "set_delay"):
                self._bp.set_delay(value)
            else:
                self._bp.delay = value

    def _timeout_changed(self, value: float) -> None:
        if self._bp is not None:
            self._bp.timeout = value

    # --- held threads --------------------------------------------------------------------------

    def refresh(self) -> None:
        steps = self._bp.paused() if self._bp is not None else []
        steps.sort(key=lambda s: (s.request_id or 0, s.thread))
        self.model.set_steps(steps)
        if self._bp is not None:
            n = len(steps)
            self.status.setText(f"{n} request{'s' if n != 1 else ''} held" if n else "none held")

    def _fit_columns(self) -> None:
        """Size every column but detail (the stretched last one) to its header and cells,
        within a per-column cap, so the whole row reads without scrolling sideways. When the
        table is too narrow to leave detail its minimum, hook / view gives way first, down to
        its header; both it and detail elide, and their tooltips carry the whole text."""
        table, header = self.table, self.table.horizontalHeader()
        digit = table.fontMetrics().horizontalAdvance("0")
        widths = [
            min(
                max(table.sizeHintForColumn(col), header.sectionSizeHint(col)),
                chars * digit + 16,
            )
            for col, chars in enumerate(_COLUMN_CHARS)
        ]
        detail = len(_COLUMN_CHARS)  # what detail needs, up to its minimum: no more is kept
        needs = max(table.sizeHintForColumn(detail), header.sectionSizeHint(detail))
        short = sum(widths) + min(needs, _DETAIL_CHARS * digit) - table.viewport().width()
        if short > 0:
            floor = header.sectionSizeHint(_HOOK)
            widths[_HOOK] -= max(0, min(short, widths[_HOOK] - floor))
        for col, width in enumerate(widths):
            if table.columnWidth(col) != width:
                table.setColumnWidth(col, width)

    def eventFilter(self, watched: Any, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self._held_viewport:
            self._fit_columns()
        return super().eventFilter(watched, event)

    def _after_reset(self) -> None:
        self._fit_columns()
        steps = self.model.steps()
        row = next(
            (i for i, s in enumerate(steps) if s.thread == self._selected_thread),
            0 if steps else -1,
        )
        if row >= 0:
            self.table.setCurrentIndex(self.model.index(row, 0))
        else:
            self.where.setPlainText("")

    def _selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        step = self.model.step(current.row())
        self._selected_thread = step.thread
        if step.thread in self.stacks.cards():
            self.stacks.strip.select(step.thread)
        self.where.setPlainText(
            f"request #{step.request_id} held on thread ident {step.thread}\n"
            f"after event #{step.event.seq} ({step.event.kind}):\n\n" + event_json_text(step.event)
        )

    def _current_thread(self) -> int | None:
        idx = self.table.currentIndex()
        if idx.isValid():
            return self.model.step(idx.row()).thread
        steps = self.model.steps()
        return steps[0].thread if steps else None

    def step_selected(self) -> bool:
        """Step the selected (or only) held thread by exactly one event."""
        thread = self._current_thread()
        if self._bp is None or thread is None:
            self.message.emit("nothing is held: tick a lifecycle point and send a request")
            return False
        return bool(self._bp.step(thread))

    def continue_selected(self) -> bool:
        thread = self._current_thread()
        if self._bp is None or thread is None:
            return False
        return bool(self._bp.resume(thread))

    def resume_all(self) -> None:
        if self._bp is not None:
            self._bp.resume_all()
