"""A thread's two context stacks drawn as stacks of boxes: the app stack and the request stack.

Custom-painted so depth reads at a glance: each context is a box, the newest on top, and a box
that was just pushed glows for a moment (a pop leaves a fading outline where the box was), so a
push or pop is visible even when it happens between two screenshots of the same depth.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

__all__ = ["StackPainter"]

_FLASH_S = 0.8  # how long a push glows / a pop ghost stays
_COLORS = {
    "app": (QColor("#d1e7dd"), QColor("#0f5132")),  # fill, border/text
    "request": (QColor("#cfe2ff"), QColor("#084298")),
}
_GLOW = QColor("#ffd54f")  # a just-pushed box starts this colour and fades to its own
_BOX_H = 22
_GAP = 4
_SLOTS = 3  # boxes of height reserved per column, so an empty stack still shows its floor


def _blend(a: QColor, b: QColor, f: float) -> QColor:
    """``a`` moved a fraction ``f`` of the way to ``b``."""
    return QColor(
        int(a.red() + (b.red() - a.red()) * f),
        int(a.green() + (b.green() - a.green()) * f),
        int(a.blue() + (b.blue() - a.blue()) * f),
    )


def _long(item: dict[str, Any]) -> str:
    if item.get("type") == "AppContext":
        return f"of {item.get('app', '')}"
    return f"{item.get('method', '')} {item.get('path', '')}"


def _box_text(item: Any) -> str:
    if isinstance(item, dict):
        if item.get("type") == "AppContext":
            return "app ctx"
        if item.get("type") == "RequestContext":
            return str(item.get("path", ""))
        return str(item.get("type", "context"))
    text = str(item).strip("<>")
    if text.startswith("AppContext"):
        return "app ctx"
    if text.startswith("RequestContext "):
        return text.removeprefix("RequestContext ").partition(" ")[2] or text
    return text


class StackPainter(QWidget):
    """Paints ``{"app": [...], "request": [...]}`` as two columns of boxes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stacks: dict[str, list[Any]] = {"app": [], "request": []}  # what is drawn
        self._drawn_once = False  # the first picture is a state, not a push
        self._flash: dict[tuple[str, int], float] = {}  # (column, level) -> pushed at
        self._ghost: dict[tuple[str, int], float] = {}  # (column, level) -> popped at
        self._timer = QTimer(self)  # repaints while something glows or fades
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._tick)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(self.sizeHint().height())

    def sizeHint(self) -> QSize:
        fm = QFontMetrics(self.font())
        return QSize(140, fm.height() + 8 + _SLOTS * (_BOX_H + _GAP) + 6)

    def set_stacks(self, stacks: dict[str, list[Any]]) -> None:
        now = time.monotonic()
        first, self._drawn_once = not self._drawn_once, True
        for which in () if first else ("app", "request"):  # a new card has seen no push
            old = len(self._stacks.get(which, ()))
            new = len(stacks.get(which, ()))
            for level in range(old, new):
                self._flash[(which, level)] = now
                self._ghost.pop((which, level), None)
            for level in range(new, old):
                self._ghost[(which, level)] = now
        self._stacks = {
            "app": list(stacks.get("app", ())),
            "request": list(stacks.get("request", ())),
        }
        self.setToolTip(
            "\n".join(
                f"{which}[{i}]: {item.get('type', '') if isinstance(item, dict) else ''} "
                f"{_box_text(item) if not isinstance(item, dict) else _long(item)}"
                for which in ("app", "request")
                for i, item in enumerate(self._stacks[which])
            )
        )
        if (self._flash or self._ghost) and not self._timer.isActive():
            self._timer.start()
        needed = max(_SLOTS, *(len(v) for v in self._stacks.values()))
        fm = QFontMetrics(self.font())
        self.setMinimumHeight(fm.height() + 8 + needed * (_BOX_H + _GAP) + 6)
        self.update()

    def depths(self) -> tuple[int, int]:
        return (len(self._stacks["app"]), len(self._stacks["request"]))

    def _tick(self) -> None:
        now = time.monotonic()
        for d in (self._flash, self._ghost):
            for key in [k for k, t in d.items() if now - t > _FLASH_S]:
                del d[key]
        if not self._flash and not self._ghost:
            self._timer.stop()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = QFontMetrics(self.font())
        w = self.width()
        h = self.height()
        col_w = (w - 3 * 4) / 2
        title_font = QFont(self.font())
        title_font.setBold(True)
        now = time.monotonic()
        for i, which in enumerate(("app", "request")):
            x = 4 + i * (col_w + 4)
            fill, ink = _COLORS[which]
            items = self._stacks[which]
            p.setFont(title_font)
            p.setPen(ink)
            p.drawText(
                QRectF(x, 0, col_w, fm.height() + 4),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                f"{which}: {len(items)}",
            )
            p.setFont(self.font())
            floor = h - 4
            # the floor line: where an empty stack sits
            p.setPen(QPen(ink, 2))
            p.drawLine(int(x), int(floor), int(x + col_w), int(floor))
            levels = max(len(items), *(lvl + 1 for (c, lvl) in self._ghost if c == which), 0)
            for level in range(levels):
                top = floor - 3 - (level + 1) * (_BOX_H + _GAP) + _GAP
                rect = QRectF(x + 2, top, col_w - 4, _BOX_H)
                if level < len(items):
                    glow = self._flash.get((which, level))
                    box_fill = QColor(fill)
                    if glow is not None:
                        f = max(0.0, 1.0 - (now - glow) / _FLASH_S)
                        box_fill = _blend(fill, _GLOW, f)
                    p.setBrush(box_fill)
                    p.setPen(QPen(ink, 1.5))
                    p.drawRoundedRect(rect, 5, 5)
                    p.setPen(ink)
                    text = fm.elidedText(
                        _box_text(items[level]),
                        Qt.TextElideMode.ElideRight,
                        int(rect.width() - 10),
                    )
                    p.drawText(
                        rect.adjusted(6, 0, -4, 0),
                        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                        text,
                    )
                elif (which, level) in self._ghost:
                    f = max(0.0, 1.0 - (now - self._ghost[(which, level)]) / _FLASH_S)
                    ghost = QColor(ink)
                    ghost.setAlphaF(0.6 * f)
                    p.setBrush(Qt.BrushStyle.NoBrush)
                    p.setPen(QPen(ghost, 1.5, Qt.PenStyle.DashLine))
                    p.drawRoundedRect(rect, 5, 5)
        p.end()
