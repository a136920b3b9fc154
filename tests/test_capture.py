"""Captures (save, load, corrupt files) and the HAR 1.2 export, from real traffic."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import queue
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import connect

from engine.demo import create_app
from engine.events import Event, event_from_json
from engine.serving import Server
from inspector.capture import (
    FORMAT,
    VERSION,
    Capture,
    CaptureError,
    export_har,
    har_document,
    load_capture,
    save_capture,
)


def _exchange(server: Server, method: str, path: str, body: bytes = b"", headers=None) -> dict:  # type: ignore[no-untyped-def]
    """One real HTTP exchange with the served app, recorded as the window records it."""
    headers = dict(headers or {})
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    started = time.time()
    t0 = time.perf_counter()
    conn.request(method, path, body=body or None, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    elapsed = (time.perf_counter() - t0) * 1000
    conn.close()
    req_headers = [["Host", f"{server.host}:{server.port}"], *[[k, v] for k, v in headers.items()]]
    return {
        "request_id": None,
        "method": method,
        "url": f"{server.url}{path}",
        "request_headers": req_headers,
        "request_body": body,
        "status": resp.status,
        "response_headers": [[k, v] for k, v in resp.getheaders()],
        "response_body": data,
        "started": started,
        "elapsed_ms": elapsed,
    }


@pytest.fixture(scope="module")
def recorded() -> tuple[list[Event], list[dict[str, Any]]]:
    app = create_app()
    events: queue.Queue[Event] = queue.Queue()
    sub = app.subscribe(events.put)
    server = Server(app).start()
    try:
        exchanges = [
            _exchange(server, "GET", "/"),
            _exchange(
                server,
                "POST",
                "/login",
                b"user=alice&password=x",
                {"Content-Type": "application/x-www-form-urlencoded"},
            ),
            _exchange(
                server,
                "POST",
                "/api/echo?x=1&y=%C3%A9",
                json.dumps({"a": [1, 2]}).encode(),
                {"Content-Type": "application/json", "Cookie": "session=abc; theme=dark"},
            ),
            _exchange(server, "GET", "/missing-page"),
        ]
        with connect(f"ws://127.0.0.1:{server.port}/ws/echo", proxy=None, compression=None) as ws:
            greeting = ws.recv()
            ws.send("Hello")
            assert ws.recv() == "Hello"
            ws.send(b"\x00\x01\xfe\xff")
            assert ws.recv() == b"\x00\x01\xfe\xff"
        assert greeting.startswith("hello")
        deadline = time.time() + 5
        collected: list[Event] = []
        while time.time() < deadline:
            try:
                collected.append(events.get(timeout=0.1))
            except queue.Empty:
                if any(e.kind == "ws_closed" for e in collected):
                    break
    finally:
        sub.unsubscribe()
        server.stop()
    # request ids come from the events: the n-th request_started belongs to the n-th request
    started = [e.request_id for e in collected if e.kind == "request_started"]
    for ex, rid in zip(exchanges, started, strict=False):
        ex["request_id"] = rid
    return collected, exchanges


def _same(a: list[Event], b: list[Event]) -> None:
    assert [e.to_json() for e in a] == [e.to_json() for e in b]
    assert [type(e) for e in a] == [type(e) for e in b]


def test_round_trip(recorded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    events, exchanges = recorded
    kinds = {e.kind for e in events}
    assert {"request_started", "ws_handshake", "ws_frame", "ws_message", "ws_closed"} <= kinds
    for name in ("cap.ctxscope.json", "cap.ctxscope.json.gz"):
        path = tmp_path / name
        save_capture(path, events, exchanges)
        cap = load_capture(path)
        assert isinstance(cap, Capture)
        _same(cap.events, events)
        assert cap.exchanges == exchanges
        assert isinstance(cap.exchanges[1]["request_body"], bytes)
        assert cap.clock_offset_ns is not None
        assert abs(cap.clock_offset_ns - (time.time_ns() - time.monotonic_ns())) < 5e9
    raw = (tmp_path / "cap.ctxscope.json.gz").read_bytes()
    doc = json.loads(gzip.decompress(raw))
    assert (doc["format"], doc["version"]) == (FORMAT, VERSION)
    assert base64.b64decode(doc["exchanges"][1]["request_body"]) == b"user=alice&password=x"
    # a capture saved again from a loaded one is the same capture
    again = tmp_path / "again.json"
    save_capture(again, cap.events, cap.exchanges, clock_offset_ns=cap.clock_offset_ns)
    cap2 = load_capture(again)
    _same(cap2.events, events)
    assert cap2.clock_offset_ns == cap.clock_offset_ns


def test_empty_capture(tmp_path: Path) -> None:
    save_capture(tmp_path / "e.json", [], [])
    cap = load_capture(tmp_path / "e.json")
    assert cap.events == [] and cap.exchanges == []


def _write(tmp_path: Path, content: Any, name: str = "c.json") -> Path:
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content if isinstance(content, str) else json.dumps(content))
    return p


def _load_error(path: Path) -> str:
    with pytest.raises(CaptureError) as info:
        load_capture(path)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_bad_files_are_one_clear_error(recorded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    events, exchanges = recorded
    good = tmp_path / "good.json"
    save_capture(good, events[:5], exchanges[:1])
    doc = json.loads(good.read_text())

    assert "cannot open" in _load_error(tmp_path / "nope.json")
    assert "cannot open" in _load_error(tmp_path)  # a directory
    assert "invalid JSON at line 1" in _load_error(_write(tmp_path, "{not json"))
    assert "not UTF-8" in _load_error(_write(tmp_path, b"\xff\xfe\x00garbage"))
    assert "not a ctxscope capture" in _load_error(_write(tmp_path, [1, 2]))
    assert "not a ctxscope capture" in _load_error(_write(tmp_path, {"log": {}}))
    assert "newer" in _load_error(_write(tmp_path, {**doc, "version": VERSION + 1}))
    assert "version" in _load_error(_write(tmp_path, {**doc, "version": "1"}))
    assert '"events" must be a list' in _load_error(_write(tmp_path, {**doc, "events": {}}))
    bad_kind = {**doc, "events": [{**doc["events"][0], "kind": "teleported"}]}
    assert "event #0 has unknown kind 'teleported'" in _load_error(_write(tmp_path, bad_kind))
    no_seq = {**doc, "events": [{k: v for k, v in doc["events"][0].items() if k != "seq"}]}
    assert "event #0 lacks seq" in _load_error(_write(tmp_path, no_seq))
    bad_seq = {**doc, "events": [{**doc["events"][0], "seq": "one"}]}
    assert "seq must be an integer" in _load_error(_write(tmp_path, bad_seq))
    frame = next(e for e in doc["events"] if e["kind"] == "request_ctx_pushed")
    bad_field = {**doc, "events": [{**frame, "path": 5}]}
    assert "path must be str, not int" in _load_error(_write(tmp_path, bad_field))
    ws_frame = next(e.to_json() for e in events if e.kind == "ws_frame")
    no_field = {**doc, "events": [{k: v for k, v in ws_frame.items() if k != "length"}]}
    assert "event #0 (ws_frame): length is missing" in _load_error(_write(tmp_path, no_field))
    bool_len = {**doc, "events": [{**ws_frame, "length": True}]}
    assert "length must be int, not bool" in _load_error(_write(tmp_path, bool_len))
    bad_body = {**doc, "exchanges": [{**doc["exchanges"][0], "response_body": "!!!"}]}
    assert "response_body is not valid base64" in _load_error(_write(tmp_path, bad_body))
    bad_headers = {**doc, "exchanges": [{**doc["exchanges"][0], "request_headers": [["a"]]}]}
    assert "request_headers" in _load_error(_write(tmp_path, bad_headers))
    truncated = gzip.compress(good.read_bytes())[:-20]
    assert "gzip" in _load_error(_write(tmp_path, truncated, "t.json.gz"))
    half = good.read_bytes()[: len(good.read_bytes()) // 2]
    assert "invalid JSON" in _load_error(_write(tmp_path, half))


def test_save_errors_leave_nothing_behind(recorded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    events, exchanges = recorded
    with pytest.raises(CaptureError, match="cannot write"):
        save_capture(tmp_path / "no-such-dir" / "c.json", events, exchanges)
    target = tmp_path / "keep.json"
    target.write_text("previous")
    with pytest.raises(CaptureError):
        save_capture(target, events, [{**exchanges[0], "request_body": object()}])
    assert target.read_text() == "previous"  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["keep.json"]  # no temp file left


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=300))
def test_random_bytes_never_crash(tmp_path: Path, data: bytes) -> None:
    p = tmp_path / "fuzz.json"
    p.write_bytes(data)
    try:
        load_capture(p)
    except CaptureError as exc:
        assert "\n" not in str(exc)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    event=st.dictionaries(
        st.sampled_from(
            ["seq", "t_ns", "thread", "request_id", "kind", "name", "blueprint", "depth", "path"]
        ),
        _json,
        max_size=9,
    ),
    exchange=st.dictionaries(st.text(max_size=12), _json, max_size=6),
)
def test_random_structures_never_crash(tmp_path: Path, event: dict, exchange: dict) -> None:  # type: ignore[type-arg]
    p = tmp_path / "fuzz.json"
    doc = {"format": FORMAT, "version": 1, "events": [event], "exchanges": [exchange]}
    p.write_text(json.dumps(doc))
    try:
        load_capture(p)
    except CaptureError as exc:
        assert "\n" not in str(exc)


# --- HAR -------------------------------------------------------------------------------------

_STR, _NUM = str, (int, float)


def _check(obj: dict, spec: dict[str, Any], where: str) -> None:  # type: ignore[type-arg]
    assert isinstance(obj, dict), where
    for key, typ in spec.items():
        assert key in obj, f"{where}.{key} missing"
        assert isinstance(obj[key], typ), f"{where}.{key} is {type(obj[key]).__name__}"
        assert not isinstance(obj[key], bool) or typ is bool, f"{where}.{key} is a bool"


def _validate_har(doc: dict) -> list[dict]:  # type: ignore[type-arg]
    """Structural check against HAR 1.2 (required fields and their types)."""
    _check(doc, {"log": dict}, "")
    log = doc["log"]
    _check(log, {"version": _STR, "creator": dict, "entries": list}, "log")
    assert log["version"] == "1.2"
    _check(log["creator"], {"name": _STR, "version": _STR}, "log.creator")
    for i, e in enumerate(log["entries"]):
        w = f"entries[{i}]"
        _check(
            e,
            {
                "startedDateTime": _STR,
                "time": _NUM,
                "request": dict,
                "response": dict,
                "cache": dict,
                "timings": dict,
            },
            w,
        )
        assert datetime.fromisoformat(e["startedDateTime"].replace("Z", "+00:00")).tzinfo
        assert e["time"] >= 0
        req, resp = e["request"], e["response"]
        _check(
            req,
            {
                "method": _STR,
                "url": _STR,
                "httpVersion": _STR,
                "cookies": list,
                "headers": list,
                "queryString": list,
                "headersSize": int,
                "bodySize": int,
            },
            f"{w}.request",
        )
        _check(
            resp,
            {
                "status": int,
                "statusText": _STR,
                "httpVersion": _STR,
                "cookies": list,
                "headers": list,
                "content": dict,
                "redirectURL": _STR,
                "headersSize": int,
                "bodySize": int,
            },
            f"{w}.response",
        )
        for part in (req, resp):
            for h in part["headers"] + part["cookies"] + part.get("queryString", []):
                _check(h, {"name": _STR, "value": _STR}, f"{w} header/cookie")
        _check(resp["content"], {"size": int, "mimeType": _STR}, f"{w}.response.content")
        if "encoding" in resp["content"]:
            assert resp["content"]["encoding"] == "base64"
            base64.b64decode(resp["content"]["text"], validate=True)
        if "postData" in req:
            _check(req["postData"], {"mimeType": _STR, "text": _STR}, f"{w}.request.postData")
        _check(e["timings"], {"send": _NUM, "wait": _NUM, "receive": _NUM}, f"{w}.timings")
        for m in e.get("_webSocketMessages", []):
            _check(m, {"type": _STR, "time": _NUM, "opcode": int, "data": _STR}, f"{w} ws msg")
            assert m["type"] in ("send", "receive") and m["opcode"] in (1, 2)
    return log["entries"]


def test_har_export(recorded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    events, exchanges = recorded
    path = tmp_path / "session.har"
    export_har(path, events, exchanges)
    doc = json.loads(path.read_text(encoding="utf-8"))
    entries = _validate_har(doc)
    assert len(entries) == len(exchanges) + 1  # + the WebSocket handshake
    assert entries == sorted(entries, key=lambda e: e["startedDateTime"])
    by_url = {e["request"]["url"]: e for e in entries}

    login = next(e for e in entries if e["request"]["url"].endswith("/login"))
    assert login["request"]["method"] == "POST"
    assert login["request"]["postData"]["params"] == [
        {"name": "user", "value": "alice"},
        {"name": "password", "value": "x"},
    ]
    assert login["response"]["status"] == exchanges[1]["status"]
    if exchanges[1]["status"] in (301, 302, 303):
        assert login["response"]["redirectURL"]
    set_cookies = [h["value"] for h in login["response"]["headers"] if h["name"] == "Set-Cookie"]
    if set_cookies:
        assert login["response"]["cookies"][0]["name"] == "session"
        assert login["response"]["cookies"][0]["httpOnly"] is True
    echo = next(e for e in entries if "/api/echo" in e["request"]["url"])
    assert echo["request"]["queryString"] == [
        {"name": "x", "value": "1"},
        {"name": "y", "value": "é"},
    ]
    assert echo["request"]["cookies"] == [
        {"name": "session", "value": "abc"},
        {"name": "theme", "value": "dark"},
    ]
    missing = next(e for e in entries if e["request"]["url"].endswith("/missing-page"))
    assert (missing["response"]["status"], missing["response"]["statusText"]) == (404, "Not Found")

    ws = [e for e in entries if e.get("_resourceType") == "websocket"]
    assert len(ws) == 1
    entry = ws[0]
    assert entry["request"]["url"] == f"ws://{entry['request']['url'].split('/')[2]}/ws/echo"
    assert entry["response"]["status"] == 101
    hs = next(e for e in events if e.kind == "ws_handshake")
    accept = [
        h["value"]
        for h in entry["response"]["headers"]
        if h["name"].lower() == "sec-websocket-accept"
    ]
    assert accept == [hs.accept]
    msgs = entry["_webSocketMessages"]
    assert [(m["type"], m["opcode"]) for m in msgs] == [
        ("receive", 1),
        ("send", 1),
        ("receive", 1),
        ("send", 2),
        ("receive", 2),
    ]
    assert msgs[0]["data"].startswith("hello")
    assert msgs[1]["data"] == msgs[2]["data"] == "Hello"
    assert base64.b64decode(msgs[3]["data"]) == b"\x00\x01\xfe\xff"
    now = time.time()
    assert all(now - 120 < m["time"] <= now + 1 for m in msgs)  # epoch seconds
    assert [m["time"] for m in msgs] == sorted(m["time"] for m in msgs)
    started = datetime.fromisoformat(entry["startedDateTime"].replace("Z", "+00:00"))
    assert started.timestamp() <= msgs[0]["time"] + 0.002
    assert by_url  # urls are all distinct strings


def test_har_attaches_messages_to_a_recorded_101_exchange(recorded) -> None:  # type: ignore[no-untyped-def]
    events, _ = recorded
    hs = next(e for e in events if e.kind == "ws_handshake")
    upgrade = {
        "request_id": hs.request_id,
        "method": "GET",
        "url": "http://127.0.0.1:1/ws/echo",
        "request_headers": hs.headers,
        "request_body": b"",
        "status": 101,
        "response_headers": [["Upgrade", "websocket"]],
        "response_body": b"",
        "started": time.time(),
        "elapsed_ms": 3.0,
    }
    entries = _validate_har(har_document(events, [upgrade]))
    assert len(entries) == 1
    assert entries[0]["_resourceType"] == "websocket"
    assert len(entries[0]["_webSocketMessages"]) == 5


def test_har_clock_estimated_from_the_recording(recorded) -> None:  # type: ignore[no-untyped-def]
    events, exchanges = recorded
    assert all(ex["request_id"] is not None for ex in exchanges)
    # the same recording as seen from a process whose monotonic clock started 1000 s later
    shifted = [event_from_json({**e.to_json(), "t_ns": e.t_ns - 10**12}) for e in events]
    doc = har_document(shifted, exchanges)  # no offset given: estimated from the data
    ws = next(e for e in _validate_har(doc) if e.get("_resourceType"))
    now = time.time()
    assert all(now - 120 < m["time"] <= now + 1 for m in ws["_webSocketMessages"])


def test_har_from_loaded_capture_uses_its_clock(recorded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    events, exchanges = recorded
    save_capture(tmp_path / "c.json", events, exchanges, clock_offset_ns=10**18)
    cap = load_capture(tmp_path / "c.json")
    doc = har_document(cap.events, cap.exchanges, clock_offset_ns=cap.clock_offset_ns)
    ws = next(e for e in _validate_har(doc) if e.get("_resourceType"))
    first = ws["_webSocketMessages"][0]["time"]
    assert abs(first - (events[-1].t_ns + 10**18) / 1e9) < 60
