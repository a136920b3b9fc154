"""HAR 1.2 export of a session: its HTTP exchanges and the WebSocket messages the events recorded.

Follows HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) plus the two extension fields
Chrome DevTools writes and imports for WebSockets: ``_resourceType: "websocket"`` and
``_webSocketMessages`` on the handshake entry (the ``101`` response). Event times are monotonic
clock readings, so every message time goes through a clock offset (see ``har_document``).
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

from engine.events import Event

from .capture_files import write_atomic
from .har_entry import har_entry, header_value

__all__ = ["export_har", "har_document"]


def _ws_data(preview: str, is_text: bool, opcode: int) -> str:
    """``data`` of a ``_webSocketMessages`` item: text as is, binary as base64.

    Binary previews (and text that was not valid UTF-8) are hex in the events.
    """
    if is_text:
        return preview if opcode == 1 else base64.b64encode(preview.encode()).decode("ascii")
    try:
        raw = bytes.fromhex(preview)
    except ValueError:  # a capped or odd preview: keep what there is rather than drop it
        raw = preview.encode("utf-8")
    if opcode == 1:
        return raw.decode("utf-8", "replace")
    return base64.b64encode(raw).decode("ascii")


def _ws_connections(events: Sequence[Event]) -> dict[int, dict[str, Any]]:
    """Group the ws_* events by connection, in order of their handshakes."""
    conns: dict[int, dict[str, Any]] = {}
    for ev in events:
        kind = ev.kind
        if not kind.startswith("ws_"):
            continue
        d = ev.as_dict()
        cid = d.get("connection_id")
        conn = conns.setdefault(
            cid, {"handshake": None, "messages": [], "frames": [], "closed": None}
        )
        if kind == "ws_handshake":
            conn["handshake"] = ev
        elif kind == "ws_message":
            conn["messages"].append(ev)
        elif kind == "ws_frame":
            conn["frames"].append(ev)
        elif kind == "ws_closed":
            conn["closed"] = ev
    return conns


def _ws_messages(conn: Mapping[str, Any], to_epoch: Any) -> list[dict[str, Any]]:
    out = []
    if conn["messages"]:
        for m in conn["messages"]:
            opcode = 1 if m.opcode_name == "text" else 2
            is_text = getattr(m, "preview_is_text", None)
            if is_text is None:  # captures from before the field existed
                is_text = opcode == 1
            data = _ws_data(m.preview, is_text, opcode)
            out.append(_ws_item(m.direction, to_epoch(m.t_ns), opcode, data))
    else:
        # no reassembled messages recorded: whole data frames still say what was sent
        for f in conn["frames"]:
            if f.opcode in (1, 2) and f.fin:
                data = _ws_data(f.payload_preview, f.payload_preview_is_text, f.opcode)
                out.append(_ws_item(f.direction, to_epoch(f.t_ns), f.opcode, data))
    return out


def _ws_item(direction: str, epoch_s: float, opcode: int, data: str) -> dict[str, Any]:
    # HAR is written from the client's side: what reached the server ("in") was sent
    return {
        "type": "send" if direction == "in" else "receive",
        "time": epoch_s,
        "opcode": opcode,
        "data": data,
    }


def _ws_entry(hs: Event, conn: Mapping[str, Any], to_epoch: Any) -> dict[str, Any]:
    d = hs.as_dict()
    headers = [list(p) for p in (d.get("headers") or [])]
    host = header_value(headers, "Host") or "localhost"
    url = f"ws://{host}{d.get('path') or '/'}"
    status = int(d.get("status") or 0)
    resp_headers: list[list[str]] = [list(p) for p in (d.get("response_headers") or [])]
    if status == 101 and not resp_headers:  # rebuilt from the handshake's own fields
        resp_headers = [["Upgrade", "websocket"], ["Connection", "Upgrade"]]
        if d.get("accept"):
            resp_headers.append(["Sec-WebSocket-Accept", d["accept"]])
        if d.get("extensions"):
            resp_headers.append(["Sec-WebSocket-Extensions", d["extensions"]])
        if d.get("subprotocol"):
            resp_headers.append(["Sec-WebSocket-Protocol", d["subprotocol"]])
    started = to_epoch(hs.t_ns)
    closed = conn.get("closed")
    end = to_epoch(closed.t_ns) if closed is not None else started
    return har_entry(
        {
            "request_id": hs.request_id,
            "method": "GET",
            "url": url,
            "request_headers": headers,
            "request_body": b"",
            "status": status,
            "response_headers": resp_headers,
            "response_body": b"",
            "started": started,
            "elapsed_ms": max(0.0, (end - started) * 1000.0),
        }
    )


def _offset_from_data(
    events: Sequence[Event], exchanges: Sequence[Mapping[str, Any]]
) -> int | None:
    """``epoch_ns - monotonic_ns`` as the recording itself tells it, or None.

    An exchange's wall-clock start and its request's first event are the same moment give or
    take the time to reach the server; the median over all requests is robust to outliers.
    Right even for a capture recorded in another process, where the current clock is not.
    """
    first_event: dict[int, int] = {}
    for ev in events:
        rid = ev.request_id
        if rid is not None and rid not in first_event:
            first_event[rid] = ev.t_ns
    estimates = sorted(
        int(float(ex["started"]) * 1e9) - first_event[ex["request_id"]]
        for ex in exchanges
        if ex.get("request_id") in first_event and ex.get("started")
    )
    return estimates[len(estimates) // 2] if estimates else None


def har_document(
    events: Sequence[Event],
    exchanges: Sequence[Mapping[str, Any]],
    *,
    clock_offset_ns: int | None = None,
) -> dict[str, Any]:
    """The HAR 1.2 ``{"log": ...}`` object for a session (see ``export_har``)."""
    if clock_offset_ns is None:
        clock_offset_ns = _offset_from_data(events, exchanges)
    if clock_offset_ns is None:
        clock_offset_ns = time.time_ns() - time.monotonic_ns()

    def to_epoch(t_ns: int) -> float:
        return (t_ns + clock_offset_ns) / 1e9

    entries = [har_entry(ex) for ex in exchanges]
    by_request = {
        ex.get("request_id"): i
        for i, ex in enumerate(exchanges)
        if ex.get("request_id") is not None and int(ex.get("status") or 0) == 101
    }
    for conn in _ws_connections(events).values():
        hs = conn["handshake"]
        if hs is None:
            continue  # frames without their handshake (a capture cut short): no entry to hang on
        messages = _ws_messages(conn, to_epoch)
        index = by_request.get(hs.request_id) if hs.request_id is not None else None
        if index is not None:
            entry = entries[index]
        else:
            entry = _ws_entry(hs, conn, to_epoch)
            entries.append(entry)
        entry["_resourceType"] = "websocket"
        entry["_webSocketMessages"] = messages
    entries.sort(key=lambda e: e["startedDateTime"])
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "ctxscope", "version": _version()},
            "pages": [],  # optional in HAR 1.2; some viewers expect the list anyway
            "entries": entries,
        }
    }


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("ctxscope")
    except Exception:  # not installed (run from a checkout)
        return "0.1.0"


def export_har(
    path: str | os.PathLike[str],
    events: Sequence[Event],
    exchanges: Sequence[Mapping[str, Any]],
    *,
    clock_offset_ns: int | None = None,
) -> None:
    """Write a HAR 1.2 file that Chrome DevTools imports, WebSocket messages included.

    ``clock_offset_ns`` (``epoch_ns - monotonic_ns``) maps event times to wall-clock times; pass
    ``Capture.clock_offset_ns`` when exporting a capture read from disk. Without it the offset is
    estimated from the exchanges and their requests' events, else the current process's clock.
    """
    doc = har_document(events, exchanges, clock_offset_ns=clock_offset_ns)
    data = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
    write_atomic(path, data)
