"""The demo WebSocket routes with a real client (websockets.sync.client), over loopback."""

from __future__ import annotations

import http.client
import threading
import time
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK, InvalidStatus
from websockets.sync.client import connect
from ws_helpers import EventLog

from engine.demo import create_app
from engine.globals import snapshot
from engine.serving import Server


@pytest.fixture(scope="module")
def demo() -> Any:
    app = create_app()
    server = Server(app).start()
    log = EventLog(app)
    yield app, server, log
    log.subscription.unsubscribe()
    server.stop()


def _ws(server: Server, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


def _login(server: Server, name: str) -> str:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    conn.request("GET", f"/login?name={name}")
    resp = conn.getresponse()
    resp.read()
    cookie = resp.getheader("Set-Cookie")
    conn.close()
    assert cookie is not None
    return cookie.split(";", 1)[0]


def _wait(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.01)


def _request_id(log: EventLog, ws: Any) -> int:
    accept = ws.response.headers["Sec-WebSocket-Accept"]
    return log.wait_for("ws_handshake", accept=accept).request_id


def test_echo_with_compression_and_login(demo: Any) -> None:
    _app, server, log = demo
    cookie = _login(server, "ada")
    with connect(_ws(server, "/ws/echo"), additional_headers={"Cookie": cookie}) as ws:
        rid = _request_id(log, ws)
        assert ws.recv(timeout=5) == "hello ada"
        ws.send("hello hello hello hello")
        assert ws.recv(timeout=5) == "hello hello hello hello"
        ws.send(b"\x00\x01\x02" * 100)
        assert ws.recv(timeout=5) == b"\x00\x01\x02" * 100
        # websockets sends an iterable as one frame per item and an empty final frame
        ws.send(["frag", "mented"])
        assert ws.recv(timeout=5) == "fragmented"
    closed = log.wait_for("ws_closed", request_id=rid)
    assert (closed.code, closed.closed_by, closed.clean) == (1000, "client", True)
    hs = log.of("ws_handshake", request_id=rid)[0]
    assert hs.extensions is not None and hs.extensions.startswith("permessage-deflate")
    frames = log.of("ws_frame", request_id=rid)
    data = [f for f in frames if f.opcode in (1, 2)]
    assert all(f.rsv1 for f in data)  # every data message was compressed, both directions
    assert all(f.inflated_size is not None for f in data)
    messages = log.of("ws_message", request_id=rid)
    ins = [m for m in messages if m.direction == "in"]
    assert [(m.opcode_name, m.length, m.frames, m.compressed) for m in ins] == [
        ("text", 23, 1, True),
        ("binary", 300, 1, True),
        ("text", 10, 3, True),
    ]
    assert ins[0].wire_length < 23  # deflate shrank the repetitive text
    assert ins[2].preview == "fragmented"
    cont = [f for f in frames if f.direction == "in" and f.opcode == 0]
    assert [f.fin for f in cont] == [False, True]
    assert not any(f.rsv1 for f in cont)  # RSV1 only on a message's first frame


def test_two_connections_have_isolated_contexts(demo: Any) -> None:
    _app, server, log = demo
    cookies = {"ada": _login(server, "ada"), "bob": _login(server, "bob")}
    with (
        connect(_ws(server, "/ws/echo"), additional_headers={"Cookie": cookies["ada"]}) as a,
        connect(_ws(server, "/ws/echo"), additional_headers={"Cookie": cookies["bob"]}) as b,
    ):
        assert a.recv(timeout=5) == "hello ada"
        assert b.recv(timeout=5) == "hello bob"
        ra, rb = _request_id(log, a), _request_id(log, b)
        ta = log.of("ws_handshake", request_id=ra)[0].thread
        tb = log.of("ws_handshake", request_id=rb)[0].thread
        assert ta != tb
        snap = snapshot()
        assert ta in snap and tb in snap
        for ident, user, rid in ((ta, "ada", ra), (tb, "bob", rb)):
            (req,) = snap[ident]["request"]
            assert (req["request_id"], req["path"]) == (rid, "/ws/echo")
            assert req["session"]["user_info"] == user
            (app_ctx,) = snap[ident]["app"]
            assert app_ctx["g"]["ws_user"] == user
    for rid in (ra, rb):
        log.wait_for("app_ctx_popped", request_id=rid)
        kinds = [e.kind for e in log.for_request(rid)]
        assert kinds.index("ws_closed") < kinds.index("teardown_request")
        assert kinds.index("teardown_request") < kinds.index("request_ctx_popped")
        assert "teardown_appcontext" in kinds
        assert "after_request" not in kinds and "session_saved" not in kinds
    _wait(lambda: ta not in snapshot() and tb not in snapshot())


def test_chat_broadcast(demo: Any) -> None:
    _app, server, log = demo
    ada_cookie = {"Cookie": _login(server, "ada")}
    bob_cookie = {"Cookie": _login(server, "bob")}
    with connect(_ws(server, "/ws/chat"), additional_headers=ada_cookie) as ada:
        assert ada.recv(timeout=5) == "* ada joined"
        with connect(_ws(server, "/ws/chat"), additional_headers=bob_cookie) as bob:
            assert bob.recv(timeout=5) == "* bob joined"
            assert ada.recv(timeout=5) == "* bob joined"
            ada.send("hi bob")
            assert bob.recv(timeout=5) == "ada: hi bob"
            assert ada.recv(timeout=5) == "ada: hi bob"
            rb = _request_id(log, bob)
            # ada's message reached bob from ada's thread, and is reported as such
            out = log.wait_for("ws_message", request_id=rb, direction="out", preview="ada: hi bob")
            ra = _request_id(log, ada)
            ada_thread = log.of("ws_handshake", request_id=ra)[0].thread
            assert out.thread == ada_thread
        assert ada.recv(timeout=5) == "* bob left"


def test_ticker_pushes_and_stops(demo: Any) -> None:
    _app, server, log = demo
    with connect(_ws(server, "/ws/ticker?ms=20")) as ws:
        ticks = [ws.recv(timeout=5) for _ in range(3)]
        assert ticks == ["tick 1", "tick 2", "tick 3"]
        ws.send("stop")
        with pytest.raises(ConnectionClosedOK):
            while True:
                ws.recv(timeout=5)
        assert ws.close_code == 1000
        assert ws.close_reason.startswith("stopped after ")
        rid = _request_id(log, ws)
    closed = log.wait_for("ws_closed", request_id=rid)
    assert (closed.code, closed.closed_by) == (1000, "server")


def test_binary_echo_refuses_text(demo: Any) -> None:
    _app, server, _log = demo
    with connect(_ws(server, "/ws/binary")) as ws:
        ws.send(b"\xff\x00")
        assert ws.recv(timeout=5) == b"\xff\x00"
        ws.send("text")
        with pytest.raises(ConnectionClosedError):
            ws.recv(timeout=5)
        assert ws.close_code == 1003


def test_compression_can_be_turned_off(demo: Any) -> None:
    app, server, log = demo
    app.config["WEBSOCKET_COMPRESSION"] = False
    try:
        with connect(_ws(server, "/ws/echo")) as ws:
            assert ws.recv(timeout=5) == "hello anonymous"
            assert "Sec-WebSocket-Extensions" not in ws.response.headers
            rid = _request_id(log, ws)
    finally:
        app.config["WEBSOCKET_COMPRESSION"] = True
    frame = log.wait_for("ws_frame", request_id=rid)
    assert frame.rsv1 is False and frame.inflated_size is None


def test_oversize_message_from_a_real_client(demo: Any) -> None:
    _app, server, log = demo
    with connect(_ws(server, "/ws/echo"), compression=None) as ws:
        rid = _request_id(log, ws)
        ws.recv(timeout=5)
        ws.send(b"x" * (2**20 + 1))
        with pytest.raises(ConnectionClosedError):
            ws.recv(timeout=5)
        assert ws.close_code == 1009
    closed = log.wait_for("ws_closed", request_id=rid)
    assert (closed.code, closed.closed_by) == (1009, "server")


def test_refused_handshake_and_the_server_keeps_serving(demo: Any) -> None:
    _app, server, _log = demo
    with pytest.raises(InvalidStatus) as info:
        connect(_ws(server, "/ws/nowhere"), open_timeout=5)
    assert info.value.response.status_code == 404
    results: list[str] = []

    def client(i: int) -> None:
        with connect(_ws(server, "/ws/echo")) as ws:
            ws.recv(timeout=5)
            ws.send(f"n{i}")
            results.append(ws.recv(timeout=5))  # type: ignore[arg-type]

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == sorted(f"n{i}" for i in range(8))
