"""Threads & locals: every ident that holds a context, side by side, and one ident's storage.

The top strip has one column per ident: its short name, the request it serves and its two
stacks drawn by ``StackPainter`` (columns share the width, so five concurrent requests show as
five columns at once). Columns appear when an ident gets storage and disappear when the engine
releases it. Below, the selected ident's full storage in both Locals, as a tree: each context
summarized (``g``, the session, view args).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from inspector.models.describe import ThreadNames
from inspector.models.jsontree import JsonTreeModel
from inspector.threads_state import ThreadsState

from .stackpaint import StackPainter

__all__ = ["ThreadCard", "ThreadsStrip", "ThreadsView"]

SYNC_MS = 30  # at most ~30 redraws a second, however many pushes and pops happen
MIN_CARD = 150  # narrowest column before the strip scrolls
MAX_CARD = 280  # widest column, so one thread does not fill the whole strip


class ThreadCard(QFrame):
    """One ident: name, request, painted stacks. Click to select."""

    clicked = Signal(object)  # ident

    def __init__(self, ident: int, name: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.ident = ident  # the thread ident this card shows
        self._name = name  # "T3"
        self._selected = False  # drawn with a highlighted frame
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel()  # name, request, ident
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setToolTip(f"thread ident {ident}")
        self.painter = StackPainter()  # the two stacks
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.painter)
        self.set_selected(False)

    def set_selected(self, on: bool) -> None:
        self._selected = on
        self.setStyleSheet(
            "ThreadCard { border: 2px solid #0d6efd; border-radius: 4px; background: #f8fbff; }"
            if on
            else "ThreadCard { border: 1px solid #ced4da; border-radius: 4px; }"
        )

    def update_from(self, stacks: dict[str, list[Any]], request_id: int | None) -> None:
        req = f" · #{request_id}" if request_id is not None else ""
        top = (stacks.get("request") or [None])[-1]
        what = ""
        if isinstance(top, dict):
            what = f" {top.get('method', '')} {top.get('path', '')}"
        elif isinstance(top, str):
            what = " " + top.strip("<>").removeprefix("RequestContext ")
        self.title.setText(f"<b>{self._name}</b>{req}<span style='color:#495057'>{what}</span>")
        self.painter.set_stacks(stacks)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.clicked.emit(self.ident)
        super().mousePressEvent(event)


class ThreadsStrip(QScrollArea):
    """The cards in one row; widths shared so a handful of threads fit without scrolling."""

    selected = Signal(object)  # ident chosen by a click

    def __init__(self, state: ThreadsState, names: ThreadNames, parent: Any = None) -> None:
        super().__init__(parent)
        self._state = state  # shared with other views
        self._names = names  # shared short thread names
        self._cards: dict[int, ThreadCard] = {}  # ident -> card, in order of appearance
        self._current: int | None = None  # the selected ident
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._inner = QWidget()  # holds the row
        self._row = QHBoxLayout(self._inner)
        self._row.setContentsMargins(4, 4, 4, 4)
        self._row.setSpacing(6)
        self._empty = QLabel(
            "No thread holds a context right now.\n"
            "Send a request — try /slow with “Send \u00d7N at once” — and watch one column per"
            " thread appear,\nits stacks grow on push and shrink on pop, and the column vanish"
            " on release."
        )
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setStyleSheet("color: #6c757d; padding: 18px;")
        self._row.addWidget(self._empty, 1)
        self._row.addStretch(0)
        self.setWidget(self._inner)
        self._stale = False  # changes arrived while hidden
        self._pending = QTimer(self)  # coalesces bursts of changes into one repaint
        self._pending.setSingleShot(True)
        self._pending.setInterval(SYNC_MS)
        self._pending.timeout.connect(self.sync)
        state.changed.connect(self._schedule)

    def _schedule(self) -> None:
        if not self.isVisible():
            self._stale = True  # a hidden strip catches up when it is shown
            return
        if not self._pending.isActive():
            self._pending.start()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.sync()

    def cards(self) -> dict[int, ThreadCard]:
        return dict(self._cards)

    def current(self) -> int | None:
        return self._current

    def select(self, ident: int | None) -> None:
        self._current = ident
        for i, card in self._cards.items():
            card.set_selected(i == ident)
        self.selected.emit(ident)

    def sync(self) -> None:
        threads = self._state.threads()
        changed = False
        for ident in [i for i in self._cards if i not in threads]:
            card = self._cards.pop(ident)
            self._row.removeWidget(card)
            card.deleteLater()
            changed = True
        for ident, stacks in threads.items():
            card = self._cards.get(ident)
            if card is None:
                card = self._cards[ident] = ThreadCard(ident, self._names.name(ident))
                card.clicked.connect(self.select)
                self._row.insertWidget(self._row.count() - 1, card)
                changed = True
            card.update_from(stacks, self._state.request_of(ident))
        self._empty.setVisible(not self._cards)
        if self._current not in self._cards:
            self.select(next(iter(self._cards), None))
        elif self._current is not None:
            self.selected.emit(self._current)  # its storage may have changed
        if changed:
            self._fit()

    def _fit(self) -> None:
        n = len(self._cards)
        if not n:
            return
        avail = self.viewport().width() - 8 - 6 * (n - 1)
        width = max(MIN_CARD, min(MAX_CARD, avail // n))
        for card in self._cards.values():
            card.setFixedWidth(width)
        height = max(c.sizeHint().height() for c in self._cards.values())
        self.setMinimumHeight(height + 12 + (16 if width * n > avail else 0))

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit()


class ThreadsView(QWidget):
    """The strip of threads, and the selected thread's Local storage as a tree."""

    def __init__(
        self,
        state: ThreadsState,
        names: ThreadNames,
        *,
        show_tree: bool = True,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._state = state  # shared with other views
        self._names = names  # shared short thread names
        self.strip = ThreadsStrip(state, names)  # one column per ident
        self.model = JsonTreeModel()  # the selected ident's storage
        self.caption = QLabel()  # which ident the tree shows
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setWordWrap(True)  # step mode's pane is narrow: wrap, never cut
        self.notice = QLabel()  # says when the view is reconstructed (a Flask app)
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(
            "QLabel { background: #fff4ce; border: 1px solid #e0c060; padding: 4px; }"
        )
        self.notice.hide()
        self.tree = QTreeView()  # storage of both Locals
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setColumnWidth(0, 190)
        self.tree.setMinimumWidth(120)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.notice)
        if show_tree:
            lower = QWidget()
            ll = QVBoxLayout(lower)
            ll.setContentsMargins(0, 0, 0, 0)
            ll.addWidget(self.caption)
            ll.addWidget(self.tree)
            self.splitter = QSplitter(Qt.Orientation.Vertical)  # strip | storage
            self.splitter.addWidget(self.strip)
            self.splitter.addWidget(lower)
            self.splitter.setStretchFactor(0, 0)
            self.splitter.setStretchFactor(1, 1)
            layout.addWidget(self.splitter)
        else:
            self.tree.hide()
            self.caption.hide()
            layout.addWidget(self.strip)
            layout.addStretch(1)
        self.strip.selected.connect(self._show)
        self._show(None)

    def set_notice(self, text: str) -> None:
        """Show ``text`` above the threads (empty hides it)."""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def cards(self) -> dict[int, ThreadCard]:
        return self.strip.cards()

    def _show(self, ident: int | None) -> None:
        if ident is None or ident not in self._state.threads():
            self.caption.setText(
                "<span style='color:#6c757d'>Local storage of the selected thread "
                "(<code>_app_ctx_stack</code> and <code>_request_ctx_stack</code>)</span>"
            )
            self.model.set_value({})
            return
        stacks = self._state.threads()[ident]
        req = self._state.request_of(ident)
        self.caption.setText(
            f"<b>{self._names.name(ident)}</b> · ident {ident}"
            + (f" · request #{req}" if req is not None else "")
            + " — Local storage: <code>{ident: {name: value}}</code> for this ident"
        )
        before = self.model.value()
        self.model.set_value(
            {
                "_app_ctx_stack": {"stack": stacks.get("app", [])},
                "_request_ctx_stack": {"stack": stacks.get("request", [])},
            }
        )
        if self.model.value() is not before:
            self.tree.expandToDepth(3)
