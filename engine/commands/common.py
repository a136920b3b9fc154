"""What the headless commands share: loading the app, writing events as JSON Lines."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from typing import Any, TextIO

from ..cli import CommandError
from ..events import Event
from ..loading import AppLoadError, load_observable_app

__all__ = ["JsonLinesWriter", "add_app_option", "load_app_or_fail", "quiet_app_logging"]


def add_app_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--app",
        metavar="MODULE:ATTR",
        help="the app to load (an engine App or a Flask app; default: the built-in demo)",
    )


def load_app_or_fail(spec: str | None) -> Any:
    try:
        return load_observable_app(spec)
    except AppLoadError as e:
        raise CommandError(f"--app: {e}") from None


def quiet_app_logging() -> None:
    """Errors of the app's views are events here; no traceback on the user's terminal."""
    logging.getLogger().addHandler(logging.NullHandler())


def event_json(event: Event) -> str:
    return json.dumps(event.to_json(), ensure_ascii=False, default=repr, separators=(",", ":"))


class JsonLinesWriter:
    """Writes one event per line, whole lines only, from any number of threads."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout  # where lines go
        self._lock = threading.Lock()  # request threads write concurrently
        self.broken = False  # the reader went away (e.g. `| head`)

    def __call__(self, event: Event) -> None:
        if self.broken:
            return
        line = event_json(event) + "\n"
        with self._lock:
            try:
                self._stream.write(line)
                self._stream.flush()
            except (BrokenPipeError, ValueError):
                self.broken = True
