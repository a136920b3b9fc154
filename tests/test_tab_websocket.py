"""The WebSocket tab against a real engine Server running the demo app, plus offline frames."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import queue
import socket
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from engine.demo import create_app
from engine.events import EVENT_TYPES, Event, make_event
from engine.serving import Server
from inspector.tabs.bitfield import FrameHeaderBits, parse_header_fields
from inspector.tabs.websocket import WebSocketTab, format_hex
from inspector.tabs.ws_frames import COLUMNS, FrameFilterProxy, FramesModel

ROUTES = ["/ws/echo", "/ws/chat", "/ws/ticker", "/ws/binary"]
COL = {name: i for i, name in enumerate(COLUMNS)}


class Live:
    """A served demo app whose events reach the tab the way the window feeds them: batches."""

    def __init__(self) -> None:
        self.app = create_app()  # the real demo app
        self.events: queue.Queue[Event] = queue.Queue()  # filled on the server's threads
        self.sub = self.app.subscribe(self.events.put)
        self.server = Server(self.app).start()

    def pump(self, tab: WebSocketTab) -> None:
        batch = []
        while True:
            try:
                batch.append(self.events.get_nowait())
            except queue.Empty:
                break
        tab.ingest(batch)


@pytest.fixture
def live() -> Iterator[Live]:
    lv = Live()
    yield lv
    lv.sub.unsubscribe()
    lv.server.stop()


@pytest.fixture
def tab(qtbot) -> Iterator[WebSocketTab]:  # type: ignore[no-untyped-def]
    t = WebSocketTab()
    qtbot.addWidget(t)
    t.resize(1400, 900)
    yield t
    t.shutdown()


def _connect(qtbot, tab: WebSocketTab, live: Live, route: str = "/ws/echo") -> None:  # type: ignore[no-untyped-def]
    tab.set_target(live.server.url, ROUTES)
    tab.client_bar.route_box.setCurrentText(route)
    assert tab.client_bar.url_edit.text() == f"ws://127.0.0.1:{live.server.port}{route}"
    # /ws/echo greets first: wait for it too, so later waits see only their own echo
    signals = [tab.client.opened, tab.client.received]
    with qtbot.waitSignals(signals if route == "/ws/echo" else signals[:1], timeout=5000):
        qtbot.mouseClick(tab.client_bar.connect_btn, Qt.MouseButton.LeftButton)
    assert tab.client_bar.send_btn.isEnabled()


def _wait_frames(qtbot, tab: WebSocketTab, live: Live, n: int) -> None:  # type: ignore[no-untyped-def]
    def enough() -> bool:
        live.pump(tab)
        return tab.frames_model.rowCount() >= n

    qtbot.waitUntil(enough, timeout=5000)


def _cell(model: FramesModel, row: int, col: str) -> str:
    return model.data(model.index(row, COL[col]), Qt.ItemDataRole.DisplayRole)


def test_echo_text_frames_bits_and_table(qtbot, tab: WebSocketTab, live: Live) -> None:  # type: ignore[no-untyped-def]
    _connect(qtbot, tab, live)
    _wait_frames(qtbot, tab, live, 1)  # the greeting
    tab.client_bar.kind_box.setCurrentIndex(0)
    tab.client_bar.payload_edit.setText("Hello")
    with qtbot.waitSignal(tab.client.received, timeout=5000) as echoed:
        qtbot.mouseClick(tab.client_bar.send_btn, Qt.MouseButton.LeftButton)
    _wait_frames(qtbot, tab, live, 3)
    model = tab.frames_model
    frames = list(model.frames())
    greeting, sent, echo = frames[:3]
    assert echoed.args == ["Hello"]

    assert (greeting.direction, greeting.opcode, greeting.masked) == ("out", 1, False)
    assert greeting.payload_preview == "hello anonymous"
    # RFC 6455 §5.1: client frames masked, server frames not
    assert (sent.direction, sent.fin, sent.opcode, sent.masked, sent.length) == (
        "in",
        True,
        1,
        True,
        5,
    )
    assert (echo.direction, echo.fin, echo.opcode, echo.masked, echo.length) == (
        "out",
        True,
        1,
        False,
        5,
    )
    assert _cell(model, 1, "Dir") == "→ in"
    assert _cell(model, 1, "Opcode") == "text (1)"
    assert [_cell(model, 1, c) for c in ("FIN", "RSV1", "MASK", "Length", "Len bits")] == [
        "1",
        "0",
        "1",
        "5",
        "7",
    ]
    assert [_cell(model, 2, c) for c in ("FIN", "MASK", "Length", "Wire")] == ["1", "0", "5", "7"]
    assert _cell(model, 1, "Payload") == "Hello"

    # the masked frame, bit by bit: 1000 0001 | 1 0000101 | 32-bit key
    tab.select_frame(1)
    bits = tab.frame_panel.bits.bits()
    assert bits[:16] == "1000" + "0001" + "1" + "0000101"
    key = bytes.fromhex(sent.masking_key)
    assert bits[16:48] == "".join(f"{b:08b}" for b in key)
    assert [f.name for f in tab.frame_panel.bits.fields()] == [
        "FIN",
        "RSV1",
        "RSV2",
        "RSV3",
        "opcode",
        "MASK",
        "payload len",
        "masking key",
    ]
    assert tab.frame_panel.bits.header() == bytes.fromhex(sent.header_hex)
    wire = bytes.fromhex(sent.payload_wire_preview)
    assert bytes(b ^ key[i % 4] for i, b in enumerate(wire)) == b"Hello"  # §5.3
    assert "Hello" in tab.frame_panel.plain_view.toPlainText()
    assert tab.frame_panel.wire_view.toPlainText().startswith("0000  " + wire.hex(" "))
    assert sent.masking_key and key.hex(" ") in tab.frame_panel.mask_label.text()
    assert "client → server" in tab.frame_panel.frame_title.text()

    # the unmasked echo: MASK bit 0, no key
    tab.select_frame(2)
    assert tab.frame_panel.bits.bits() == "1000" + "0001" + "0" + "0000101"
    assert "masking key" not in [f.name for f in tab.frame_panel.bits.fields()]
    assert "never masked" in tab.frame_panel.mask_label.text()


def test_binary_16bit_length_ping_close_and_request_link(
    qtbot, tab: WebSocketTab, live: Live
) -> None:  # type: ignore[no-untyped-def]
    _connect(qtbot, tab, live)
    _wait_frames(qtbot, tab, live, 1)
    tab.client_bar.kind_box.setCurrentIndex(1)
    tab.client_bar.payload_edit.setText("ab " * 300)
    with qtbot.waitSignal(tab.client.received, timeout=5000) as echoed:
        tab.client_bar.send_btn.click()
    assert echoed.args == [b"\xab" * 300]
    _wait_frames(qtbot, tab, live, 3)
    frames = list(tab.frames_model.frames())
    big_in, big_out = frames[1], frames[2]
    assert (big_in.opcode_name, big_in.length, big_in.length_encoding) == ("binary", 300, 16)
    assert _cell(tab.frames_model, 1, "Len bits") == "7+16"
    assert big_out.header_hex == "827e012c"  # FIN|binary, len 126 then 0x012c = 300
    tab.select_frame(2)
    fields = {f.name: f for f in tab.frame_panel.bits.fields()}
    assert fields["payload len"].value == 126
    assert fields["extended payload length (16)"].value == 300
    assert tab.frame_panel.bits.bits()[16:32] == f"{300:016b}"

    tab.client_bar.kind_box.setCurrentIndex(1)
    tab.client_bar.payload_edit.setText("01 02")
    with qtbot.waitSignal(tab.client.pong, timeout=5000):
        tab.client_bar.ping_btn.click()
    _wait_frames(qtbot, tab, live, 5)
    ops = [(f.direction, f.opcode_name) for f in tab.frames_model.frames()[3:5]]
    assert ops == [("in", "ping"), ("out", "pong")]

    tab.client_bar.close_code.setValue(4001)
    tab.client_bar.close_reason.setText("bye")
    with qtbot.waitSignal(tab.client.closed, timeout=5000) as closed:
        tab.client_bar.close_btn.click()
    assert closed.args == [4001, "bye"]
    _wait_frames(qtbot, tab, live, 7)
    close_in = tab.frames_model.frames()[5]
    assert (close_in.opcode_name, close_in.direction, close_in.length) == ("close", "in", 5)
    tab.select_frame(5)
    assert "close 4001 'bye'" in tab.frame_panel.frame_title.text()
    assert _cell(tab.frames_model, 5, "Payload") == "close 4001 'bye'"

    def closed_event() -> bool:
        live.pump(tab)
        return "4001 'bye' by client" in tab.handshake_panel.hs_fields["closed"].text()

    qtbot.waitUntil(closed_event, timeout=5000)
    assert tab.client_bar.connect_btn.isEnabled() and not tab.client_bar.send_btn.isEnabled()

    # the handshake panel recomputes the accept and links to the request context
    hs = next(iter(tab._handshakes.values()))
    assert hs.request_id is not None
    assert tab.handshake_panel.hs_fields["accept"].text() == hs.accept
    assert tab.handshake_panel.hs_fields["check"].text().startswith("✓")
    assert (
        tab.handshake_panel.hs_fields["accept_input"].text()
        == hs.key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    )
    assert tab.show_request_btn.isEnabled()
    with qtbot.waitSignal(tab.requestContextSelected, timeout=1000) as sel:
        tab.show_request_btn.click()
    assert sel.args == [hs.request_id]
    with qtbot.waitSignal(tab.requestContextSelected, timeout=1000) as sel:
        tab.show_request_action.trigger()  # the frames table's context menu
    assert sel.args == [hs.request_id]


def test_filters_and_models(qtbot, qtmodeltester, tab: WebSocketTab, live: Live) -> None:  # type: ignore[no-untyped-def]
    _connect(qtbot, tab, live)
    tab.client_bar.kind_box.setCurrentIndex(0)
    for text in ("one", "two"):
        tab.client_bar.payload_edit.setText(text)
        with qtbot.waitSignal(tab.client.received, timeout=5000):
            tab.client_bar.send_btn.click()
    with qtbot.waitSignal(tab.client.closed, timeout=5000):
        tab.client_bar.disconnect_btn.click()
    _wait_frames(qtbot, tab, live, 7)  # greeting, 2 x (in, out), close in, close out
    total = tab.frames_model.rowCount()
    tab.dir_box.setCurrentIndex(tab.dir_box.findData("in"))
    assert {f.direction for f in tab.frames_shown()} == {"in"}
    tab.op_box.setCurrentText("close")
    assert [(f.direction, f.opcode) for f in tab.frames_shown()] == [("in", 8)]
    tab.dir_box.setCurrentIndex(0)
    tab.op_box.setCurrentText("Data (text, binary, continuation)")
    assert all(f.opcode in (0, 1, 2) for f in tab.frames_shown())
    assert len(tab.frames_shown()) == 5
    tab.op_box.setCurrentIndex(0)
    assert len(tab.frames_shown()) == total
    assert f"{total} of {total} frames" in tab.count_label.text()
    qtmodeltester.check(tab.frames_model)
    qtmodeltester.check(tab.frames_proxy)
    tab.clear()
    assert tab.frames_model.rowCount() == 0
    assert tab.conn_box.count() == 1


def test_permessage_deflate_sets_rsv1(qtbot, tab: WebSocketTab, live: Live) -> None:  # type: ignore[no-untyped-def]
    tab.client_bar.deflate_box.setChecked(True)
    _connect(qtbot, tab, live)
    assert "permessage-deflate" in tab.client_bar.status_label.text()
    tab.client_bar.payload_edit.setText("abc" * 200)
    with qtbot.waitSignal(tab.client.received, timeout=5000) as echoed:
        tab.client_bar.send_btn.click()
    assert echoed.args == ["abc" * 200]
    _wait_frames(qtbot, tab, live, 3)
    sent = tab.frames_model.frames()[1]
    assert (sent.direction, sent.rsv1, sent.inflated_size) == ("in", True, 600)
    assert sent.length < 600  # compressed on the wire
    assert _cell(tab.frames_model, 1, "RSV1") == "1"
    assert _cell(tab.frames_model, 1, "Payload").startswith("[deflate → 600 B]")
    tab.select_frame(1)
    assert tab.frame_panel.bits.bits()[1] == "1"  # RSV1
    assert "inflates to 600 B" in tab.frame_panel.frame_title.text()


def test_tab_deleted_while_connected(qtbot, live: Live) -> None:  # type: ignore[no-untyped-def]
    errors: list[BaseException] = []
    old_hook = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)  # type: ignore[assignment]
    try:
        tab = WebSocketTab()
        _connect(qtbot, tab, live)
        reader = tab.client._reader
        tab.deleteLater()  # no shutdown(): the window may drop a tab this way
        qtbot.waitUntil(lambda: not _alive(tab), timeout=2000)
        assert reader is not None
        reader.join(10)
        assert not reader.is_alive()
    finally:
        threading.excepthook = old_hook
    assert errors == []


def _alive(obj: object) -> bool:
    from shiboken6 import isValid

    return isValid(obj)


def test_connect_failures_are_one_line(qtbot, tab: WebSocketTab) -> None:  # type: ignore[no-untyped-def]
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    tab.client_bar.url_edit.setText(f"ws://127.0.0.1:{port}/ws/echo")
    with qtbot.waitSignal(tab.client.closed, timeout=5000):
        tab.client_bar.connect_btn.click()
    assert tab.client_bar.error_label.text().startswith("cannot connect")
    assert "\n" not in tab.client_bar.error_label.text()
    tab.client_bar.url_edit.setText("http://example/ws")
    tab.client_bar.connect_btn.click()
    assert "ws://" in tab.client_bar.error_label.text()


def test_bad_input_in_send_bar(qtbot, tab: WebSocketTab, live: Live) -> None:  # type: ignore[no-untyped-def]
    _connect(qtbot, tab, live)
    tab.client_bar.kind_box.setCurrentIndex(1)
    tab.client_bar.payload_edit.setText("zz top")
    tab.client_bar.send_btn.click()
    assert "hex" in tab.client_bar.error_label.text()
    tab.client_bar.payload_edit.setText("00" * 126)
    tab.client_bar.ping_btn.click()
    assert "125" in tab.client_bar.error_label.text()
    tab.client_bar.close_code.setValue(1005)  # §7.4.1: never sent on the wire
    tab.client_bar.close_btn.click()
    assert "1005" in tab.client_bar.error_label.text()
    assert tab.client_bar.send_btn.isEnabled()  # still connected: nothing was sent


def _event(kind: str, seq: int, request_id: int, **fields: object) -> Event:
    """An event of ``kind`` with every field the class has (None unless given)."""
    cls = EVENT_TYPES[kind]
    full = {name: None for name in cls._extra_fields}
    full.update(fields)
    return make_event(
        cls, seq, seq * 1000, 1, request_id, None, None, {"app": 1, "request": 1}, full
    )


def _frame_event(seq: int, header: str, wire: str, plain: str, direction: str = "in") -> Event:
    hb = bytes.fromhex(header)
    fields = parse_header_fields(hb)
    by = {f.name: f for f in fields}
    ext = [f for f in fields if f.name.startswith("extended")]
    length = ext[0].value if ext else by["payload len"].value
    return _event(
        "ws_frame",
        seq,
        3,
        **{
            "connection_id": 9,
            "direction": direction,
            "fin": bool(by["FIN"].value),
            "rsv1": False,
            "rsv2": False,
            "rsv3": False,
            "opcode": by["opcode"].value,
            "opcode_name": by["opcode"].meaning,
            "masked": bool(by["MASK"].value),
            "masking_key": by["masking key"].meaning if "masking key" in by else None,
            "length": length,
            "length_encoding": ext[0].width if ext else 7,
            "header_hex": header,
            "payload_wire_preview": wire,
            "payload_preview": plain,
            "payload_preview_is_text": True,
            "wire_size": len(hb) + length,
            "inflated_size": None,
            "error": None,
        },
    )


def test_offline_rfc_examples(qtbot, tab: WebSocketTab) -> None:  # type: ignore[no-untyped-def]
    # RFC 6455 §5.7: "81 85 37 fa 21 3d 7f 9f 4d 51 58" = masked "Hello"
    hello = _frame_event(1, "818537fa213d", "7f9f4d5158", "Hello")
    big = _frame_event(2, "827f0000000000010000", "", "", direction="out")  # 64-bit length
    hs = _event(
        "ws_handshake",
        0,
        3,
        **{
            "connection_id": 9,
            "path": "/chat",
            "headers": [["Host", "server.example.com"]],
            "key": "dGhlIHNhbXBsZSBub25jZQ==",
            "accept_input": "dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
            "sha1_hex": "b37a4f2cc0624f1690f64606cf385945b2bec4ea",
            "accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
            "status": 101,
            "extensions": None,
            "subprotocol": None,
            "error": None,
        },
    )
    tab.ingest([hs, hello, big])
    tab.select_frame(0)
    assert tab.frame_panel.bits.bits() == "".join(f"{b:08b}" for b in bytes.fromhex("818537fa213d"))
    assert tab.handshake_panel.hs_fields["check"].text().startswith("✓")
    tab.select_frame(1)
    fields = {f.name: f for f in tab.frame_panel.bits.fields()}
    assert fields["payload len"].value == 127
    assert fields["extended payload length (64)"].value == 65536
    assert fields["extended payload length (64)"].width == 64

    forged = _event(
        "ws_handshake",
        3,
        4,
        **{
            **{k: getattr(hs, k) for k in type(hs)._extra_fields},
            "connection_id": 10,
            "accept": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        },
    )
    tab.ingest([forged, _frame_event(4, "8100", "", "", direction="out")])
    tab.conn_box.setCurrentIndex(tab.conn_box.findData(10))
    assert len(tab.frames_shown()) == 0  # the frame helper always says connection 9
    tab._show_handshake(10)
    assert (
        tab.handshake_panel.hs_fields["check"]
        .text()
        .startswith("✗ expected s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    )


def test_bit_widget_alone(qtbot) -> None:  # type: ignore[no-untyped-def]
    w = FrameHeaderBits()
    qtbot.addWidget(w)
    w.resize(700, 300)
    assert w.bits() == ""
    w.set_header("88820a0b0c0d")  # masked close, 2-byte payload
    names = [(f.name, f.value) for f in w.fields()]
    assert names[4] == ("opcode", 8) and names[5] == ("MASK", 1) and names[6] == ("payload len", 2)
    assert w.grab().width() == 700  # paints without error
    w.set_header("not hex")
    assert w.bits() == ""


def test_format_hex() -> None:
    assert format_hex("48656c6c6f") == "0000  48 65 6c 6c 6f" + " " * 33 + "  Hello"
    assert format_hex("") == "(empty)"
    assert format_hex("00" * 17, ascii_column=False).splitlines()[1] == "0010  00"


def test_proxy_without_source_is_harmless() -> None:
    proxy = FrameFilterProxy()
    proxy.set_direction("in")
    proxy.set_opcodes([1])
    assert proxy.rowCount() == 0


def test_long_payload_shows_its_start_and_the_whole_text_in_the_tooltip(
    qtbot, tab: WebSocketTab
) -> None:  # type: ignore[no-untyped-def]
    tab.show()
    qtbot.waitExposed(tab)
    edit = tab.client_bar.payload_edit
    message = "START of a long message " + "lorem ipsum " * 40 + "and its END"
    edit.setText(message)
    edit.grab()  # a line edit scrolls to its cursor when it paints
    assert edit.cursorPosition() == 0
    # the start is what shows: the cursor sits at the left edge, not past the right one
    assert edit.cursorRect().left() < edit.width() // 4
    assert edit.text() == message  # nothing is cut from what is sent
    assert "START" in edit.toolTip() and "and its END" in edit.toolTip()
    edit.setText("<b>not bold</b>")
    assert "&lt;b&gt;not bold" in edit.toolTip()  # a message that looks like markup stays text
    edit.setText("x" * 10_000)
    assert "10000 characters" in edit.toolTip() and len(edit.toolTip()) < 3000
    edit.setText("")
    assert edit.toolTip() == ""
