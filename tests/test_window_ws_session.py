"""A WebSocket opened from the window carries the composer's cookies: after logging in through
the composer, the handler sees the session (the demo echo greets the user by name)."""

from __future__ import annotations

from typing import Any

from qt_helpers import window  # noqa: F401  (fixture)

from inspector.window import MainWindow


def test_websocket_handshake_carries_the_login_session(
    qtbot: Any,
    window: MainWindow,  # noqa: F811
) -> None:
    composer = window.composer
    composer.method.setCurrentText("POST")
    composer.path.setText("/login?name=grace")
    with qtbot.waitSignal(window.exchangeFinished, timeout=10_000):
        composer.send_button.click()
    qtbot.waitUntil(lambda: bool(window.jar.get("session")), timeout=5_000)

    tab = window.ws_tab
    tab.client_bar.route_box.setCurrentText("/ws/echo")
    tab.client_bar.connect_btn.click()
    qtbot.waitUntil(lambda: tab.client_bar.send_btn.isEnabled(), timeout=10_000)

    def greeting() -> str | None:
        for event in tab.frames_shown():
            if event.kind == "ws_frame" and event.direction == "out" and event.opcode == 1:
                return event.payload_preview
        return None

    qtbot.waitUntil(lambda: greeting() is not None, timeout=10_000)
    assert greeting() == "hello grace"
    tab.client_bar.close_btn.click()
    qtbot.waitUntil(
        lambda: any(e.kind == "ws_closed" for e in window.timeline_model.events()),
        timeout=10_000,
    )
