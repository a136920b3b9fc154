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

The document's shape and the checks a file read back must pass are in ``capture_schema``; the
HAR 1.2 export is in ``har`` (both re-exported here, so ``inspector.capture`` stays the one
import for scripts and tests).
"""

from __future__ import annotations

import gzip
import json
import os
import time
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from engine.events import Event

from .capture_files import iso_utc, write_atomic
from .capture_schema import (
    FORMAT,
    VERSION,
    Capture,
    CaptureError,
    exchange_to_json,
    parse_document,
)
from .har import export_har, har_document

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

_GZIP_MAGIC = b"\x1f\x8b"


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
            "created": iso_utc(time.time()),
            "clock": {"epoch_ns": epoch_ns, "monotonic_ns": mono_ns},
            "events": [ev.to_json() for ev in events],
            "exchanges": [exchange_to_json(ex) for ex in exchanges],
        }
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise CaptureError(f"cannot save capture: {exc}") from None
    if os.fspath(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    write_atomic(path, data)


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
        return parse_document(doc)
    except CaptureError as exc:
        raise CaptureError(f"{name}: {exc}") from None
