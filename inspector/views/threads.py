"""Threads & locals: one card per ident that holds a context, side by side.

Each card shows the thread's short name and ident, the request it serves, its two stacks drawn
by ``StackPainter`` and the full storage of both Locals as a tree (contexts summarized: ``g``,
the session, view args). Cards appear when an ident gets storage and disappear when the engine
releases it, so five concurrent requests show as five cards and then none.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from inspector.models.describe import ThreadNames
from inspector.models.jsontree import JsonTreeModel
from inspector.threads_state import ThreadsState

from .stackpaint import StackPainter

__all__ = ["ThreadCard", "ThreadsView"]

CARD_WIDTH = 300


class ThreadCard(QFrame):
    """One ident: header, painted stacks, storage tree."""

    def __init__(self, ident: int, name: str, *, show_tree: bool = True, parent: Any = None):
        super().__init__(parent)
        self.ident = ident  # the thread ident this card shows
        self.setObjectName("threadCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedWidth(CARD_WIDTH)
        self.title = QLabel()  # name, ident, request
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.title.setToolTip(f"thread ident {ident}")
        self._name = name  # "T3"
        self.painter = StackPainter()  # the two stacks
        self.model = JsonTreeModel()  # both Locals' storage for this ident
        self.tree: QTreeView | None = None  # absent in compact cards (step mode)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.painter)
        if show_tree:
            self.tree = QTreeView()
            self.tree.setModel(self.model)
            self.tree.setUniformRowHeights(True)
            self.tree.setMinimumHeight(170)
            self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
            self.tree.header().setStretchLastSection(False)
            self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
            self.tree.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
            layout.addWidget(self.tree)

    def update_from(self, stacks: dict[str, list[Any]], request_id: int | None) -> None:
        req = f" · request #{request_id}" if request_id is not None else ""
        self.title.setText(
            f"<b>{self._name}</b>{req}<br><span style='color:#6c757d'>ident {self.ident}</span>"
        )
        self.painter.set_stacks(stacks)
        storage = {
            "_app_ctx_stack": {"stack": stacks.get("app", [])},
            "_request_ctx_stack": {"stack": stacks.get("request", [])},
        }
        if self.tree is not None:
            first = self.model.rowCount() == 0
            self.model.set_value(storage)
            if first or self.model.value() is storage:
                self.tree.expandToDepth(2)


class ThreadsView(QScrollArea):
    """Every ident with storage, as cards that reflow to the width."""

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
        self._show_tree = show_tree  # full storage tree in each card
        self._cards: dict[int, ThreadCard] = {}  # ident -> card, in order of appearance
        self._columns = 0  # cards per row at the last layout
        self.setWidgetResizable(True)
        self._inner = QWidget()  # holds the grid
        self._grid = QGridLayout(self._inner)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._grid.setSpacing(8)
        self._empty = QLabel(
            "No thread holds a context right now.\n"
            "Send a request — try /slow with “send ×5” — and watch a card per thread appear,\n"
            "its stacks grow on push and shrink on pop, and the card vanish on release."
        )
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setStyleSheet("color: #6c757d; padding: 24px;")
        self._grid.addWidget(self._empty, 0, 0)
        self.setWidget(self._inner)
        state.changed.connect(self.sync)

    def cards(self) -> dict[int, ThreadCard]:
        return dict(self._cards)

    def sync(self) -> None:
        threads = self._state.threads()
        for ident in [i for i in self._cards if i not in threads]:
            card = self._cards.pop(ident)
            self._grid.removeWidget(card)
            card.deleteLater()
        for ident, stacks in threads.items():
            card = self._cards.get(ident)
            if card is None:
                card = self._cards[ident] = ThreadCard(
                    ident, self._names.name(ident), show_tree=self._show_tree
                )
                self._columns = 0  # force a relayout
            card.update_from(stacks, self._state.request_of(ident))
        self._relayout()

    def _relayout(self) -> None:
        cols = max(1, (self.viewport().width() - 8) // (CARD_WIDTH + 8))
        if cols == self._columns and all(
            self._grid.indexOf(c) >= 0 for c in self._cards.values()
        ):
            return
        self._columns = cols
        for card in self._cards.values():
            self._grid.removeWidget(card)
        self._grid.removeWidget(self._empty)
        if not self._cards:
            self._grid.addWidget(self._empty, 0, 0)
            self._empty.show()
            return
        self._empty.hide()
        for i, card in enumerate(self._cards.values()):
            self._grid.addWidget(card, i // cols, i % cols)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._columns = 0
        self._relayout()
