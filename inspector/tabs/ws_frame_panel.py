"""The WebSocket tab's "Frame" panel: one frame's header bit by bit, its masking key, and its
payload both as it crossed the wire (masked, for client frames) and unmasked."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from engine.events import Event
from inspector.tabs.bitfield import FrameHeaderBits
from inspector.tabs.style import ERROR_STYLE, mono, selectable
from inspector.tabs.ws_text import close_text, deflate_text, format_hex, spaced_hex

__all__ = ["FramePanel"]


class FramePanel(QWidget):
    """Shows one ``ws_frame`` event (``show_frame``), or says none is selected."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        v = QVBoxLayout(self)
        self.frame_title = selectable(QLabel("No frame selected"), wrap=True)  # one-line summary
        title_font = self.frame_title.font()
        title_font.setBold(True)
        self.frame_title.setFont(title_font)
        v.addWidget(self.frame_title)
        self.bits = FrameHeaderBits()  # the header, bit by bit (RFC 6455 §5.2)
        scroll = QScrollArea()
        scroll.setWidget(self.bits)
        scroll.setWidgetResizable(True)
        scroll.setMinimumHeight(self.bits.minimumSizeHint().height() + 12)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        v.addWidget(scroll, 4)
        form = QFormLayout()
        self.header_hex = selectable(QLabel("—"))  # raw header bytes
        self.header_hex.setFont(mono())
        self.mask_label = selectable(QLabel("—"))  # masking key
        self.mask_label.setFont(mono())
        self.frame_error = selectable(QLabel(""), wrap=True)  # protocol violation of this frame
        self.frame_error.setStyleSheet(ERROR_STYLE)
        form.addRow("Header bytes", self.header_hex)
        form.addRow("Masking key", self.mask_label)
        form.addRow("", self.frame_error)
        v.addLayout(form)
        self.wire_view = QPlainTextEdit()  # payload as on the wire (masked when masked)
        self.plain_view = QPlainTextEdit()  # payload unmasked
        for view in (self.wire_view, self.plain_view):
            view.setMinimumHeight(44)  # two lines; stacked layouts get little height
            # height comes from the stretch factors, not the editor's generous size hint
            view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
            view.setReadOnly(True)
            view.setFont(mono())
            view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.wire_box = QGroupBox("Payload on the wire")  # its title says masked, capped
        QVBoxLayout(self.wire_box).addWidget(self.wire_view)
        self.plain_box = QGroupBox("Payload unmasked")  # its title says text or hex
        QVBoxLayout(self.plain_box).addWidget(self.plain_view)
        v.addWidget(self.wire_box, 1)
        v.addWidget(self.plain_box, 1)

    def show_frame(self, ev: Event | None) -> None:
        if ev is None:
            self.frame_title.setText("No frame selected")
            self.bits.set_header(None)
            self.header_hex.setText("—")
            self.mask_label.setText("—")
            self.frame_error.setText("")
            self.wire_view.setPlainText("")
            self.plain_view.setPlainText("")
            return
        arrow = "client → server" if ev.direction == "in" else "server → client"
        self.frame_title.setText(
            f"Connection #{ev.connection_id} · {arrow} · {ev.opcode_name} "
            f"(opcode 0x{ev.opcode:X}) · {ev.length} B payload · {ev.wire_size} B on the wire"
            + close_text(ev)
            + deflate_text(ev)
        )
        self.bits.set_header(ev.header_hex)
        self.header_hex.setText(spaced_hex(ev.header_hex) or "—")
        if ev.masked and ev.masking_key:
            self.mask_label.setText(
                f"{bytes.fromhex(ev.masking_key).hex(' ')}  (payload[i] ^ key[i % 4], §5.3)"
            )
        else:
            self.mask_label.setText("none (server frames are never masked, §5.1)")
        self.frame_error.setText(f"Protocol error: {ev.error}" if ev.error else "")
        capped = ""
        if len(ev.payload_wire_preview) // 2 < ev.length:
            capped = f"  (first {len(ev.payload_wire_preview) // 2} of {ev.length} bytes)"
        self.wire_box.setTitle(
            ("Payload on the wire, masked" if ev.masked else "Payload on the wire") + capped
        )
        # masked bytes read as noise, so no ASCII column for them
        self.wire_view.setPlainText(format_hex(ev.payload_wire_preview, ascii_column=not ev.masked))
        if ev.payload_preview_is_text:
            self.plain_box.setTitle("Payload unmasked (text)")
            unmasked = ev.payload_preview
            try:
                hex_view = format_hex(unmasked.encode("utf-8").hex())
            except UnicodeEncodeError:
                hex_view = ""
            self.plain_view.setPlainText(f"{unmasked}\n\n{hex_view}" if unmasked else "(empty)")
        else:
            self.plain_box.setTitle("Payload unmasked (hex)")
            self.plain_view.setPlainText(format_hex(ev.payload_preview))
