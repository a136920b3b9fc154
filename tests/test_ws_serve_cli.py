"""``ctxscope serve`` streams the WebSocket events of the demo app as JSON lines."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent


def _reader(stream: Any, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def test_serve_prints_websocket_events() -> None:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector", "serve", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
    try:
        first = lines.get(timeout=30)
        assert first.startswith("listening on http://")
        url = first.split("listening on ", 1)[1].strip().replace("http://", "ws://")
        with connect(url + "/ws/echo") as ws:
            assert ws.recv(timeout=10) == "hello anonymous"
            ws.send("Hello")
            assert ws.recv(timeout=10) == "Hello"
        events: list[dict[str, Any]] = []
        while not any(e["kind"] == "app_ctx_popped" for e in events):
            events.append(json.loads(lines.get(timeout=10)))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    kinds = [e["kind"] for e in events]
    assert kinds.index("ws_handshake") < kinds.index("ws_frame") < kinds.index("ws_closed")
    hs = next(e for e in events if e["kind"] == "ws_handshake")
    assert hs["status"] == 101 and hs["path"] == "/ws/echo"
    assert hs["extensions"].startswith("permessage-deflate")
    hello_in = next(e for e in events if e["kind"] == "ws_message" and e["direction"] == "in")
    assert (hello_in["opcode_name"], hello_in["preview"], hello_in["compressed"]) == (
        "text",
        "Hello",
        True,
    )
    frame_in = next(e for e in events if e["kind"] == "ws_frame" and e["direction"] == "in")
    assert frame_in["masked"] is True and len(frame_in["masking_key"]) == 8
    assert frame_in["rsv1"] is True and frame_in["inflated_size"] == 5
    closed = next(e for e in events if e["kind"] == "ws_closed")
    assert (closed["code"], closed["closed_by"], closed["clean"]) == (1000, "client", True)
    assert len({e["request_id"] for e in events if e["kind"].startswith("ws_")}) == 1
