"""Handcrafted frames over a real socket: every ws_frame field, both directions, bad input."""

from __future__ import annotations

import socket
import struct
import threading
import time
from typing import Any

import pytest
from ws_helpers import EventLog, RawClient, frame_bytes

from engine import App, g, request, session
from engine.globals import snapshot
from engine.serving import Server
from engine.ws.handshake import accept_key

KEY = bytes.fromhex("37fa213d")


@pytest.fixture(scope="module")
def served() -> Any:
    app = App("ws_raw")
    app.secret_key = "raw-secret"
    app.config["WEBSOCKET_PING_INTERVAL"] = None
    app.config["WEBSOCKET_CLOSE_TIMEOUT"] = 2.0
    teardowns: list[tuple[str, str | None, int]] = []

    @app.before_request
    def guard() -> Any:
        g.seen = request.path
        if request.path == "/ws/private" and "user" not in session:
            return "login first", 403
        return None

    @app.teardown_request
    def record(exc: BaseException | None) -> None:
        teardowns.append((request.path, None if exc is None else repr(exc), threading.get_ident()))

    @app.websocket("/ws/echo")
    def echo(ws: Any) -> None:
        for message in ws:
            ws.send(message)

    @app.websocket("/ws/private")
    def private(ws: Any) -> None:
        ws.send("secret")

    @app.websocket("/ws/boom")
    def boom(ws: Any) -> None:
        ws.receive()
        raise RuntimeError("handler exploded")

    @app.websocket("/ws/held")
    def held(ws: Any) -> None:
        app.extensions["held"] = ws
        for message in ws:
            ws.send(message)
        app.extensions["held_end"] = (ws.closed, ws.close_code, ws.close_reason)

    @app.websocket("/ws/push")
    def push(ws: Any) -> None:
        while True:
            try:
                ws.receive(timeout=0.01)
            except TimeoutError:
                ws.send("tick")

    @app.route("/plain")
    def plain() -> str:
        return "plain http"

    server = Server(app).start()
    log = EventLog(app)
    yield app, server, log, teardowns
    log.subscription.unsubscribe()
    server.stop()


def _closed(log: EventLog, request_id: int) -> Any:
    return log.wait_for("ws_closed", request_id=request_id)


def _request_id(log: EventLog, client: RawClient) -> int:
    hs = log.wait_for("ws_handshake", accept=accept_key(client.key))
    return hs.request_id


def _wait_teardown(teardowns: list, ident_count: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while len(teardowns) < ident_count:
        if time.monotonic() > deadline:
            raise AssertionError("teardown did not run")
        time.sleep(0.01)


def _echo_ok(server: Server) -> None:
    """Another connection is served normally (the server survived the bad one)."""
    c = RawClient(server.url, "/ws/echo")
    assert c.status == 101
    c.send(frame_bytes(0x1, b"still here", key=KEY))
    f = c.next_frame()
    assert (f.opcode, f.payload) == (0x1, b"still here")
    assert [f.opcode for f in c.close_handshake(struct.pack("!H", 1000))] == [0x8]


def test_handshake_event_and_accept(served: Any) -> None:
    _app, server, log, _ = served
    c = RawClient(server.url, "/ws/echo")
    assert c.status == 101
    assert f"Sec-WebSocket-Accept: {accept_key(c.key)}" in c.response_head
    hs = log.wait_for("ws_handshake", accept=accept_key(c.key))
    assert hs.key == c.key
    assert hs.accept_input == c.key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    assert len(hs.sha1_hex) == 40
    assert hs.status == 101
    assert hs.extensions is None  # this client offered no extension
    assert ["Sec-WebSocket-Key", c.key] in hs.headers
    assert hs.path == "/ws/echo"
    assert hs.error is None
    assert [f.opcode for f in c.close_handshake(struct.pack("!H", 1000) + b"bye")] == [0x8]
    closed = _closed(log, hs.request_id)
    assert (closed.code, closed.reason, closed.closed_by, closed.clean) == (
        1000,
        "bye",
        "client",
        True,
    )
    c.close()


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_frame_fields_both_directions(served: Any, size: int) -> None:
    _app, server, log, _ = served
    payload = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    c = RawClient(server.url, "/ws/echo")
    rid = _request_id(log, c)
    sent = frame_bytes(0x2, payload, key=KEY)
    # Arbitrary splits on the way in: the tap must not care.
    for i in range(0, len(sent), 7000):
        c.send(sent[i : i + 7000])
    back = c.next_frame()
    assert back.payload == payload
    c.close_handshake(struct.pack("!H", 1000))
    _closed(log, rid)
    frames = log.of("ws_frame", request_id=rid)
    fin, fout = frames[0], frames[1]
    encoding = 7 if size < 126 else (16 if size < 65536 else 64)
    header_len = {7: 2, 16: 4, 64: 10}[encoding]
    for ev, direction, masked in ((fin, "in", True), (fout, "out", False)):
        assert ev.direction == direction
        assert (ev.fin, ev.rsv1, ev.rsv2, ev.rsv3) == (True, False, False, False)
        assert (ev.opcode, ev.opcode_name) == (2, "binary")
        assert ev.masked is masked
        assert ev.length == size
        assert ev.length_encoding == encoding
        assert ev.wire_size == header_len + (4 if masked else 0) + size
        assert ev.payload_preview == payload[:64].hex()
        assert ev.payload_preview_is_text is False
        assert ev.inflated_size is None
        assert ev.error is None
        assert ev.close_code is None
    assert fin.masking_key == KEY.hex()
    assert fin.header_hex == sent[: header_len + 4].hex()
    assert fin.payload_wire_preview == sent[header_len + 4 : header_len + 4 + 64].hex()
    assert fout.masking_key is None
    assert fout.payload_wire_preview == payload[:64].hex()
    assert bytes.fromhex(fout.header_hex)[1] & 0x7F == {7: size, 16: 126, 64: 127}[encoding]
    msgs = log.of("ws_message", request_id=rid)
    assert [(m.direction, m.length, m.frames, m.compressed) for m in msgs] == [
        ("in", size, 1, False),
        ("out", size, 1, False),
    ]
    c.close()


def test_rfc_example_frame(served: Any) -> None:
    _app, server, log, _ = served
    c = RawClient(server.url, "/ws/echo")
    rid = _request_id(log, c)
    rfc = bytes.fromhex("818537fa213d7f9f4d5158")
    for b in rfc:  # one byte at a time
        c.send(bytes([b]))
        time.sleep(0.001)
    f = c.next_frame()
    assert (f.opcode, f.payload, f.masked) == (0x1, b"Hello", False)
    assert f.header == bytes.fromhex("8105")
    c.close_handshake(struct.pack("!H", 1001))
    _closed(log, rid)
    ev = log.of("ws_frame", request_id=rid, direction="in")[0]
    assert ev.to_json() | {} == ev.to_json()
    assert (ev.fin, ev.opcode_name, ev.masked, ev.length) == (True, "text", True, 5)
    assert ev.masking_key == "37fa213d"
    assert ev.header_hex == "818537fa213d"
    assert ev.payload_wire_preview == "7f9f4d5158"
    assert (ev.payload_preview, ev.payload_preview_is_text) == ("Hello", True)
    assert ev.wire_size == 11
    out = log.of("ws_frame", request_id=rid, direction="out")[0]
    assert out.header_hex == "8105" and out.payload_wire_preview == "48656c6c6f"
    msg = log.of("ws_message", request_id=rid, direction="in")[0]
    assert (msg.opcode_name, msg.preview, msg.length, msg.frames) == ("text", "Hello", 5, 1)
    c.close()


def test_fragmented_text_with_ping_in_the_middle(served: Any) -> None:
    _app, server, log, _ = served
    c = RawClient(server.url, "/ws/echo")
    rid = _request_id(log, c)
    c.send(
        frame_bytes(0x1, b"Hel", fin=False, key=KEY)
        + frame_bytes(0x9, b"are you there", key=KEY)
        + frame_bytes(0x0, b"lo", fin=False, key=KEY)
        + frame_bytes(0x0, " wörld".encode(), fin=True, key=KEY)
    )
    pong = c.next_frame()
    assert (pong.opcode, pong.payload) == (0xA, b"are you there")
    echo = c.next_frame()
    assert (echo.opcode, echo.fin, echo.payload) == (0x1, True, "Hello wörld".encode())
    c.close_handshake(struct.pack("!H", 1000))
    _closed(log, rid)
    ins = log.of("ws_frame", request_id=rid, direction="in")
    assert [(e.opcode_name, e.fin, e.length) for e in ins] == [
        ("text", False, 3),
        ("ping", True, 13),
        ("continuation", False, 2),
        ("continuation", True, 7),
        ("close", True, 2),
    ]
    assert [e.payload_preview for e in ins[:4]] == ["Hel", "are you there", "lo", " wörld"]
    assert all(e.error is None for e in ins)
    outs = log.of("ws_frame", request_id=rid, direction="out")
    assert [e.opcode_name for e in outs] == ["pong", "text", "close"]
    msgs = log.of("ws_message", request_id=rid)
    assert [(m.direction, m.frames, m.length, m.preview) for m in msgs] == [
        ("in", 3, 12, "Hello wörld"),
        ("out", 1, 12, "Hello wörld"),
    ]
    c.close()


@pytest.mark.parametrize(
    ("name", "data", "code", "reason", "in_error"),
    [
        (
            "unmasked",
            frame_bytes(0x1, b"Hello", key=None),
            1002,
            "incorrect masking",
            "unmasked client frame",
        ),
        (
            "reserved opcode",
            frame_bytes(0x3, b"x", key=KEY),
            1002,
            "invalid opcode",
            "reserved opcode 0x3",
        ),
        (
            "long control",
            frame_bytes(0x9, b"p" * 126, key=KEY),
            1002,
            "control frame too long",
            "control frame payload of 126 bytes (max 125)",
        ),
        (
            "fragmented control",
            frame_bytes(0x9, b"p", fin=False, key=KEY),
            1002,
            "fragmented control frame",
            "fragmented control frame",
        ),
        (
            "rsv2",
            frame_bytes(0x1, b"x", key=KEY, rsv=0x20),
            1002,
            "reserved bits must be 0",
            "RSV2 set without a negotiated extension",
        ),
        (
            "invalid utf-8",
            frame_bytes(0x1, b"\xff\xfeok", key=KEY),
            1007,
            "invalid start byte at position 0",
            None,
        ),
    ],
)
def test_bad_input_gets_the_right_close(
    served: Any, name: str, data: bytes, code: int, reason: str, in_error: str | None
) -> None:
    _app, server, log, teardowns = served
    before = len(teardowns)
    c = RawClient(server.url, "/ws/echo")
    rid = _request_id(log, c)
    c.send(data)
    frames = c.read_until_eof()
    c.close()  # as a client does once the server ended the stream
    close = frames[-1]
    assert close.opcode == 0x8
    assert struct.unpack("!H", close.payload[:2])[0] == code
    assert close.payload[2:].decode() == reason
    closed = _closed(log, rid)
    assert (closed.code, closed.reason, closed.closed_by, closed.clean) == (
        code,
        reason,
        "server",
        False,
    )
    bad = log.of("ws_frame", request_id=rid, direction="in")[0]
    assert bad.error == in_error
    if code == 1007:
        msg = log.of("ws_message", request_id=rid, direction="in")[0]
        assert msg.error is not None and "UTF-8" in msg.error
    out = log.of("ws_frame", request_id=rid, direction="out")[-1]
    assert (out.opcode_name, out.close_code, out.close_reason) == ("close", code, reason)
    _wait_teardown(teardowns, before + 1)
    assert teardowns[-1][0] == "/ws/echo"
    assert teardowns[-1][2] not in snapshot()
    c.close()
    _echo_ok(server)


def test_frame_over_max_size(served: Any) -> None:
    app, server, log, _teardowns = served
    app.config["WEBSOCKET_MAX_SIZE"] = 1000
    try:
        c = RawClient(server.url, "/ws/echo")
        rid = _request_id(log, c)
        c.send(frame_bytes(0x2, b"z" * 2000, key=KEY))
        frames = c.read_until_eof()
        c.close()
    finally:
        app.config["WEBSOCKET_MAX_SIZE"] = 2**20
    close = frames[-1]
    assert struct.unpack("!H", close.payload[:2])[0] == 1009
    closed = _closed(log, rid)
    assert (closed.code, closed.closed_by) == (1009, "server")
    assert closed.reason == "frame with 2000 bytes exceeds limit of 1000 bytes"
    big = log.of("ws_frame", request_id=rid, direction="in")[0]
    assert big.length == 2000
    assert "exceeds the limit of 1000 bytes" in big.error
    c.close()
    _echo_ok(server)


def test_client_drops_mid_frame(served: Any) -> None:
    _app, server, log, teardowns = served
    before = len(teardowns)
    c = RawClient(server.url, "/ws/echo")
    rid = _request_id(log, c)
    whole = frame_bytes(0x2, b"q" * 300, key=KEY)
    c.send(whole[:100])
    time.sleep(0.05)
    c.sock.shutdown(socket.SHUT_RDWR)
    c.close()
    closed = _closed(log, rid)
    assert (closed.code, closed.reason, closed.closed_by, closed.clean) == (
        1006,
        "",
        "network",
        False,
    )
    partial = log.of("ws_frame", request_id=rid, direction="in")[0]
    assert partial.length == 300
    assert partial.error == "stream ended after 92 of 300 payload bytes"
    _wait_teardown(teardowns, before + 1)
    assert teardowns[-1][1] is None  # the client leaving is no error of the handler
    _echo_ok(server)


def test_handler_error_closes_1011_and_tears_down(served: Any) -> None:
    _app, server, log, teardowns = served
    before = len(teardowns)
    c = RawClient(server.url, "/ws/boom")
    rid = _request_id(log, c)
    c.send(frame_bytes(0x1, b"go", key=KEY))
    frames = c.read_until_eof()
    c.close()
    assert struct.unpack("!H", frames[-1].payload[:2])[0] == 1011
    closed = _closed(log, rid)
    assert (closed.code, closed.closed_by) == (1011, "server")
    view = log.wait_for("view", request_id=rid)
    assert view.error == "RuntimeError: handler exploded"
    exc = log.wait_for("exception", request_id=rid)
    assert exc.handled is False
    _wait_teardown(teardowns, before + 1)
    assert teardowns[-1][:2] == ("/ws/boom", "RuntimeError('handler exploded')")
    log.wait_for("request_ctx_popped", request_id=rid)
    c.close()


def test_before_request_refuses_the_handshake(served: Any) -> None:
    _app, server, log, _teardowns = served
    c = RawClient(server.url, "/ws/private")
    assert c.status == 403
    assert c.rest == b"login first"
    hs = log.wait_for("ws_handshake", path="/ws/private")
    assert hs.status == 403 and hs.accept is None
    assert "403" in hs.error
    # the refusal is an ordinary HTTP response: finalized, then torn down
    log.wait_for("request_finished", request_id=hs.request_id)
    log.wait_for("request_ctx_popped", request_id=hs.request_id)
    assert not log.of("view", request_id=hs.request_id)
    c.close()


def test_bad_handshake_is_refused_by_the_library(served: Any) -> None:
    _app, server, log, _ = served
    s = socket.create_connection((server.host, server.port), timeout=5)
    s.sendall(
        b"GET /ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    data = b""
    while chunk := s.recv(4096):
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 400 ")
    hs = log.wait_for("ws_handshake", key="short")
    assert hs.status == 400 and hs.accept_input is None
    assert "Sec-WebSocket-Key" in hs.error


def test_plain_http_and_unknown_paths_are_not_upgraded(served: Any) -> None:
    _app, server, _log, _ = served
    c = RawClient(server.url, "/plain")
    assert c.status == 400  # an HTTP route asked for a WebSocket: Werkzeug's mismatch
    c.close()
    c = RawClient(server.url, "/nowhere")
    assert c.status == 404
    c.close()
    s = socket.create_connection((server.host, server.port), timeout=5)
    s.sendall(b"GET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while chunk := s.recv(4096):
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"plain http")


def test_bytes_sent_with_the_handshake_are_not_lost(served: Any) -> None:
    """Frames that arrive with the handshake sit in rfile's buffer: they must be read."""
    _app, server, log, _ = served
    s = socket.create_connection((server.host, server.port), timeout=5)
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    s.sendall(
        b"GET /ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: "
        + key.encode()
        + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
        + bytes.fromhex("818537fa213d7f9f4d5158")
    )
    data = b""
    while not data.endswith(b"Hello"):
        data += s.recv(4096)
    head, _, frames = data.partition(b"\r\n\r\n")
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head
    assert frames == bytes.fromhex("8105") + b"Hello"
    s.sendall(frame_bytes(0x8, struct.pack("!H", 1000), key=KEY))
    rest = b""
    while chunk := s.recv(4096):
        rest += chunk
    s.close()
    assert rest == bytes.fromhex("880203e8")
    hs = log.wait_for("ws_handshake", key=key)
    assert hs.sha1_hex == "b37a4f2cc0624f1690f64606cf385945b2bec4ea"
    closed = _closed(log, hs.request_id)
    assert (closed.code, closed.closed_by, closed.clean) == (1000, "client", True)


def test_close_after_data_in_one_chunk(served: Any) -> None:
    """The handler still receives a message that came just before the close frame; it can
    no longer answer (RFC 6455 §5.5.1: no data after a close frame was answered)."""
    _app, server, log, _ = served
    c = RawClient(server.url, "/ws/echo")
    rid = _request_id(log, c)
    c.send(
        frame_bytes(0x1, b"last words", key=KEY)
        + frame_bytes(0x8, struct.pack("!H", 1000), key=KEY)
    )
    frames = c.read_until_eof()
    c.close()
    assert [f.opcode for f in frames] == [0x8]
    closed = _closed(log, rid)
    assert (closed.code, closed.closed_by, closed.clean) == (1000, "client", True)
    msg = log.of("ws_message", request_id=rid, direction="in")[0]
    assert msg.preview == "last words"


def test_close_from_another_thread(served: Any) -> None:
    app, server, log, _ = served
    app.extensions.pop("held_end", None)
    c = RawClient(server.url, "/ws/held")
    rid = _request_id(log, c)
    c.send(frame_bytes(0x1, b"ping?", key=KEY))
    assert c.next_frame().payload == b"ping?"
    ws = app.extensions["held"]
    assert ws.closed is False and ws.close_code is None
    ws.close(1001, "going away")  # from the test's thread, not the handler's
    close = c.next_frame()
    assert close.payload == struct.pack("!H", 1001) + b"going away"
    c.close_handshake(struct.pack("!H", 1001) + b"going away")
    closed = _closed(log, rid)
    assert (closed.code, closed.closed_by, closed.clean) == (1001, "server", True)
    deadline = time.monotonic() + 5
    while "held_end" not in app.extensions and time.monotonic() < deadline:
        time.sleep(0.01)
    assert app.extensions["held_end"] == (True, 1001, "going away")
    with pytest.raises(Exception, match="closed"):
        ws.send("too late")


def test_keepalive_ping_and_timeout(served: Any) -> None:
    app, server, log, _ = served
    app.config.update(WEBSOCKET_PING_INTERVAL=0.05, WEBSOCKET_PING_TIMEOUT=0.2)
    try:
        c = RawClient(server.url, "/ws/echo")
        rid = _request_id(log, c)
        ping = c.next_frame()
        assert ping.opcode == 0x9 and len(ping.payload) == 4
        c.send(frame_bytes(0xA, ping.payload, key=KEY))  # answered: the connection lives on
        second = c.next_frame()
        assert second.opcode == 0x9  # next keepalive, this one left unanswered
        frames = c.read_until_eof()
        c.close()
    finally:
        app.config.update(WEBSOCKET_PING_INTERVAL=None, WEBSOCKET_PING_TIMEOUT=20.0)
    assert frames[-1].payload == struct.pack("!H", 1011) + b"keepalive ping timeout"
    closed = _closed(log, rid)
    assert (closed.code, closed.closed_by) == (1011, "server")
    pongs = log.of("ws_frame", request_id=rid, direction="in", opcode_name="pong")
    assert len(pongs) == 1 and pongs[0].length == 4 and pongs[0].masked


def test_origin_check(served: Any) -> None:
    app, server, log, _ = served
    app.config["WEBSOCKET_ORIGINS"] = ["http://good.example"]
    try:
        bad = RawClient(server.url, "/ws/echo", {"Origin": "http://evil.example"})
        good = RawClient(server.url, "/ws/echo", {"Origin": "http://good.example"})
    finally:
        app.config["WEBSOCKET_ORIGINS"] = None
    assert bad.status == 403
    bad.close()
    assert good.status == 101
    good.close_handshake(struct.pack("!H", 1000))
    hs = log.wait_for("ws_handshake", key=bad.key)
    assert hs.status == 403 and "Origin" in hs.error


def test_client_vanishes_while_the_server_pushes(served: Any) -> None:
    _, server, log, teardowns = served
    before = len(teardowns)
    c = RawClient(server.url, "/ws/push")
    rid = _request_id(log, c)
    assert c.next_frame().payload == b"tick"
    # RST instead of FIN: the abrupt way a client disappears
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    closed = _closed(log, rid)
    assert (closed.code, closed.closed_by, closed.clean) == (1006, "network", False)
    _wait_teardown(teardowns, before + 1)
    assert teardowns[-1][:2] == ("/ws/push", None)
    view = log.wait_for("view", request_id=rid)
    assert view.error is None  # ConnectionClosed ended the handler: a normal end
    _echo_ok(server)
