"""A WebSocket frame header drawn bit by bit, laid out like the diagram of RFC 6455 §5.2.

Rows of 32 bits (four bytes; 16 when the widget is narrow), each bit a cell holding 0 or 1,
with the field it belongs to named under it: FIN, RSV1-3, opcode, MASK, payload length (7 bits),
the extended payload length (16 or 64 bits, present when the 7-bit length is 126 or 127) and
the masking key (when MASK is 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

__all__ = ["OPCODE_NAMES", "FrameHeaderBits", "HeaderField", "parse_header_fields"]

OPCODE_NAMES = {
    0x0: "continuation",
    0x1: "text",
    0x2: "binary",
    0x8: "close",
    0x9: "ping",
    0xA: "pong",
}  # RFC 6455 §5.2; 3-7 and B-F are reserved


@dataclass(frozen=True)
class HeaderField:
    """One field of the header: where it sits (bit offsets from the first bit) and its value."""

    name: str
    start: int  # first bit, counted from the most significant bit of byte 0
    width: int  # number of bits
    value: int
    meaning: str  # the value as the RFC reads it, e.g. "text" or "126 → 16-bit length follows"


def parse_header_fields(header: bytes) -> list[HeaderField]:
    """The fields of a frame header (as many as ``header`` holds), in wire order (§5.2)."""
    fields: list[HeaderField] = []
    if len(header) < 1:
        return fields
    b0 = header[0]
    for i, name in enumerate(("FIN", "RSV1", "RSV2", "RSV3")):
        bit = (b0 >> (7 - i)) & 1
        fields.append(HeaderField(name, i, 1, bit, "set" if bit else "clear"))
    opcode = b0 & 0x0F
    fields.append(
        HeaderField("opcode", 4, 4, opcode, OPCODE_NAMES.get(opcode, f"reserved 0x{opcode:X}"))
    )
    if len(header) < 2:
        return fields
    b1 = header[1]
    masked = bool(b1 & 0x80)
    len7 = b1 & 0x7F
    fields.append(HeaderField("MASK", 8, 1, int(masked), "masked" if masked else "not masked"))
    if len7 == 126:
        meaning = "126: 16-bit length follows"
    elif len7 == 127:
        meaning = "127: 64-bit length follows"
    else:
        meaning = f"{len7} bytes"
    fields.append(HeaderField("payload len", 9, 7, len7, meaning))
    pos = 16
    ext = {126: 16, 127: 64}.get(len7, 0)
    if ext and len(header) * 8 >= pos + ext:
        value = int.from_bytes(header[2 : 2 + ext // 8], "big")
        fields.append(
            HeaderField(f"extended payload length ({ext})", pos, ext, value, f"{value} bytes")
        )
        pos += ext
    if masked and len(header) * 8 >= pos + 32:
        key = header[pos // 8 : pos // 8 + 4]
        fields.append(HeaderField("masking key", pos, 32, int.from_bytes(key, "big"), key.hex()))
    return fields


_FIELD_COLORS = {
    "FIN": "#f4c7c3",
    "RSV1": "#fce8b2",
    "RSV2": "#fce8b2",
    "RSV3": "#fce8b2",
    "opcode": "#b7e1cd",
    "MASK": "#c6dafc",
    "payload len": "#d9d2e9",
    "masking key": "#fde0c5",
}
_EXT_COLOR = "#e1d5f0"
_SHORT = {"FIN": "F", "RSV1": "R1", "RSV2": "R2", "RSV3": "R3", "MASK": "M", "opcode": "op"}
_CENTER = Qt.AlignmentFlag.AlignCenter


class FrameHeaderBits(QWidget):
    """Custom-painted bit diagram of one frame header; empty until ``set_header`` is called."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._header = b""  # the header bytes drawn
        self._fields: list[HeaderField] = []  # parsed from _header
        self._cell_min = 18  # narrowest bit cell, in pixels, that keeps "0"/"1" readable
        self._mono = QFont("monospace")  # bit values and the ruler
        self._mono.setStyleHint(QFont.StyleHint.Monospace)
        self._label_font = QFont(self.font())  # field names under the bits
        self._label_font.setPointSizeF(max(7.0, self.font().pointSizeF() - 1))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(self._row_height() + 8)

    # --- data -----------------------------------------------------------------------------

    def set_header(self, header: bytes | str | None) -> None:
        """Show ``header`` (bytes, or its hex); None or empty clears the diagram."""
        if isinstance(header, str):
            try:
                header = bytes.fromhex(header)
            except ValueError:
                header = b""
        self._header = bytes(header or b"")
        self._fields = parse_header_fields(self._header)
        self.setMinimumHeight(self.heightForWidth(self.width()))
        self.updateGeometry()
        self.update()

    def header(self) -> bytes:
        return self._header

    def fields(self) -> list[HeaderField]:
        """The fields drawn, in wire order."""
        return list(self._fields)

    def bits(self) -> str:
        """Every bit drawn, as a string of 0 and 1 (most significant bit of byte 0 first)."""
        return "".join(f"{b:08b}" for b in self._header)

    # --- geometry ---------------------------------------------------------------------------

    _LEFT = 44  # room for the byte offset of each row

    def _bits_per_row(self, width: int | None = None) -> int:
        # 32 bits per row as in the RFC diagram when cells stay wide enough to name one-bit
        # fields; otherwise 16, so narrow panels stay readable instead of scrolling sideways
        w = self.width() if width is None else width
        return 32 if (w - self._LEFT - 8) / 32 >= 30 else 16

    def _rows(self, width: int | None = None) -> int:
        per_row = self._bits_per_row(width)
        return max(1, -(-len(self._header) * 8 // per_row))

    def _row_height(self) -> int:
        fm = QFontMetrics(self._label_font)
        return 14 + 24 + 2 * fm.height() + 10  # ruler, bit cells, two label lines, gap

    def sizeHint(self) -> QSize:
        return QSize(32 * 30 + self._LEFT + 8, self._rows(16 * 30) * self._row_height() + 8)

    def minimumSizeHint(self) -> QSize:
        return QSize(16 * self._cell_min + self._LEFT + 8, self._row_height() + 8)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._rows(width) * self._row_height() + 8

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.setMinimumHeight(self.heightForWidth(self.width()))
        super().resizeEvent(event)

    # --- painting ---------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        pal = self.palette()
        p.fillRect(self.rect(), pal.base())
        text_color = pal.text().color()
        if not self._header:
            p.setPen(pal.placeholderText().color())
            p.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, "Select a frame to see its header bits"
            )
            p.end()
            return
        left = self._LEFT
        per_row = self._bits_per_row()
        cell = max(self._cell_min, (self.width() - left - 8) / per_row)
        row_h = self._row_height()
        fm_label = QFontMetrics(self._label_font)
        bits = self.bits()
        owner = self._bit_owner(len(bits))
        small = QFont(self._mono)
        small.setPointSizeF(max(6.5, self._mono.pointSizeF() - 2.5))
        bold = QFont(self._mono)
        bold.setBold(True)
        for row in range(self._rows()):
            y0 = 4 + row * row_h
            first = row * per_row
            last = min(first + per_row, len(bits))
            # byte offset on the left; bit number within its byte above (0 = most significant)
            p.setFont(self._mono)
            p.setPen(pal.placeholderText().color())
            p.drawText(
                QRectF(0, y0 + 14, left - 6, 24),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"+{first // 8}",
            )
            p.setFont(small)
            for n in range(first, last):
                x = left + (n - first) * cell
                p.drawText(QRectF(x, y0, cell, 14), Qt.AlignmentFlag.AlignCenter, str(n % 8))
            # bit cells, tinted by field, 1-bits darker and bold
            yb = y0 + 14
            for n in range(first, last):
                fld = owner[n]
                color = QColor(self._color(fld))
                one = bits[n] == "1"
                if one:
                    color = color.darker(125)
                rect = QRectF(left + (n - first) * cell, yb, cell, 24)
                p.fillRect(rect, color)
                p.setPen(QPen(QColor("#555555"), 1))
                p.drawRect(rect)
                p.setPen(QColor("#000000"))
                p.setFont(bold if one else self._mono)
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, bits[n])
            # byte boundaries drawn heavier
            p.setPen(QPen(QColor("#222222"), 2))
            for n in range(first, last + 1, 8):
                x = left + (n - first) * cell
                p.drawLine(int(x), int(yb), int(x), int(yb + 24))
            # field names and values under the bits they cover (split where a field wraps)
            p.setFont(self._label_font)
            yl = yb + 26
            for fld in self._fields:
                lo = max(fld.start, first)
                hi = min(fld.start + fld.width, last)
                if lo >= hi:
                    continue
                rect = QRectF(left + (lo - first) * cell + 1, yl, (hi - lo) * cell - 2, row_h - 44)
                p.fillRect(rect, QColor(self._color(fld)).lighter(108))
                p.setPen(text_color)
                width = int(rect.width())
                name = fld.name + (" (cont.)" if lo > fld.start else "")
                if fm_label.horizontalAdvance(name) > width:
                    name = _SHORT.get(fld.name, name)
                meaning = fld.meaning if fld.width > 1 else str(fld.value)
                line1 = fm_label.elidedText(name, Qt.TextElideMode.ElideRight, width)
                line2 = fm_label.elidedText(meaning, Qt.TextElideMode.ElideRight, width)
                h = fm_label.height()
                p.drawText(QRectF(rect.x(), rect.y(), rect.width(), h), _CENTER, line1)
                p.drawText(QRectF(rect.x(), rect.y() + h, rect.width(), h), _CENTER, line2)
        p.end()

    def _bit_owner(self, nbits: int) -> list[HeaderField | None]:
        owner: list[HeaderField | None] = [None] * nbits
        for fld in self._fields:
            for b in range(fld.start, min(fld.start + fld.width, nbits)):
                owner[b] = fld
        return owner

    @staticmethod
    def _color(fld: HeaderField | None) -> str:
        if fld is None:
            return "#eeeeee"
        if fld.name.startswith("extended"):
            return _EXT_COLOR
        return _FIELD_COLORS.get(fld.name, "#eeeeee")
