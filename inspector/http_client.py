"""Sending the composer's requests over real HTTP, off the GUI thread.

Each request runs in a ``QThreadPool`` worker with its own ``http.client`` connection (so N
requests "at once" are N connections, served by N server threads). The worker builds the
exchange dict the capture format uses and hands it back through a queued signal; it never
touches a widget.
"""

from __future__ import annotations

import http.client
import json
import shlex
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

__all__ = ["HttpSender", "OutgoingRequest", "build_url", "curl_command"]


@dataclass
class OutgoingRequest:
    """Everything the composer decided, ready to send."""

    method: str
    url: str  # absolute, query included
    headers: list[list[str]] = field(default_factory=list)
    body: bytes = b""
    timeout: float = 120.0  # long enough for a request held at a breakpoint


def build_url(base: str, path: str, query: list[tuple[str, str]]) -> str:
    """``base`` + ``path`` + the query pairs (appended to any query already in ``path``)."""
    if not path.startswith("/"):
        path = "/" + path
    url = base.rstrip("/") + path
    if query:
        url += ("&" if "?" in path else "?") + urlencode(query)
    return url


def curl_command(req: OutgoingRequest) -> str:
    """A shell command that sends the same request with curl."""
    parts = ["curl", "-i"]
    if req.method != "GET" or req.body:
        parts += ["-X", req.method]
    for name, value in req.headers:
        parts += ["-H", f"{name}: {value}"]
    if req.body:
        try:
            parts += ["--data-binary", req.body.decode("utf-8")]
        except UnicodeDecodeError:
            parts += ["--data-binary", "@-"]  # binary bodies must be piped in
    parts.append(req.url)
    return " ".join(shlex.quote(p) for p in parts)


def send(req: OutgoingRequest) -> dict[str, Any]:
    """Send ``req`` and return its exchange dict ("error" set when no response came)."""
    parts = urlsplit(req.url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    exchange: dict[str, Any] = {
        "request_id": None,
        "method": req.method,
        "url": req.url,
        "request_headers": [list(h) for h in req.headers],
        "request_body": req.body,
        "status": None,
        "response_headers": [],
        "response_body": b"",
        "started": time.time(),
        "elapsed_ms": 0.0,
    }
    headers = [list(h) for h in req.headers]
    if not any(name.lower() == "x-request-id" for name, _ in headers):
        # A tag of our own, so the engine's events of this very request can be found even
        # among identical concurrent ones (the engine reports it in request_ctx_pushed).
        headers.append(["X-Request-Id", f"ctxscope-{uuid.uuid4().hex[:16]}"])
        exchange["request_headers"] = headers
    exchange["client_request_id"] = next(v for k, v in headers if k.lower() == "x-request-id")
    started = time.perf_counter()
    conn = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=req.timeout
    )
    try:
        conn.putrequest(req.method, target, skip_accept_encoding=True)
        names = {name.lower() for name, _ in headers}
        for name, value in headers:
            conn.putheader(name, value)
        wants_length = req.body or req.method in ("POST", "PUT", "PATCH")
        if wants_length and "content-length" not in names:
            conn.putheader("Content-Length", str(len(req.body)))
        conn.endheaders(req.body or None)
        resp = conn.getresponse()
        body = resp.read()
        exchange["status"] = resp.status
        exchange["reason"] = resp.reason
        exchange["response_headers"] = [[k, v] for k, v in resp.getheaders()]
        exchange["response_body"] = body
        exchange["request_id"] = _request_id(exchange["response_headers"])
    except (OSError, http.client.HTTPException) as exc:
        exchange["error"] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    finally:
        conn.close()
        exchange["elapsed_ms"] = (time.perf_counter() - started) * 1000.0
    return exchange


def _request_id(headers: list[list[str]]) -> int | None:
    for name, value in headers:
        if name.lower() in ("x-ctxscope-request-id", "x-request-id"):
            try:
                return int(value)
            except ValueError:
                return None
    return None


class _Job(QRunnable):
    def __init__(self, sender: HttpSender, req: OutgoingRequest, tag: Any) -> None:
        super().__init__()
        self._sender = sender  # where the result is signalled
        self._req = req  # what to send
        self._tag = tag  # handed back untouched (the batch a send-xN request belongs to)
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            exchange = send(self._req)
        except Exception as exc:  # never let a worker die silently
            exchange = {
                "method": self._req.method,
                "url": self._req.url,
                "status": None,
                "error": f"{type(exc).__name__}: {exc}",
                "started": time.time(),
                "elapsed_ms": 0.0,
                "request_id": None,
                "request_headers": [],
                "request_body": b"",
                "response_headers": [],
                "response_body": b"",
            }
        self._sender.finished.emit(exchange, self._tag)


class HttpSender(QObject):
    """Queues requests on a private thread pool; ``finished(exchange, tag)`` on the GUI thread."""

    finished = Signal(dict, object)

    def __init__(self, parent: QObject | None = None, max_threads: int = 64) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)  # private: send-xN must not wait for Qt's global pool size
        self._pool.setMaxThreadCount(max_threads)

    def submit(self, req: OutgoingRequest, tag: Any = None) -> None:
        self._pool.start(_Job(self, req, tag))

    def wait(self, msecs: int = 5000) -> bool:
        return self._pool.waitForDone(msecs)


def pretty_body(body: bytes, content_type: str) -> tuple[str, str]:
    """(text, how): pretty JSON, HTML/text source, or "" when the body is binary."""
    ctype = content_type.split(";", 1)[0].strip().lower()
    if "json" in ctype or body[:1] in (b"{", b"["):
        try:
            return json.dumps(json.loads(body), indent=2, ensure_ascii=False), "json"
        except (ValueError, UnicodeDecodeError):
            pass
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "", "binary"
    return text, "html" if "html" in ctype else "text"


def hex_dump(data: bytes, limit: int = 64 * 1024) -> str:
    """Classic 16-bytes-a-line hex dump with an ASCII column (cut at ``limit`` bytes)."""
    lines = []
    for off in range(0, min(len(data), limit), 16):
        chunk = data[off : off + 16]
        hexpart = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{off:08x}  {hexpart:<47}  {text}")
    if len(data) > limit:
        lines.append(f"… {len(data) - limit} more bytes")
    return "\n".join(lines)
