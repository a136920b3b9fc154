"""``ctxscope trace``: one request, in-process, and its whole lifecycle printed."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from werkzeug.test import EnvironBuilder

from ..cli import CommandError
from ..events import Event
from .common import add_app_option, event_json, load_app_or_fail, quiet_app_logging

__all__ = ["format_event", "register", "run_trace"]

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "trace",
        help="run one request in-process and print its lifecycle",
        description="Run one request through the app in-process and print every step.",
    )
    add_app_option(p)
    p.add_argument("method", metavar="METHOD", help="HTTP method, e.g. GET")
    p.add_argument("path", metavar="PATH", help="path and query, e.g. '/login?name=ada'")
    p.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'Name: value'",
        help="a request header (repeatable)",
    )
    p.add_argument(
        "-d",
        "--data",
        metavar="DATA",
        help="request body (form-encoded unless a Content-Type header says "
        "otherwise); @FILE reads it from a file",
    )
    p.add_argument(
        "-b",
        "--cookie",
        action="append",
        default=[],
        metavar="COOKIE",
        help="'name=value; name2=value2', or a bare session cookie value",
    )
    p.add_argument("--json", action="store_true", help="JSON Lines: one event per line")
    p.set_defaults(run=run_trace)


def _parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or any(c in name for c in ' \t()<>@,;\\"/[]?={}'):
        raise CommandError(f"bad header {text!r}: expected 'Name: value'")
    return name, value.strip()


def _cookie_header(cookies: list[str], session_name: str) -> str | None:
    parts = []
    for text in cookies:
        text = text.strip()
        if not text:
            continue
        parts.append(text if "=" in text.split(";")[0] else f"{session_name}={text}")
    return "; ".join(parts) or None


def _body(data: str | None) -> bytes | None:
    if data is None:
        return None
    if data.startswith("@"):
        try:
            with open(data[1:], "rb") as f:
                return f.read()
        except OSError as e:
            raise CommandError(f"cannot read {data[1:]!r}: {e.strerror}") from None
    return data.encode()


def run_trace(args: argparse.Namespace) -> int:
    method = args.method.upper()
    if not method.isalpha():
        raise CommandError(f"bad method {args.method!r}")
    if not args.path.startswith("/"):
        raise CommandError(f"bad path {args.path!r}: it must start with '/'")
    headers = [_parse_header(h) for h in args.header]
    app = load_app_or_fail(args.app)
    quiet_app_logging()
    body = _body(args.data)
    cookie = _cookie_header(args.cookie, app.config.get("SESSION_COOKIE_NAME", "session"))
    if cookie:
        headers.append(("Cookie", cookie))
    content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
    if body is not None and content_type is None:
        content_type = "application/x-www-form-urlencoded"  # as curl -d
    path, _, query = args.path.partition("?")
    builder = EnvironBuilder(
        path=path,
        query_string=query,
        method=method,
        headers=[h for h in headers if h[0].lower() != "content-type"],
        data=body,
        content_type=content_type,
        base_url="http://localhost/",
    )
    environ = builder.get_environ()
    events: list[Event] = []
    status: list[str] = []
    response_headers: list[tuple[str, str]] = []

    def start_response(s: str, h: list[tuple[str, str]], exc_info: Any = None) -> Any:
        status[:] = [s]
        response_headers[:] = h
        return lambda data: None

    started = time.perf_counter()
    with app.subscribe(events.append):
        try:
            app_iter = app(environ, start_response)
            try:
                body_out = b"".join(app_iter)
            finally:
                close = getattr(app_iter, "close", None)
                if close is not None:
                    close()
        except Exception as e:
            # PROPAGATE_EXCEPTIONS (or a broken app) sends the error up to the server.
            status[:] = [f"500 (unhandled {type(e).__name__}: {e})"]
            body_out = b""
    elapsed_ms = (time.perf_counter() - started) * 1000

    out = sys.stdout
    if args.json:
        for event in events:
            out.write(event_json(event) + "\n")
        return 0
    out.write(
        f"{method} {args.path} -> {status[0] if status else '(no response)'}"
        f"  ({len(events)} events, {elapsed_ms:.2f} ms)\n"
    )
    t0 = events[0].t_ns if events else 0
    for event in events:
        out.write(format_event(event, t0) + "\n")
    out.write("response headers:\n")
    for name, value in response_headers:
        out.write(f"  {name}: {value}\n")
    preview = body_out[:300].decode("utf-8", "replace").rstrip().replace("\n", "\n  ")
    more = f" … ({len(body_out)} bytes)" if len(body_out) > 300 else ""
    out.write(f"response body ({len(body_out)} bytes):\n  {preview}{more}\n")
    return 0


def _detail(event: Event) -> str:
    d = event.to_json()
    kind = event.kind
    if kind in ("local_set",):
        return f"{d['local']}.{event.name} = {d['value']}"
    if kind in ("local_released", "local_deleted"):
        return f"{d['local']} ident {d['ident']}"
    if kind == "request_ctx_pushed":
        return f"{d['method']} {d['url']}" + ("  (nested)" if d["nested"] else "")
    if kind == "session_opened":
        return f"{d['verdict']} {d['session']}"
    if kind == "url_matched":
        return d["error"] or f"{d['rule']} -> {d['endpoint']} {d['view_args']}"
    if kind == "before_request":
        if d["error"]:
            return f"raised {d['error']}"
        return f"short-circuit with {d['returned']}" if d["short_circuit"] else ""
    if kind == "view":
        return f"raised {d['error']}" if d["error"] else f"returned {d['returned']}"
    if kind == "exception":
        how = (
            f"handled by {d['handler']}"
            if d["handler"]
            else ("rendered as HTTP error" if d["handled"] else "unhandled")
        )
        return f"{d['error']} ({how})"
    if kind == "session_saved":
        cookie = (
            "deleted cookie" if d["deleted"] else ("set cookie" if d["set_cookie"] else "no cookie")
        )
        flags = ",".join(f for f in ("accessed", "modified", "permanent") if d[f]) or "-"
        return f"{d['before']} -> {d['after']} [{flags}] {cookie}"
    if kind == "request_finished":
        return str(d["status"])
    if kind in ("after_request", "after_this_request"):
        return f"raised {d['error']}" if d["error"] else f"status {d['status']}"
    if kind in ("teardown_request", "teardown_appcontext"):
        return f"error={d['error']}" + (f" raised {d['raised']}" if d["raised"] else "")
    if kind in ("before_render_template", "template_rendered"):
        return f"{d['template'] or '(template string)'} {d['context']}"
    if kind == "message_flashed":
        return f"[{d['category']}] {d['message']}"
    if d.get("error"):
        return f"error={d['error']}"
    return ""


def format_event(event: Event, t0_ns: int) -> str:
    """One readable line: offset, depth, kind, hook name [blueprint], detail."""
    offset = (event.t_ns - t0_ns) / 1e6
    depth = f"A{event.depth.get('app', 0)} R{event.depth.get('request', 0)}"
    name = (event.name or "").rsplit("<locals>.", 1)[-1]
    if event.blueprint:
        name = f"{name} [{event.blueprint}]"
    if event.kind in ("local_set", "local_released", "local_deleted"):
        name = ""
    line = f"  {offset:8.3f} ms  {depth}  {event.kind:<24} {name:<28} {_detail(event)}"
    return line.rstrip()
