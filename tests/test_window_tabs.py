"""The cookie workbench and WebSocket tabs, driven inside the real window against the engine."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from qt_helpers import window  # noqa: F401  (fixture)

from inspector.window import MainWindow


def _send(qtbot: Any, win: MainWindow, method: str, path: str, **form: str) -> dict[str, Any]:
    c = win.composer
    c.method.setCurrentText(method)
    c.path.setText(path)
    c.body_kind.setCurrentIndex(1 if form else 0)
    c.form.set_pairs(list(form.items()))
    with qtbot.waitSignal(win.exchangeFinished, timeout=10_000) as blocker:
        qtbot.mouseClick(c.send_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_pasted_cookie_decodes_verifies_and_resigned_one_goes_to_the_jar(
    qtbot: Any,
    window: MainWindow,  # noqa: F811
) -> None:
    assert _send(qtbot, window, "POST", "/login", name="ada")["status"] == 200
    cookie = window.jar.get("session")
    assert cookie
    tab = window.cookie_tab
    assert tab.secret_keys() == ["ctxscope-demo-secret"]  # prefilled from the app's config
    window.tabs.setCurrentIndex(3)
    QGuiApplication.clipboard().setText(f"session={cookie}")
    tab.input_edit.setFocus()
    qtbot.keyClick(tab.input_edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: tab.decoded is not None, timeout=3_000)
    assert tab.decoded.payload == {"user_info": "ada"}
    assert tab.verdict()[0] == "valid"

    tab.resign_box.payload_edit.setPlainText('{"user_info": "grace"}')
    qtbot.mouseClick(tab.resign_box.resign_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(tab.resigned_cookie()), timeout=3_000)
    qtbot.mouseClick(tab.resign_box.compose_btn, Qt.MouseButton.LeftButton)
    assert window.jar.get("session") == tab.resigned_cookie()
    # the engine accepts the re-signed cookie: the session now names grace
    ex = _send(qtbot, window, "GET", "/whoami")
    assert ex["status"] == 200 and b"grace" in ex["response_body"]


def test_websocket_exchange_shows_frames_with_correct_bits(
    qtbot: Any,
    window: MainWindow,  # noqa: F811
) -> None:
    tab = window.ws_tab
    window.tabs.setCurrentIndex(4)
    tab.client_bar.route_box.setCurrentText("/ws/echo")
    assert tab.client_bar.url_edit.text().endswith("/ws/echo")
    qtbot.mouseClick(tab.client_bar.connect_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.client_bar.send_btn.isEnabled(), timeout=5_000)
    tab.client_bar.payload_edit.setText("Hello")
    qtbot.mouseClick(tab.client_bar.send_btn, Qt.MouseButton.LeftButton)

    def frames(direction: str) -> list[Any]:
        return [
            e
            for e in tab.frames_shown()
            if e.kind == "ws_frame" and e.direction == direction and e.opcode == 1
        ]

    qtbot.waitUntil(lambda: any(f.length == 5 for f in frames("in")), timeout=5_000)
    qtbot.waitUntil(lambda: any(f.length == 5 for f in frames("out")), timeout=5_000)
    inbound = next(f for f in frames("in") if f.length == 5)
    outbound = next(f for f in frames("out") if f.length == 5)
    # RFC 6455 §5.2: client frames are masked, server frames are not; FIN set, opcode 1 (text)
    assert inbound.fin and inbound.masked and inbound.masking_key and inbound.opcode_name == "text"
    assert int(inbound.header_hex[:2], 16) == 0x81 and int(inbound.header_hex[2:4], 16) == 0x85
    assert outbound.fin and not outbound.masked and outbound.header_hex[:4] == "8105"
    assert outbound.payload_preview == "Hello"

    # the connection's request context is one click away in the timeline
    rid = next(e.request_id for e in window.timeline_model.events() if e.kind == "ws_handshake")
    qtbot.mouseClick(tab.client_bar.close_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(e.kind == "ws_closed" for e in window.timeline_model.events()), timeout=5_000
    )
    tab.requestContextSelected.emit(rid)
    assert window.tabs.currentWidget() is window.timeline
    assert window.timeline_model.request_filter == rid
