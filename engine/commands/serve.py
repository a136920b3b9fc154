"""``ctxscope serve``: the app on a real HTTP server, its events as JSON Lines on stdout."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from ..cli import CommandError
from ..serving import Server, ServerError
from .common import JsonLinesWriter, add_app_option, load_app_or_fail, quiet_app_logging

__all__ = ["register", "run_serve"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve the app headless and stream its events as JSON Lines",
        description="Serve the app over HTTP (and WebSocket) and print every event as one "
        "JSON object per line. The first line is 'listening on http://HOST:PORT'.",
    )
    add_app_option(p)
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    p.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    p.add_argument(
        "--single-thread", action="store_true", help="serve one request at a time; the others queue"
    )
    p.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise CommandError(f"bad port {args.port}: expected 0-65535")
    app = load_app_or_fail(args.app)
    quiet_app_logging()
    try:
        server = Server(app, host=args.host, port=args.port, threaded=not args.single_thread)
    except ServerError as e:
        raise CommandError(str(e)) from None
    writer = JsonLinesWriter(sys.stdout)
    subscription = app.subscribe(writer)
    print(f"listening on {server.url}", flush=True)

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    server.start()
    try:
        while not stop.wait(0.5):
            if writer.broken:
                break
    except KeyboardInterrupt:
        pass
    finally:
        subscription.unsubscribe()
        server.stop()
    return 0
