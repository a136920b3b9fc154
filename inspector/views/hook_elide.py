"""Fitting a hook label (``name  [blueprint]``) into the timeline's narrow hook / view column.

Cut at its end, a label loses its blueprint; cut at its start, the name. Cut in the middle as a
whole (``child_after…rent.child]``) it keeps both ends but can lose what tells two hooks apart
(``child_after_1`` from ``child_after_2``). So the name comes first and the blueprint gives way:
elided in its own middle (``child_after_2  [pa…ild]``), or down to ``[…]`` (still saying there
is one); a name too long by itself is elided in its middle, keeping its start and its end. The
cell's tooltip has the blueprint and the full name.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFontMetrics, QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

__all__ = ["HookLabelDelegate", "fit_hook_label"]

_MIDDLE = Qt.TextElideMode.ElideMiddle
_OPEN = "  ["  # between the name and its blueprint, as ``describe.hook_label`` writes it


def fit_hook_label(label: str, metrics: QFontMetrics, width: int) -> str:
    """``label`` as it fits in ``width`` pixels: whole, or elided as the module says."""
    if width <= 0 or metrics.horizontalAdvance(label) <= width:
        return label
    name, sep, rest = label.rpartition(_OPEN)
    if not (sep and rest.endswith("]")):  # no blueprint: the name alone
        return metrics.elidedText(label, _MIDDLE, width)
    room = width - metrics.horizontalAdvance(f"{name}{_OPEN}]")
    if room >= metrics.horizontalAdvance("m…m"):  # a blueprint cut shorter says nothing
        return f"{name}{_OPEN}{metrics.elidedText(rest[:-1], _MIDDLE, room)}]"
    tail = f"{_OPEN}…]"
    if metrics.horizontalAdvance(name + tail) <= width:
        return name + tail
    name_room = width - metrics.horizontalAdvance(tail)
    return f"{metrics.elidedText(name, _MIDDLE, max(name_room, 1))}{tail}"


class HookLabelDelegate(QStyledItemDelegate):
    """Paints a hook / view cell with ``fit_hook_label`` instead of Qt's cut at the end."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, opt.widget)
        # the style draws the text inside this margin on either side
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, opt, opt.widget) + 1
        opt.text = fit_hook_label(opt.text, opt.fontMetrics, text_rect.width() - 2 * margin)
        opt.textElideMode = _MIDDLE  # should a pixel still be missing, the middle goes
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
