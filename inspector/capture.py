"""Captures: a recorded session saved to disk and read back, and its HAR 1.2 export.

Qt-free on purpose, so captures can be written and read by scripts and tests without a display.

Capture file format (``.ctxscope.json``; gzip-compressed when the name ends in ``.gz``), version 1,
one JSON object::

    {
      "format": "ctxscope-capture",
      "version": 1,
      "created": "2026-11-21T18:00:00.000Z",          # when the file was written (UTC)
      "clock": {"epoch_ns": int, "monotonic_ns": int},  # one reading of both clocks at save time
      "events": [Event.to_json(), ...],                 # read back with event_from_json
      "exchanges": [{"request_id", "method", "url", "request_headers": [[k, v], ...],
                     "request_body": base64, "status", "response_headers": [[k, v], ...],
                     "response_body": base64, "started": epoch seconds, "elapsed_ms"}, ...]
    }

Event times (``t_ns``) are ``time.monotonic_ns()`` readings, meaningless outside the process that
took them; the ``clock`` pair lets a reader turn them into wall-clock times later (the HAR export
needs that for WebSocket message times).

HAR export follows HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) plus the two
extension fields Chrome DevTools writes and imports for WebSockets: ``_resourceType:
"websocket"`` and ``_webSocketMessages`` on the handshake entry (the ``101`` response).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import gzip
import http
import json
import os
import tempfile
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from engine.events import EVENT_TYPES, Event, event_from_json

__all__ = [
    "FORMAT",
    "VERSION",
    "Capture",
    "CaptureError",
    "export_har",
    "har_document",
    "load_capture",
    "save_capture",
]

FORMAT = "ctxscope-capture"
VERSION = 1  # bump when a reader of the previous version could misread the new one

_COMMON_EVENT_KEYS = ("seq", "t_ns", "thread", "request_id", "kind", "name", "blueprint", "depth")
_EXCHANGE_KEYS = (
    "request_id",
    "method",
    "url",
    "request_headers",
    "request_body",
    "status",
    "response_headers",
    "response_body",
    "started",
    "elapsed_ms",
)
_GZIP_MAGIC = b"\x1f\x8b"


class CaptureError(Exception):
    """A capture could not be read or written; ``str()`` is one line meant for the user."""


@dataclass
class Capture:
    """A capture read back from disk."""

    events: list[Event]  # in file order (the order they were recorded)
    exchanges: list[dict[str, Any]]  # bodies as bytes again
    clock_offset_ns: int | None = None  # epoch_ns - monotonic_ns when saved, None if unknown
    created: str | None = None  # ISO 8601 time the file was written
    extra: dict[str, Any] = field(default_factory=dict)  # unknown top-level keys, kept as read


# --- saving ---------------------------------------------------------------------------------


def _exchange_to_json(ex: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _EXCHANGE_KEYS:
        value = ex.get(key)
        if key in ("request_body", "response_body"):
            value = base64.b64encode(bytes(value or b"")).decode("ascii")
        elif key in ("request_headers", "response_headers"):
            value = [[str(k), str(v)] for k, v in (value or [])]
        out[key] = value
    return out


def save_capture(
    path: str | os.PathLike[str],
    events: Sequence[Event],
    exchanges: Sequence[Mapping[str, Any]],
    *,
    clock_offset_ns: int | None = None,
) -> None:
    """Write a capture file; atomic, so a failed save never leaves half a file behind.

    ``clock_offset_ns`` is ``epoch_ns - monotonic_ns`` for the clock the events were stamped
    with; by default the current process's, which is right for events recorded live.
    """
    if clock_offset_ns is None:
        epoch_ns, mono_ns = time.time_ns(), time.monotonic_ns()
    else:
        mono_ns = time.monotonic_ns()
        epoch_ns = mono_ns + clock_offset_ns
    try:
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "created": _iso(time.time()),
            "clock": {"epoch_ns": epoch_ns, "monotonic_ns": mono_ns},
            "events": [ev.to_json() for ev in events],
            "exchanges": [_exchange_to_json(ex) for ex in exchanges],
        }
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise CaptureError(f"cannot save capture: {exc}") from None
    if os.fspath(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    _atomic_write(path, data)


def _atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".ctxscope-", dir=directory)
    except OSError as exc:
        raise CaptureError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise CaptureError(f"cannot write {target}: {exc.strerror or exc}") from None


# --- loading --------------------------------------------------------------------------------


def load_capture(path: str | os.PathLike[str]) -> Capture:
    """Read a capture file; any problem is one ``CaptureError`` naming the file and the cause."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise CaptureError(f"cannot open {name}: {exc.strerror or exc}") from None
    if raw.startswith(_GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise CaptureError(f"{name}: corrupt gzip data ({exc})") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CaptureError(f"{name}: not a ctxscope capture (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise CaptureError(
            f"{name}: not a ctxscope capture (invalid JSON at line {exc.lineno} "
            f"column {exc.colno}: {exc.msg})"
        ) from None
    try:
        return _parse(doc)
    except CaptureError as exc:
        raise CaptureError(f"{name}: {exc}") from None


def _parse(doc: Any) -> Capture:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CaptureError(f'not a ctxscope capture (no "format": "{FORMAT}")')
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CaptureError("capture has no valid version number")
    if version > VERSION:
        raise CaptureError(
            f"capture version {version} is newer than this ctxscope reads ({VERSION})"
        )
    if version < 1:
        raise CaptureError(f"unknown capture version {version}")
    events_json = doc.get("events")
    exchanges_json = doc.get("exchanges", [])
    if not isinstance(events_json, list):
        raise CaptureError('"events" must be a list')
    if not isinstance(exchanges_json, list):
        raise CaptureError('"exchanges" must be a list')
    events = [_parse_event(i, obj) for i, obj in enumerate(events_json)]
    exchanges = [_parse_exchange(i, obj) for i, obj in enumerate(exchanges_json)]
    offset = None
    clock = doc.get("clock")
    if isinstance(clock, dict):
        epoch_ns, mono_ns = clock.get("epoch_ns"), clock.get("monotonic_ns")
        if isinstance(epoch_ns, int) and isinstance(mono_ns, int):
            offset = epoch_ns - mono_ns
    known = {"format", "version", "created", "clock", "events", "exchanges"}
    created = doc.get("created") if isinstance(doc.get("created"), str) else None
    extra = {k: v for k, v in doc.items() if k not in known}
    return Capture(events, exchanges, offset, created, extra)


def _parse_event(index: int, obj: Any) -> Event:
    where = f"event #{index}"
    if not isinstance(obj, dict):
        raise CaptureError(f"{where} is not an object")
    missing = [k for k in _COMMON_EVENT_KEYS if k not in obj]
    if missing:
        raise CaptureError(f"{where} lacks {', '.join(missing)}")
    kind = obj["kind"]
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        raise CaptureError(f"{where} has unknown kind {kind!r}")
    for key in ("seq", "t_ns", "thread"):
        if not _is_int(obj[key]):
            raise CaptureError(f"{where} ({kind}): {key} must be an integer")
    if obj["request_id"] is not None and not _is_int(obj["request_id"]):
        raise CaptureError(f"{where} ({kind}): request_id must be an integer or null")
    depth = obj["depth"]
    if not isinstance(depth, dict) or not all(_is_int(v) for v in depth.values()):
        raise CaptureError(f"{where} ({kind}): depth must be an object of integers")
    for key in ("name", "blueprint"):
        if obj[key] is not None and not isinstance(obj[key], str):
            raise CaptureError(f"{where} ({kind}): {key} must be a string or null")
    problem = _field_problem(EVENT_TYPES[kind], obj)
    if problem:
        raise CaptureError(f"{where} ({kind}): {problem}")
    try:
        return event_from_json(obj)
    except (KeyError, TypeError, ValueError) as exc:
        raise CaptureError(f"{where} ({kind}) is malformed: {exc}") from None


_SIMPLE_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "str": (str,),
    "bool": (bool,),
    "float": (int, float),
}


@functools.cache
def _field_checks(cls: type[Event]) -> tuple[tuple[str, tuple[type, ...] | None, bool], ...]:
    """(field, accepted types or None for any, None allowed) from the class's annotations."""
    hints = {f.name: f.type for f in dataclasses.fields(cls)}
    out = []
    for name in cls._extra_fields:
        text = str(hints.get(name, "Any")).replace(" ", "")
        parts = text.split("|")
        optional = "None" in parts
        parts = [p for p in parts if p != "None"]
        types: tuple[type, ...] | None = None
        if len(parts) == 1 and parts[0] in _SIMPLE_TYPES:
            types = _SIMPLE_TYPES[parts[0]]
        elif len(parts) == 1 and parts[0].startswith("list["):
            types = (list,)
        out.append((name, types, optional))
    return tuple(out)


def _field_problem(cls: type[Event], obj: dict[str, Any]) -> str | None:
    """Why ``obj`` cannot be an event of ``cls`` (missing or mistyped fields), or None."""
    # The WebSocket views compute with every non-optional ws_* field, so those must be there;
    # elsewhere a null is tolerated (shown as such) rather than refusing a whole capture.
    strict = cls.kind.startswith("ws_")
    for name, types, optional in _field_checks(cls):
        value = obj.get(name)
        if value is None:
            if strict and not optional and types is not None:
                return f"{name} is missing"
            continue
        if types is None:
            continue  # a summary: any JSON value
        if bool not in types and isinstance(value, bool):
            return f"{name} must be {types[0].__name__}, not bool"
        if not isinstance(value, types):
            return f"{name} must be {types[0].__name__}, not {type(value).__name__}"
    return None


def _parse_exchange(index: int, obj: Any) -> dict[str, Any]:
    where = f"exchange #{index}"
    if not isinstance(obj, dict):
        raise CaptureError(f"{where} is not an object")
    out: dict[str, Any] = {}
    for key in _EXCHANGE_KEYS:
        value = obj.get(key)
        if key in ("request_body", "response_body"):
            if value is None:
                value = b""
            elif isinstance(value, str):
                try:
                    value = base64.b64decode(value, validate=True)
                except (binascii.Error, ValueError):
                    raise CaptureError(f"{where}: {key} is not valid base64") from None
            else:
                raise CaptureError(f"{where}: {key} must be a base64 string")
        elif key in ("request_headers", "response_headers"):
            value = value or []
            if not isinstance(value, list) or not all(
                isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p)
                for p in value
            ):
                raise CaptureError(f"{where}: {key} must be a list of [name, value] strings")
            value = [list(p) for p in value]
        elif key in ("method", "url"):
            if not isinstance(value, str):
                raise CaptureError(f"{where}: {key} must be a string")
        elif key == "status":
            if not _is_int(value):
                raise CaptureError(f"{where}: status must be an integer")
        elif key in ("started", "elapsed_ms"):
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise CaptureError(f"{where}: {key} must be a number")
            value = float(value)
        elif key == "request_id" and value is not None and not _is_int(value):
            raise CaptureError(f"{where}: request_id must be an integer or null")
        out[key] = value
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- HAR 1.2 ---------------------------------------------------------------------------------


def _iso(epoch_s: float) -> str:
    """ISO 8601 with milliseconds and ``Z``, the form browsers write in HAR files."""
    dt = datetime.fromtimestamp(epoch_s, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _headers(pairs: Iterable[Sequence[str]]) -> list[dict[str, str]]:
    return [{"name": str(k), "value": str(v)} for k, v in pairs]


def _header(pairs: Iterable[Sequence[str]], name: str) -> str | None:
    lname = name.lower()
    for k, v in pairs:
        if k.lower() == lname:
            return v
    return None


def _request_cookies(pairs: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
    out = []
    for k, v in pairs:
        if k.lower() != "cookie":
            continue
        for part in v.split(";"):
            name, sep, value = part.strip().partition("=")
            if name and sep:
                out.append({"name": name, "value": value})
    return out


def _response_cookies(pairs: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for k, v in pairs:
        if k.lower() != "set-cookie":
            continue
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(v)
        except CookieError:
            name, _, rest = v.partition("=")
            out.append({"name": name.strip(), "value": rest.split(";", 1)[0]})
            continue
        for morsel in jar.values():
            cookie: dict[str, Any] = {"name": morsel.key, "value": morsel.coded_value}
            if morsel["path"]:
                cookie["path"] = morsel["path"]
            if morsel["domain"]:
                cookie["domain"] = morsel["domain"]
            if morsel["expires"]:
                try:
                    from email.utils import parsedate_to_datetime

                    cookie["expires"] = (
                        parsedate_to_datetime(morsel["expires"])
                        .astimezone(UTC)
                        .isoformat()
                        .replace("+00:00", "Z")
                    )
                except (TypeError, ValueError, IndexError):
                    pass
            cookie["httpOnly"] = bool(morsel["httponly"])
            cookie["secure"] = bool(morsel["secure"])
            out.append(cookie)
    return out


def _body_text(body: bytes) -> tuple[str, str | None]:
    """HAR content text: UTF-8 as is, anything else base64 with ``encoding: "base64"``."""
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), "base64"


def _status_text(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _entry(ex: Mapping[str, Any]) -> dict[str, Any]:
    req_headers = list(ex.get("request_headers") or [])
    resp_headers = list(ex.get("response_headers") or [])
    req_body = bytes(ex.get("request_body") or b"")
    resp_body = bytes(ex.get("response_body") or b"")
    url = str(ex.get("url") or "")
    elapsed = max(0.0, float(ex.get("elapsed_ms") or 0.0))
    request: dict[str, Any] = {
        "method": str(ex.get("method") or "GET"),
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": _request_cookies(req_headers),
        "headers": _headers(req_headers),
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(url).query, True)],
        "headersSize": -1,  # -1: not known (we see parsed headers, not the raw block)
        "bodySize": len(req_body),
    }
    if req_body:
        text, encoding = _body_text(req_body)
        post: dict[str, Any] = {
            "mimeType": _header(req_headers, "Content-Type") or "application/octet-stream",
            "text": text,
        }
        if encoding:
            post["_encoding"] = encoding  # HAR 1.2 postData has no encoding field
        ctype = post["mimeType"].split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded" and encoding is None:
            post["params"] = [{"name": k, "value": v} for k, v in parse_qsl(text, True)]
        request["postData"] = post
    status = int(ex.get("status") or 0)
    content: dict[str, Any] = {
        "size": len(resp_body),
        "mimeType": _header(resp_headers, "Content-Type") or "x-unknown",
    }
    if resp_body:
        text, encoding = _body_text(resp_body)
        content["text"] = text
        if encoding:
            content["encoding"] = encoding
    response = {
        "status": status,
        "statusText": _status_text(status),
        "httpVersion": "HTTP/1.1",
        "cookies": _response_cookies(resp_headers),
        "headers": _headers(resp_headers),
        "content": content,
        "redirectURL": _header(resp_headers, "Location") or "",
        "headersSize": -1,
        "bodySize": len(resp_body),
    }
    entry: dict[str, Any] = {
        "startedDateTime": _iso(float(ex.get("started") or 0.0)),
        "time": elapsed,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": elapsed, "receive": 0},
    }
    if ex.get("request_id") is not None:
        entry["_requestId"] = ex["request_id"]
    return entry


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
    host = _header(headers, "Host") or "localhost"
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
    return _entry(
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

    entries = [_entry(ex) for ex in exchanges]
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
    _atomic_write(path, data)
