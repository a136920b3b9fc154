"""The composer: bad input is one line and sends nothing; JSON bodies, copy as curl, the jar
following Set-Cookie (deletion included), route completion, and Set-Cookie to the workbench."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from qt_helpers import window  # noqa: F401  (fixture)

from inspector.window import MainWindow


def _send(qtbot: Any, win: MainWindow) -> dict[str, Any]:
    with qtbot.waitSignal(win.exchangeFinished, timeout=10_000) as blocker:
        qtbot.mouseClick(win.composer.send_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_invalid_json_body_is_one_line_and_sends_nothing(qtbot: Any, window: MainWindow) -> None:  # noqa: F811
    c = window.composer
    c.method.setCurrentText("POST")
    c.path.setText("/api/echo")
    c.body_kind.setCurrentIndex(2)
    c.json_body.setPlainText('{"a": 1,')
    qtbot.mouseClick(c.send_button, Qt.MouseButton.LeftButton)
    message = window.statusBar().currentMessage()
    assert message.startswith("the JSON body is not valid JSON") and "\n" not in message
    qtbot.wait(200)
    assert window.history_model.rowCount() == 0


def test_json_body_round_trip_and_copy_as_curl(qtbot: Any, window: MainWindow) -> None:  # noqa: F811
    c = window.composer
    c.method.setCurrentText("POST")
    c.path.setText("/api/echo")
    c.query.set_pairs([("q", "a b")])
    c.headers.set_pairs([("X-Probe", "42")])
    c.body_kind.setCurrentIndex(2)
    c.json_body.setPlainText('{"hello": ["world", 1]}')
    ex = _send(qtbot, window)
    assert ex["status"] == 200
    echoed = json.loads(ex["response_body"])
    assert echoed["json"] == {"hello": ["world", 1]}
    assert echoed["args"] == {"q": "a b"} and echoed["headers"]["X-Probe"] == "42"
    assert "Body (JSON)" in window.response.tabs.tabText(0)
    qtbot.mouseClick(window.response.copy_curl, Qt.MouseButton.LeftButton)
    curl = QGuiApplication.clipboard().text()
    assert curl.startswith("curl -i -X POST")
    assert "'Content-Type: application/json'" in curl and "'X-Probe: 42'" in curl
    assert "q=a+b" in curl and '\'{"hello": ["world", 1]}\'' in curl


def test_jar_follows_set_cookie_and_deletion(qtbot: Any, window: MainWindow) -> None:  # noqa: F811
    c = window.composer
    assert "/slow" in c.routes() and "/ws/echo" not in c.routes()  # HTTP rules only
    c.method.setCurrentText("POST")
    c.path.setText("/login")
    assert _send(qtbot, window)["status"] == 200
    assert window.jar.get("session")
    # the cookie is sent back: the engine sees the logged-in user
    c.method.setCurrentText("GET")
    c.path.setText("/whoami")
    assert b"ada" in _send(qtbot, window)["response_body"]
    # Set-Cookie to the workbench, decoded and verified there
    window.response.show_exchange(window.history_model.exchange(0))
    qtbot.mouseClick(window.response.to_workbench, Qt.MouseButton.LeftButton)
    assert window.tabs.currentIndex() == 3
    assert window.cookie_tab.decoded.payload == {"user_info": "ada"}
    assert window.cookie_tab.verdict()[0] == "valid"
    # logging out empties the session: the engine deletes the cookie, the jar follows
    c.path.setText("/logout")
    ex = _send(qtbot, window)
    assert any(k.lower() == "set-cookie" for k, _ in ex["response_headers"])
    assert window.jar.get("session") is None
    c.path.setText("/whoami")
    assert json.loads(_send(qtbot, window)["response_body"]) == {"user": None}


def test_a_long_path_shows_its_start_and_all_of_it_on_hover(qtbot: Any, window: MainWindow) -> None:  # noqa: F811
    # "Edit" in the history loads a request back: a long path must not hide where it begins.
    c = window.composer
    long_path = "/shop/cart/add/" + "x" * 300
    c.path.setText(long_path)
    assert c.path.cursorPosition() == 0
    assert long_path in c.path.toolTip()
