"""The sans-I/O parts: frame parser, masking, handshake computation, the tap (no sockets)."""

from __future__ import annotations

import gc
import os
import random
import struct
import threading
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.frames import Frame, Opcode

from engine.bus import EventBus
from engine.events import Event, WsFrame, WsMessage
from engine.ws import inflate as inflate_module
from engine.ws import tap as tap_module
from engine.ws.frames import FrameReader, WireFrame, encode_frame, mask, opcode_name, unmask
from engine.ws.handshake import GUID, accept_key, accept_steps, key_problem
from engine.ws.tap import WsTap, parse_deflate_params, text_preview

RFC_FRAME = bytes.fromhex("818537fa213d7f9f4d5158")


def _slow_unmask(data: bytes, key: bytes) -> bytes:
    return bytes(b ^ key[i % 4] for i, b in enumerate(data))


# --- handshake (RFC 6455 §1.3, §4.2.2) ------------------------------------------------------


def test_accept_rfc_sample_step_by_step() -> None:
    steps = accept_steps("dGhlIHNhbXBsZSBub25jZQ==")
    assert steps.accept_input == "dGhlIHNhbXBsZSBub25jZQ==" + GUID
    assert GUID == "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    assert steps.sha1_hex == "b37a4f2cc0624f1690f64606cf385945b2bec4ea"
    assert steps.accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_accept_matches_websockets() -> None:
    from websockets.utils import accept_key as ws_accept

    for _ in range(20):
        import base64

        key = base64.b64encode(os.urandom(16)).decode()
        assert accept_key(key) == ws_accept(key)
        assert key_problem(key) is None


@pytest.mark.parametrize(
    ("key", "problem"),
    [(None, "missing"), ("short", "not base64"), ("c2hvcnQ=", "decodes to 5 bytes")],
)
def test_key_problems(key: str | None, problem: str) -> None:
    assert problem in key_problem(key)  # type: ignore[operator]


# --- masking (RFC 6455 §5.3) ------------------------------------------------------------------


@given(st.binary(max_size=300), st.binary(min_size=4, max_size=4))
def test_unmask_is_the_per_byte_xor(data: bytes, key: bytes) -> None:
    assert unmask(data, key) == _slow_unmask(data, key)
    assert mask(unmask(data, key), key) == data


@pytest.mark.parametrize("size", [1, 3, 4, 5, 2047, 2048, 2049, 4099])
def test_unmask_around_the_strided_switch(size: int) -> None:
    data, key = os.urandom(size), os.urandom(4)
    assert unmask(data, key) == _slow_unmask(data, key)
    assert unmask(memoryview(data), key) == unmask(bytearray(data), key) == unmask(data, key)


def test_unmask_large_and_bad_key() -> None:
    data = os.urandom(1 << 20)
    assert unmask(data, b"\x01\x02\x03\x04") == _slow_unmask(data, b"\x01\x02\x03\x04")
    with pytest.raises(ValueError):
        unmask(b"abc", b"xy")


def test_opcode_names() -> None:
    assert [opcode_name(o) for o in (0, 1, 2, 8, 9, 10)] == [
        "continuation",
        "text",
        "binary",
        "close",
        "ping",
        "pong",
    ]
    assert opcode_name(3) == "reserved-0x3" and opcode_name(0xF) == "reserved-0xf"


# --- the parser (RFC 6455 §5.2) ---------------------------------------------------------------


def test_rfc_frame_one_byte_at_a_time() -> None:
    reader = FrameReader(True)
    frames: list[WireFrame] = []
    for i in range(len(RFC_FRAME)):
        got = reader.feed(RFC_FRAME[i : i + 1])
        assert got == [] or i == len(RFC_FRAME) - 1
        frames += got
    (f,) = frames
    assert (f.fin, f.rsv1, f.rsv2, f.rsv3) == (True, False, False, False)
    assert (f.opcode, f.opcode_name, f.masked) == (1, "text", True)
    assert f.masking_key == bytes.fromhex("37fa213d")
    assert (f.length, f.length_encoding) == (5, 7)
    assert f.header == bytes.fromhex("818537fa213d")
    assert f.wire_payload == bytes.fromhex("7f9f4d5158")
    assert f.payload == b"Hello"
    assert f.error is None and f.complete and f.wire_size == 11
    assert reader.buffered == 0


@pytest.mark.parametrize(
    ("size", "encoding", "head"),
    [(0, 7, 2), (125, 7, 2), (126, 16, 4), (65535, 16, 4), (65536, 64, 10)],
)
def test_length_encodings(size: int, encoding: int, head: int) -> None:
    payload = os.urandom(size)
    data = encode_frame(2, payload, masking_key=b"abcd")
    assert data[1] & 0x7F == {7: size, 16: 126, 64: 127}[encoding]
    (f,) = FrameReader(True).feed(data)
    assert (f.length, f.length_encoding, len(f.header)) == (size, encoding, head + 4)
    assert f.payload == payload and f.wire_payload == _slow_unmask(payload, b"abcd")


def test_non_minimal_length_encoding_is_reported_as_sent() -> None:
    data = encode_frame(1, b"hi", length_encoding=64)
    (f,) = FrameReader(False).feed(data)
    assert (f.length, f.length_encoding, f.payload) == (2, 64, b"hi")


@st.composite
def _frame_streams(draw: Any) -> tuple[list[tuple[int, bytes, bool]], bytes, list[int]]:
    specs = draw(
        st.lists(
            st.tuples(st.sampled_from([0, 1, 2, 8, 9, 10]), st.binary(max_size=400), st.booleans()),
            min_size=1,
            max_size=8,
        )
    )
    key = draw(st.binary(min_size=4, max_size=4))
    stream = b"".join(encode_frame(op, p, fin=fin, masking_key=key) for op, p, fin in specs)
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    return specs, stream, cuts


@settings(max_examples=150, deadline=None)
@given(_frame_streams())
def test_any_split_gives_the_same_frames(case: Any) -> None:
    specs, stream, cuts = case
    whole = FrameReader(True).feed(stream)
    reader = FrameReader(True)
    pieces: list[WireFrame] = []
    last = 0
    for cut in [*cuts, len(stream)]:
        pieces += reader.feed(stream[last:cut])
        last = cut
    assert pieces == whole
    assert [(f.opcode, f.payload, f.fin) for f in whole] == [(o, p, fin) for o, p, fin in specs]
    assert b"".join(f.header + f.wire_payload for f in whole) == stream
    plain = FrameReader(True, plain=True)  # the tap's readers: the same items, plain tuples
    last, plain_pieces = 0, []
    for cut in [*cuts, len(stream)]:
        plain_pieces += plain.feed(stream[last:cut])
        last = cut
    assert plain_pieces == whole
    assert all(type(f) is tuple for f in plain_pieces)


@settings(max_examples=100, deadline=None)
@given(_frame_streams(), st.sampled_from([None, 0, 5, 125]))
def test_one_frame_per_chunk_is_the_same_as_the_stream(case: Any, limit: int | None) -> None:
    """Chunks of exactly one frame (how interactive traffic arrives) take a shortcut."""
    _, stream, _ = case
    sizes = [len(f.header) + len(f.wire_payload) for f in FrameReader().feed(stream)]
    for expect_masked in (True, False, None):  # False: every frame breaks §5.1
        whole = FrameReader(expect_masked, max_payload=limit).feed(stream)
        reader = FrameReader(expect_masked, max_payload=limit)
        one_by_one: list[WireFrame] = []
        pos = 0
        for size in sizes:
            one_by_one += reader.feed(stream[pos : pos + size])
            pos += size
        assert one_by_one == whole


@settings(max_examples=100, deadline=None)
@given(_frame_streams())
def test_any_split_with_a_payload_limit(case: Any) -> None:
    """Oversize frames are reported at their header whatever the split; parsing resumes."""
    _, stream, cuts = case
    whole = FrameReader(True, max_payload=150).feed(stream)
    reader = FrameReader(True, max_payload=150)
    pieces: list[WireFrame] = []
    last = 0
    for cut in [*cuts, len(stream)]:
        pieces += reader.feed(stream[last:cut])
        last = cut
    assert [(f.header, f.length, f.error) for f in pieces] == [
        (f.header, f.length, f.error) for f in whole
    ]
    for a, b in zip(pieces, whole, strict=True):
        assert b.payload.startswith(a.payload)  # an oversize frame keeps what had arrived
        assert a.complete == (a.length <= 150)


def test_every_byte_split_of_a_mixed_stream() -> None:
    stream = (
        encode_frame(1, b"a" * 130, fin=False, masking_key=b"wxyz")
        + encode_frame(9, b"ping", masking_key=b"wxyz")
        + encode_frame(0, b"b" * 70000, masking_key=b"wxyz")
    )
    reader = FrameReader(True)
    frames = []
    for i in range(len(stream)):
        frames += reader.feed(stream[i : i + 1])
    assert [(f.opcode_name, f.length, f.length_encoding) for f in frames] == [
        ("text", 130, 16),
        ("ping", 4, 7),
        ("continuation", 70000, 64),
    ]


@pytest.mark.parametrize(
    ("data", "expect_masked", "error"),
    [
        (encode_frame(3, b"x", masking_key=b"abcd"), True, "reserved opcode 0x3"),
        (encode_frame(0xB, b"", masking_key=b"abcd"), True, "reserved opcode 0xb"),
        (
            encode_frame(9, b"p" * 126, masking_key=b"abcd"),
            True,
            "control frame payload of 126 bytes (max 125)",
        ),
        (
            encode_frame(8, b"\x03\xe8", fin=False, masking_key=b"abcd"),
            True,
            "fragmented control frame",
        ),
        (encode_frame(1, b"x"), True, "unmasked client frame"),
        (encode_frame(1, b"x", masking_key=b"abcd"), False, "masked server frame"),
        (encode_frame(1, b"x", rsv=0x40), False, "RSV1 set without a negotiated extension"),
        (encode_frame(1, b"x", rsv=0x30), False, "RSV2/RSV3 set without a negotiated extension"),
    ],
)
def test_wire_violations(data: bytes, expect_masked: bool, error: str) -> None:
    (f,) = FrameReader(expect_masked).feed(data)
    assert f.error == error


def test_top_bit_of_64_bit_length() -> None:
    data = bytes((0x82, 0x7F)) + struct.pack("!Q", (1 << 63) | 5)
    (f,) = FrameReader(False, max_payload=1 << 20).feed(data + b"hello")
    assert "most significant bit" in f.error and not f.complete
    assert f.length == (1 << 63) | 5


def test_several_violations_are_all_named() -> None:
    data = bytes((0x0B, 0x7E)) + struct.pack("!H", 200) + b"z" * 200
    (f,) = FrameReader(True).feed(data)
    assert f.error == (
        "reserved opcode 0xb; control frame payload of 200 bytes (max 125); "
        "fragmented control frame; unmasked client frame"
    )


def test_oversize_frame_is_reported_at_once_and_skipped() -> None:
    reader = FrameReader(True, max_payload=100)
    big = encode_frame(2, b"z" * 1000, masking_key=b"abcd")
    first = reader.feed(big[:50])
    assert len(first) == 1 and not first[0].complete
    assert first[0].error == "payload length 1000 exceeds the limit of 100 bytes"
    assert first[0].payload == b"z" * 42  # what was there, unmasked
    assert reader.feed(big[50:600]) == []
    (after,) = reader.feed(big[600:] + encode_frame(1, b"ok", masking_key=b"abcd"))
    assert after.payload == b"ok"


def test_eof_inside_a_frame() -> None:
    reader = FrameReader(True)
    data = encode_frame(2, b"q" * 300, masking_key=b"abcd")
    assert reader.feed(data[:100]) == []
    partial = reader.feed_eof()
    assert partial is not None and not partial.complete
    assert partial.error == "stream ended after 92 of 300 payload bytes"
    assert partial.payload == b"q" * 92
    assert reader.feed_eof() is None
    r2 = FrameReader(True)
    r2.feed(b"\x81")
    assert r2.feed_eof().error == "stream ended inside a frame header"  # type: ignore[union-attr]


def test_parser_agrees_with_websockets_serializer() -> None:
    frames = [
        Frame(Opcode.TEXT, "héllo".encode(), fin=False),
        Frame(Opcode.PING, b"x"),
        Frame(Opcode.CONT, b"!" * 200),
        Frame(Opcode.CLOSE, b"\x03\xe8bye"),
    ]
    stream = b"".join(f.serialize(mask=True) for f in frames)
    parsed = FrameReader(True).feed(stream)
    assert [(p.opcode, p.fin, p.payload) for p in parsed] == [
        (int(f.opcode), f.fin, bytes(f.data)) for f in frames
    ]
    assert all(p.error is None for p in parsed)


# --- the tap ------------------------------------------------------------------------------------


class _Sink:
    """A bus for the tap alone: keeps (class, raw values); the fields are decoded when read."""

    def __init__(self, active: bool = True) -> None:
        self.active = active  # read by the tap before it builds an event
        self.raw: list[tuple[type[Event], Any]] = []  # as emitted, never decoded here

    def emit(
        self, cls: type[Event], request_id: int | None, name: object, blueprint: object, extras: Any
    ) -> None:
        self.raw.append((cls, extras))

    @property
    def events(self) -> list[tuple[type[Event], dict[str, Any]]]:
        return [(cls, dict(cls._decode(extras))) for cls, extras in self.raw]

    def kinds(self) -> list[str]:
        return [cls.kind for cls, _ in self.raw]


def test_tap_fields_cover_the_event_classes() -> None:
    sink = _Sink()
    tap = WsTap(7, sink)
    tap.feed_in(RFC_FRAME)
    (cls, frame), (mcls, message) = sink.events
    assert cls is WsFrame and mcls is WsMessage
    assert set(frame) == set(WsFrame._extra_fields)
    assert set(message) == set(WsMessage._extra_fields)
    assert frame["connection_id"] == 7 and message["preview"] == "Hello"


def test_tap_builds_nothing_when_nobody_listens() -> None:
    sink = _Sink(active=False)
    tap = WsTap(1, sink)
    tap.feed_in(encode_frame(1, b"one", masking_key=b"abcd"))
    assert sink.raw == []
    sink.active = True
    tap.feed_in(encode_frame(1, b"two", masking_key=b"abcd"))
    assert sink.kinds() == ["ws_frame", "ws_message"]


def test_tap_fragment_errors_and_close_parsing() -> None:
    sink = _Sink()
    tap = WsTap(1, sink)
    tap.feed_in(encode_frame(0, b"orphan", masking_key=b"abcd"))
    tap.feed_in(encode_frame(1, b"start", fin=False, masking_key=b"abcd"))
    tap.feed_in(encode_frame(2, b"interloper", masking_key=b"abcd"))
    tap.feed_in(encode_frame(8, b"\x03\xed", masking_key=b"abcd"))
    frames = [f for c, f in sink.events if c is WsFrame]
    assert frames[0]["error"] == "continuation frame without a message to continue"
    assert frames[2]["error"] == "expected a continuation frame (RFC 6455 §5.4)"
    assert frames[3]["close_code"] == 1005  # sent explicitly, which §7.4.1 forbids
    assert "must not be sent" in frames[3]["error"]
    assert tap.first_close == "in"
    tap.feed_out(encode_frame(8, b"\x03\xe8"))
    assert tap.first_close == "in" and tap.close_out == (1000, "")


def test_tap_invalid_utf8_message() -> None:
    sink = _Sink()
    tap = WsTap(1, sink)
    tap.feed_in(encode_frame(1, b"ok \xe2\x82", fin=False, masking_key=b"abcd"))
    tap.feed_in(encode_frame(0, b"\xac fine", masking_key=b"abcd"))  # € split across frames
    tap.feed_in(encode_frame(1, b"\xc3\x28", masking_key=b"abcd"))
    messages = [f for c, f in sink.events if c is WsMessage]
    assert messages[0]["preview"] == "ok € fine" and messages[0]["error"] is None
    assert messages[1]["error"] == "invalid UTF-8 in text message: invalid continuation byte"
    assert messages[1]["preview"] == "c328" and not messages[1]["preview_is_text"]


def _deflate(data: bytes, comp: Any) -> bytes:
    out = comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


@pytest.mark.parametrize("takeover", [True, False])
def test_tap_inflates_permessage_deflate(takeover: bool) -> None:
    header = "permessage-deflate" + ("" if takeover else "; client_no_context_takeover")
    sink = _Sink()
    tap = WsTap(1, sink, extensions=header, max_size=1 << 20)
    comp = zlib.compressobj(wbits=-15)
    for text in ("hello hello hello", "hello hello hello again"):
        if not takeover:
            comp = zlib.compressobj(wbits=-15)
        wire = _deflate(text.encode(), comp)
        tap.feed_in(encode_frame(1, wire, rsv=0x40, masking_key=b"abcd"))
    frames = [f for c, f in sink.events if c is WsFrame]
    messages = [f for c, f in sink.events if c is WsMessage]
    assert [f["rsv1"] for f in frames] == [True, True]
    assert [f["inflated_size"] for f in frames] == [17, 23]
    assert [m["preview"] for m in messages] == ["hello hello hello", "hello hello hello again"]
    assert all(m["compressed"] for m in messages)
    assert messages[1]["wire_length"] == frames[1]["length"] < 23
    assert frames[0]["payload_preview_is_text"] is False  # the frame carries deflate bytes


@pytest.mark.parametrize("takeover", [True, False])
def test_tap_idle_then_listening(takeover: bool) -> None:
    header = "permessage-deflate" + ("" if takeover else "; client_no_context_takeover")
    sink = _Sink(active=False)
    tap = WsTap(1, sink, extensions=header, max_size=1 << 20)
    comp = zlib.compressobj(wbits=-15)
    for text in (b"first message, nobody listens", b"second message, listened to"):
        if not takeover:
            comp = zlib.compressobj(wbits=-15)
        tap.feed_in(encode_frame(1, _deflate(text, comp), rsv=0x40, masking_key=b"abcd"))
        sink.active = True
    (message,) = [f for c, f in sink.events if c is WsMessage]
    if takeover:
        assert message["error"] is not None and message["error"].startswith("not inflated")
        assert message["length"] == message["wire_length"]
    else:  # each message restarts the window: the tap is in sync again
        assert message["error"] is None
        assert message["preview"] == "second message, listened to"


def test_tap_stops_inflating_at_max_size() -> None:
    sink = _Sink()
    tap = WsTap(1, sink, extensions="permessage-deflate", max_size=1000)
    bomb = _deflate(b"\x00" * 100_000, zlib.compressobj(wbits=-15))
    tap.feed_in(encode_frame(2, bomb, rsv=0x40, masking_key=b"abcd"))
    (message,) = [f for c, f in sink.events if c is WsMessage]
    assert message["error"] == "inflates to more than 1000 bytes"
    assert message["length"] <= 1001


def test_deflate_params_and_previews() -> None:
    assert parse_deflate_params(None) is None
    assert parse_deflate_params("x-other") is None
    p = parse_deflate_params(
        "permessage-deflate; server_no_context_takeover; client_max_window_bits=12"
    )
    assert p is not None and p.server_no_context_takeover and not p.client_no_context_takeover
    assert text_preview("é".encode() * 40, whole=False) == ("é" * 32, True)
    assert text_preview(b"ok\xc3", whole=False) == ("ok", True)  # cut inside a character
    assert text_preview(b"ok\xc3", whole=True) == ("6f6bc3", False)
    assert text_preview(b"\xff", whole=True) == ("ff", False)


# --- lazy events: fields derived (and payloads inflated) when read -----------------------------

_COMMON = {"request_id": 4, "name": "echo", "blueprint": None, "depth": {"app": 0, "request": 0}}


def _json(event: Event) -> dict[str, Any]:
    out = event.to_json()
    del out["t_ns"], out["thread"]  # the only values that differ from run to run
    return out


def test_to_json_of_handcrafted_frames_is_unchanged() -> None:
    """The JSON tools read, as the tap produced it before events became lazy."""
    bus = EventBus({})
    kept: list[Event] = []
    bus.subscribe(kept.append)
    tap = WsTap(7, bus, origin=(4, "echo", None), extensions="permessage-deflate")
    tap.feed_in(RFC_FRAME)  # RFC 6455 §5.7: a single-frame masked text message, "Hello"
    tap.feed_out(bytes.fromhex("c107f248cdc9c90700"))  # RFC 7692 §7.2.3.2: "Hello", then
    tap.feed_out(bytes.fromhex("c105f200110000"))  # "Hello" again, from the shared window
    tap.feed_in(encode_frame(8, b"\x03\xe8bye", masking_key=b"\x01\x02\x03\x04"))
    frame = {"kind": "ws_frame", **_COMMON, "connection_id": 7}
    message = {"kind": "ws_message", **_COMMON, "connection_id": 7}
    no_close = {"close_code": None, "close_reason": None}
    flags = {"rsv2": False, "rsv3": False, "length_encoding": 7}
    expected = [
        {
            **frame,
            "seq": 1,
            "direction": "in",
            "fin": True,
            "rsv1": False,
            "opcode": 1,
            "opcode_name": "text",
            "masked": True,
            "masking_key": "37fa213d",
            "length": 5,
            "header_hex": "818537fa213d",
            "payload_wire_preview": "7f9f4d5158",
            "payload_preview": "Hello",
            "payload_preview_is_text": True,
            "wire_size": 11,
            "inflated_size": None,
            "error": None,
            **flags,
            **no_close,
        },
        {
            **message,
            "seq": 2,
            "direction": "in",
            "opcode_name": "text",
            "length": 5,
            "frames": 1,
            "compressed": False,
            "preview": "Hello",
            "wire_length": 5,
            "preview_is_text": True,
            "error": None,
        },
        {
            **frame,
            "seq": 3,
            "direction": "out",
            "fin": True,
            "rsv1": True,
            "opcode": 1,
            "opcode_name": "text",
            "masked": False,
            "masking_key": None,
            "length": 7,
            "header_hex": "c107",
            "payload_wire_preview": "f248cdc9c90700",
            "payload_preview": "f248cdc9c90700",
            "payload_preview_is_text": False,
            "wire_size": 9,
            "inflated_size": 5,
            "error": None,
            **flags,
            **no_close,
        },
        {
            **message,
            "seq": 4,
            "direction": "out",
            "opcode_name": "text",
            "length": 5,
            "frames": 1,
            "compressed": True,
            "preview": "Hello",
            "wire_length": 7,
            "preview_is_text": True,
            "error": None,
        },
        {
            **frame,
            "seq": 5,
            "direction": "out",
            "fin": True,
            "rsv1": True,
            "opcode": 1,
            "opcode_name": "text",
            "masked": False,
            "masking_key": None,
            "length": 5,
            "header_hex": "c105",
            "payload_wire_preview": "f200110000",
            "payload_preview": "f200110000",
            "payload_preview_is_text": False,
            "wire_size": 7,
            "inflated_size": 5,
            "error": None,
            **flags,
            **no_close,
        },
        {
            **message,
            "seq": 6,
            "direction": "out",
            "opcode_name": "text",
            "length": 5,
            "frames": 1,
            "compressed": True,
            "preview": "Hello",
            "wire_length": 5,
            "preview_is_text": True,
            "error": None,
        },
        {
            **frame,
            "seq": 7,
            "direction": "in",
            "fin": True,
            "rsv1": False,
            "opcode": 8,
            "opcode_name": "close",
            "masked": True,
            "masking_key": "01020304",
            "length": 5,
            "header_hex": "888501020304",
            "payload_wire_preview": "02ea617d64",
            "payload_preview": "03e8627965",
            "payload_preview_is_text": False,
            "wire_size": 11,
            "inflated_size": None,
            "error": None,
            **flags,
            "close_code": 1000,
            "close_reason": "bye",
        },
    ]
    got = [_json(e) for e in kept]
    assert got == expected
    # Key order too: common keys, then the kind's fields in declaration order.
    assert [list(g) for g in got] == [
        ["seq", "request_id", "kind", "name", "blueprint", "depth", *type(e)._extra_fields]
        for e in kept
    ]


def _conversation(seed: int) -> tuple[list[tuple[str, bytes]], list[str]]:
    """A connection's chunks under permessage-deflate with context takeover both ways:
    compressed messages (some fragmented, a ping between fragments), uncompressed text and
    binary, then a close. Also the texts of the data messages, in wire order."""
    rng = random.Random(seed)
    comp = {"in": zlib.compressobj(wbits=-15), "out": zlib.compressobj(wbits=-15)}
    order: list[tuple[str, bytes]] = []
    texts: list[str] = []
    for i in range(60):
        direction = rng.choice(("in", "out"))
        key = rng.randbytes(4) if direction == "in" else None
        text = f"message {i}: " + "é€x" * rng.randint(0, 40)
        texts.append(text)
        data = text.encode()
        if rng.random() < 0.75:
            data = _deflate(data, comp[direction])
            rsv = 0x40
        else:
            rsv = 0
        cut = rng.randint(0, len(data)) if rng.random() < 0.3 else len(data)
        if cut < len(data):  # two fragments (RFC 6455 §5.4), a ping between them
            frames = encode_frame(1, data[:cut], fin=False, rsv=rsv, masking_key=key)
            frames += encode_frame(9, b"ping", masking_key=key)
            frames += encode_frame(0, data[cut:], masking_key=key)
        else:
            frames = encode_frame(1, data, rsv=rsv, masking_key=key)
        order.append((direction, frames))
    order.append(("in", encode_frame(8, b"\x03\xe8", masking_key=b"wxyz")))
    chunks: list[tuple[str, bytes]] = []
    for direction, frames in order:  # split anywhere, as TCP may
        pos = 0
        while pos < len(frames):
            n = rng.choice((1, 3, 9, 200))
            chunks.append((direction, frames[pos : pos + n]))
            pos += n
    return chunks, texts


def _run_tap(chunks: list[tuple[str, bytes]], bus: EventBus) -> WsTap:
    """Feed the chunks through one reused buffer, overwritten after every feed."""
    tap = WsTap(3, bus, origin=(4, "echo", None), extensions="permessage-deflate")
    buf = bytearray(256)
    for direction, chunk in chunks:
        buf[: len(chunk)] = chunk
        view = memoryview(buf)[: len(chunk)]
        (tap.feed_in if direction == "in" else tap.feed_out)(view)
        view.release()
        buf[:] = b"\xa5" * len(buf)  # the next recv would reuse it
    return tap


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_events_read_late_show_what_crossed_the_wire(seed: int) -> None:
    chunks, texts = _conversation(seed)
    # Read at once: every event decoded while its bytes were the latest on the wire.
    now_bus = EventBus({})
    at_once: list[dict[str, Any]] = []
    now_bus.subscribe(lambda e: at_once.append(_json(e)))
    _run_tap(chunks, now_bus)
    # Only kept (as a capture does), read after the connection moved on and ended.
    late_bus = EventBus({})
    kept: list[Event] = []
    late_bus.subscribe(kept.append)
    tap = _run_tap(chunks, late_bus)
    # Nothing was decoded yet (however the bus keeps the raw values, no field is filled in).
    assert all("connection_id" not in e.__dict__ for e in kept)
    assert tap.inbound.queue is not None and tap.inbound.queue.inflated == 0  # nor inflated
    late = [_json(e) for e in reversed(kept)][::-1]  # the last first: inflating still in order
    assert late == at_once
    messages = [m for m in late if m["kind"] == "ws_message"]
    assert [m["error"] for m in messages] == [None] * len(texts)
    assert [m["length"] for m in messages] == [len(t.encode()) for t in texts]
    assert [m["preview"] for m in messages] == [
        t.encode()[:64].decode("utf-8", "ignore") for t in texts
    ]
    assert sum(1 for f in late if f["kind"] == "ws_frame" and f["opcode_name"] == "close") == 1


def test_late_reads_from_many_threads_inflate_once_in_order() -> None:
    chunks, texts = _conversation(4)
    bus = EventBus({})
    kept: list[Event] = []
    bus.subscribe(kept.append)
    _run_tap(chunks, bus)
    messages = [e for e in kept if e.kind == "ws_message"]
    results: dict[int, list[str]] = {}

    def read(k: int) -> None:
        order = list(messages)
        random.Random(k).shuffle(order)  # each thread asks for a different message first
        for m in order:
            m.as_dict()
        results[k] = [str(m.preview) for m in messages]

    threads = [threading.Thread(target=read, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = [t.encode()[:64].decode("utf-8", "ignore") for t in texts]
    assert all(r == expected for r in results.values())


def test_inflate_backlog_bounds_what_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inflate_module, "INFLATE_BACKLOG", 64)
    chunks, texts = _conversation(5)
    bus = EventBus({})
    kept: list[Event] = []
    bus.subscribe(kept.append)
    tap = _run_tap(chunks, bus)
    for side in (tap.inbound, tap.outbound):
        queue = side.queue
        assert queue is not None and queue.added - queue.inflated <= 64
        assert queue.inflated > 0  # inflated while nobody read
    previews = [e.preview for e in kept if e.kind == "ws_message"]
    assert previews == [t.encode()[:64].decode("utf-8", "ignore") for t in texts]


def test_ws_events_still_take_field_dicts_and_tuples() -> None:
    bus = EventBus({})
    kept: list[Event] = []
    bus.subscribe(kept.append)
    sink = _Sink()
    WsTap(7, sink).feed_in(RFC_FRAME)
    for cls, fields in sink.events:
        bus.emit(cls, 4, "echo", None, fields)  # the old style: a dict
        bus.emit(cls, 4, "echo", None, tuple(fields[k] for k in cls._extra_fields))
    frame_dict, frame_tuple, message_dict, message_tuple = (_json(e) for e in kept)
    for a, b in ((frame_dict, frame_tuple), (message_dict, message_tuple)):
        del a["seq"], b["seq"]
        assert a == b
    assert frame_dict["payload_preview"] == message_dict["preview"] == "Hello"


def _one_frame_per_chunk() -> list[tuple[str, bytes]]:
    """Frames the tap takes whole, and frames that look like them but are not, both ways,
    under permessage-deflate with context takeover in both directions (RFC 7692 §7.2.3)."""
    comp = {"in": zlib.compressobj(wbits=-15), "out": zlib.compressobj(wbits=-15)}
    key: dict[str, bytes | None] = {"in": b"k3y!", "out": None}
    out: list[tuple[str, bytes]] = []
    for direction in ("in", "out", "in", "out"):
        k = key[direction]
        for opcode, data in (
            (1, b"short"),
            (1, "é€x".encode() * 30),
            (1, b"y" * 300),
            (2, bytes(range(256)) * 3),
            (2, b"z" * 70_000),  # in: inflates past max_size
        ):
            wire = _deflate(data, comp[direction])
            out.append((direction, encode_frame(opcode, wire, rsv=0x40, masking_key=k)))
        out += [
            (direction, encode_frame(1, "plain é".encode(), masking_key=k)),
            (direction, encode_frame(1, b"bad \xc3\x28 text", masking_key=k)),
            (direction, encode_frame(2, b"", masking_key=k)),
            (direction, encode_frame(2, b"\x00" * 200, masking_key=k)),  # 16-bit length
            (direction, encode_frame(1, b"x" * 1500, masking_key=k)),  # in: over max_size
            (direction, encode_frame(1, b"long", masking_key=k, length_encoding=16)),
            (direction, encode_frame(1, b"rsv2", rsv=0x20, masking_key=k)),
            (direction, encode_frame(2, b"mask", masking_key=b"abcd")),  # out: masked
            (direction, encode_frame(1, b"frag", fin=False, masking_key=k)),
            (direction, encode_frame(0, b"ment", masking_key=k)),
            (direction, encode_frame(9, b"ping", masking_key=k)),
            (direction, encode_frame(2, b"not deflate", rsv=0x40, masking_key=k)),
        ]
    out.append(("in", encode_frame(8, b"\x03\xe8", masking_key=b"wxyz")))
    return out


def test_whole_frame_chunks_give_what_the_frame_reader_gives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A chunk that is one whole message in one frame takes the tap's short way; the same
    frames in two chunks go through ``FrameReader`` and ``process``: the same events."""
    frames = _one_frame_per_chunk()
    feeds = 0

    class CountingReader(FrameReader):
        __slots__ = ()

        def feed(self, data: bytes | bytearray | memoryview) -> list[WireFrame]:
            nonlocal feeds
            feeds += 1 if data else 0
            return super().feed(data)

    monkeypatch.setattr(tap_module, "FrameReader", CountingReader)

    def run(split: bool, *, listen_from: int = 0) -> list[dict[str, Any]]:
        bus = EventBus({})
        kept: list[Event] = []
        tap = WsTap(3, bus, origin=(4, "echo", None), extensions=_DEFLATE, max_size=1000)
        for i, (direction, frame) in enumerate(frames):
            if i == listen_from:
                bus.subscribe(kept.append)
            feed = tap.feed_in if direction == "in" else tap.feed_out
            # Split after the first byte: the reader then holds a byte when the rest comes,
            # and parses the frame whole, as from one chunk, only not the short way.
            for chunk in [frame[:1], frame[1:]] if split else [b"", frame]:
                feed(chunk)
        tap.eof_in()
        tap.eof_out()
        return [_json(e) for e in kept]

    whole = run(split=False)
    taken_whole = feeds
    assert run(split=True) == whole
    assert taken_whole < len(frames) / 2  # most frames did take the short way
    messages = [e for e in whole if e["kind"] == "ws_message"]
    assert [(m["length"], m["preview"][:6], m["error"]) for m in messages[:5]] == [
        (5, "short", None),
        (180, "é€xé€x", None),
        (300, "yyyyyy", None),
        (768, "000102", None),
        (1001, "7a7a7a", "inflates to more than 1000 bytes"),
    ]
    assert messages[5]["preview"] == "plain é" and messages[6]["error"].startswith("invalid UTF-8")
    # Nobody listening for the first frames: what the tap says of the rest is still the same.
    for listen_from in (1, 7):
        assert run(split=False, listen_from=listen_from) == run(True, listen_from=listen_from)


_DEFLATE = "permessage-deflate"


def test_queues_of_ended_connections_are_let_go(monkeypatch: pytest.MonkeyPatch) -> None:
    """Events name their inflate queue by number: a queue stays reachable while its events
    may need it, and is let go once no frame will come and none waits to be inflated."""
    monkeypatch.setattr(inflate_module, "ENDED_QUEUES", 2)
    bus = EventBus({})
    kept: list[Event] = []
    bus.subscribe(kept.append)
    texts = [f"connection {i}: " + "hello " * i for i in range(5)]
    taps = []
    for text in texts:
        tap = WsTap(1, bus, extensions="permessage-deflate")
        wire = _deflate(text.encode(), zlib.compressobj(wbits=-15))
        tap.feed_in(encode_frame(1, wire, rsv=0x40, masking_key=b"abcd"))
        taps.append(tap)
    ids = [tap.inbound.qid for tap in taps]
    assert all(qid in inflate_module._queues for qid in ids)  # open: kept whatever happens
    for tap in taps[:4]:
        tap.eof_in()
    # Ended with a frame waiting: the newest two are kept, the older ones were inflated.
    assert [qid in inflate_module._queues for qid in ids] == [False, False, True, True, True]
    assert [tap.inbound.queue.inflated > 0 for tap in taps] == [True, True, False, False, False]
    del taps[4]  # never ended (a write failed, say): letting go of the tap closes its queue
    gc.collect()
    previews = [e.preview for e in kept if e.kind == "ws_message"]
    assert previews == [t[:64] for t in texts]
    assert not any(qid in inflate_module._queues for qid in ids)  # read: nothing to keep
    assert all(q.id not in ids for q in inflate_module._ended)


def test_raw_values_leave_nothing_for_the_collector_to_track() -> None:
    """A capture keeps every event: what the tap hands over (and queues) holds no container
    the garbage collector tracks, so its passes over a growing capture stay short."""
    sink = _Sink()
    tap = _run_tap(_conversation(6)[0], sink)  # type: ignore[arg-type]
    tap.feed_in(encode_frame(1, b"one frame, one chunk", masking_key=b"abcd"))
    wire = _deflate(b"compressed, one chunk", zlib.compressobj(wbits=-15))
    tap.feed_out(encode_frame(1, wire, rsv=0x40))
    gc.collect()
    gc.collect()  # a tuple is untracked once the collector saw its items untracked
    assert sink.raw and not any(gc.is_tracked(extras) for _, extras in sink.raw)
    queue = tap.outbound.queue
    assert queue is not None and queue._pending
    assert not any(gc.is_tracked(entry) for entry in queue._pending)
    assert sink.events[-1][1]["preview"] == "compressed, one chunk"  # and still inflates
